export { type TransformerActivation, type TransformerLayerOptions } from './common.js';
export {
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderLayerForwardOptions,
  type TransformerEncoderLayerResult,
} from './encoder-layer.js';
export {
  TransformerDecoderLayer,
  type TransformerDecoderLayerOptions,
  type TransformerDecoderLayerForwardOptions,
  type TransformerDecoderLayerResult,
  type TransformerDecoderLayerCache,
} from './decoder-layer.js';
export {
  TransformerEncoder,
  type TransformerEncoderOptions,
  type TransformerEncoderForwardOptions,
  type TransformerEncoderResult,
} from './encoder.js';
export {
  TransformerDecoder,
  type TransformerDecoderOptions,
  type TransformerDecoderForwardOptions,
  type TransformerDecoderResult,
} from './decoder.js';
export {
  SinusoidalPositionalEncoding,
  type PositionalEncodingOptions,
  type PositionalEncodingForwardOptions,
} from './sinusoidal-positional-encoding.js';
export { LearnedPositionalEncoding } from './learned-positional-encoding.js';
