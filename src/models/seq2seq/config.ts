/**
 * The `attn` configurations of the RNN encoder–decoders (gru-bahdanau, gru-luong): GRU cells, padding id 0,
 * vocabulary sizes from the tokenizers. See ../config.ts for how a declaration is read.
 */
import { bool, choice, float, int, type ConfigOf } from '../config.js';

/** What both share, and RNNSeq2Seq's options take (with these defaults). */
export const RNN_SEQ2SEQ_CONFIG = {
  embeddingDim: int(128, 1, 4096, 'width of the source and target embeddings'),
  hiddenSize: int(256, 1, 4096, 'hidden size of the encoder (each direction) and the decoder'),
  numLayers: int(1, 1, 8, 'recurrent layers of encoder and decoder', { flag: 'layers' }),
  bidirectional: bool(false, 'a bidirectional encoder'),
  dropout: float(0.1, 0, 0.9, 'dropout probability while training'),
};

export const GRU_BAHDANAU_CONFIG = {
  ...RNN_SEQ2SEQ_CONFIG,
  attentionUnits: int(0, 0, 4096, 'width of the additive scorer (0: the hidden size)'),
};

export const GRU_LUONG_CONFIG = {
  ...RNN_SEQ2SEQ_CONFIG,
  score: choice('general', ['dot', 'general', 'concat'], 'Luong score'),
  inputFeeding: bool(true, 'feed the attentional state back in', { flag: 'no-input-feeding' }),
};

export type RNNSeq2SeqConfig = ConfigOf<typeof RNN_SEQ2SEQ_CONFIG>;
export type GruBahdanauConfig = ConfigOf<typeof GRU_BAHDANAU_CONFIG>;
export type GruLuongConfig = ConfigOf<typeof GRU_LUONG_CONFIG>;

/** The dot score compares decoder and encoder states directly, so both must be H wide. */
export function checkGruLuong(config: GruLuongConfig): string | null {
  return config.score === 'dot' && config.bidirectional
    ? 'the dot score needs a unidirectional encoder (bidirectional false)'
    : null;
}
