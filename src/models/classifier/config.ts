/**
 * The `attn` configurations of the attention-pooling classifiers: `bigru-attention` (a BiGRU encoder) and
 * `transformer-cls` (a Transformer encoder); padding id 0, vocabulary size and classes from the data. See
 * ../config.ts for how a declaration is read. `normalizer` and `entmaxAlpha` are the pooling attention's.
 */
import { float, int, type ConfigOf } from '../config.js';
import { positionFields } from '../transformer-seq2seq/config.js';
import { NORMALIZER_CONFIG } from '../normalizer-config.js';

export const BIGRU_ATTENTION_CONFIG = {
  embeddingDim: int(128, 1, 4096, 'embedding width'),
  hiddenSize: int(128, 1, 4096, 'GRU hidden size per direction'),
  numLayers: int(1, 1, 8, 'GRU layers', { flag: 'layers' }),
  attentionUnits: int(0, 0, 4096, 'width of the pooling attention (0: the encoder output size)'),
  dropout: float(0.3, 0, 0.9, 'dropout probability while training'),
  ...NORMALIZER_CONFIG,
};

export const TRANSFORMER_CLS_CONFIG = {
  dModel: int(128, 1, 4096, 'model width (the embedding width)'),
  nhead: int(4, 1, 64, 'attention heads (must divide dModel)', { flag: 'heads' }),
  numLayers: int(2, 1, 24, 'encoder layers', { flag: 'layers' }),
  dimFeedforward: int(512, 1, 16384, 'feed-forward hidden size', { flag: 'ff-dim' }),
  attentionUnits: int(0, 0, 4096, 'width of the pooling attention (0: the model width)'),
  dropout: float(0.1, 0, 0.9, 'dropout probability while training'),
  maxLen: int(512, 1, 8192, 'longest input sequence'),
  ...positionFields(),
  ...NORMALIZER_CONFIG,
};

export type BigruAttentionConfig = ConfigOf<typeof BIGRU_ATTENTION_CONFIG>;
export type TransformerClsConfig = ConfigOf<typeof TRANSFORMER_CLS_CONFIG>;
