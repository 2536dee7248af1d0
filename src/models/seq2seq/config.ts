/**
 * The `attn` configurations of the RNN encoder–decoders (gru-bahdanau, gru-luong): GRU cells, padding id 0,
 * vocabulary sizes from the tokenizers. See ../config.ts for how a declaration is read.
 */
import { bool, choice, float, int, type ConfigOf } from '../config.js';
import { checkNormalizerConfig, NORMALIZER_CONFIG } from '../normalizer-config.js';

/** What both share, and RNNSeq2Seq's options take (with these defaults). */
export const RNN_SEQ2SEQ_CONFIG = {
  embeddingDim: int(128, 1, 4096, 'width of the source and target embeddings'),
  hiddenSize: int(256, 1, 4096, 'hidden size of the encoder (each direction) and the decoder'),
  numLayers: int(1, 1, 8, 'recurrent layers of encoder and decoder', { flag: 'layers' }),
  bidirectional: bool(false, 'a bidirectional encoder'),
  dropout: float(0.1, 0, 0.9, 'dropout probability while training'),
  ...NORMALIZER_CONFIG,
};

export const GRU_BAHDANAU_CONFIG = {
  ...RNN_SEQ2SEQ_CONFIG,
  attentionUnits: int(0, 0, 4096, 'width of the additive scorer (0: the hidden size)'),
};

export const GRU_LUONG_CONFIG = {
  ...RNN_SEQ2SEQ_CONFIG,
  score: choice('general', ['dot', 'general', 'concat', 'location'], 'Luong score'),
  maxSourceLength: int(
    100,
    1,
    8192,
    'source positions the location score covers (longer training pairs are dropped, longer inputs an error)',
  ),
  inputFeeding: bool(true, 'feed the attentional state back in', { flag: 'no-input-feeding' }),
};

export type RNNSeq2SeqConfig = ConfigOf<typeof RNN_SEQ2SEQ_CONFIG>;
export type GruBahdanauConfig = ConfigOf<typeof GRU_BAHDANAU_CONFIG>;
export type GruLuongConfig = ConfigOf<typeof GRU_LUONG_CONFIG>;

/** entmaxAlpha goes with the entmax normaliser only (../normalizer-config.ts). */
export function checkRnnSeq2Seq(config: RNNSeq2SeqConfig): string | null {
  return checkNormalizerConfig(config);
}

/**
 * The dot score compares decoder and encoder states directly, so both must be H wide; maxSourceLength is the
 * location score's alone.
 */
export function checkGruLuong(config: GruLuongConfig): string | null {
  if (config.score === 'dot' && config.bidirectional)
    return 'the dot score needs a unidirectional encoder (bidirectional false)';
  if (config.score !== 'location' && config.maxSourceLength !== GRU_LUONG_CONFIG.maxSourceLength.default)
    return `maxSourceLength applies to the location score only, got score ${config.score}`;
  return checkRnnSeq2Seq(config);
}
