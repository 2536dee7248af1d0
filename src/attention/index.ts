export {
  scaledDotProductAttention,
  type ScaledDotProductOptions,
  type AttentionResult,
} from './scaled-dot-product.js';
export { causalMask, paddingMaskFromLengths, applyMasks, checkMasks } from './masks.js';
export { Padding, type PaddingLike } from './padding.js';
export { attend, maskScores, type AttendOptions, type Attended } from './pipeline.js';
export { AttentionPooling, type AttentionPoolingResult } from './pooling.js';
export {
  Attention,
  lastKeyPositions,
  type AttentionOptions,
  type AttentionCallOptions,
  type AttentionOutput,
} from './attention.js';
export { DotAttention, ScaledDotAttention } from './dot.js';
export { GeneralAttention, BilinearAttention } from './general.js';
export { AdditiveAttention, BahdanauAttention } from './additive.js';
export { ConcatAttention } from './concat.js';
export { luongAttention, LUONG_SCORES, type LuongScore, type LuongAttentionOptions } from './luong.js';
export { LocationAttention } from './location.js';
export { outsideWindow, gaussianWindow, type LocalWindow, type LocalKind } from './local.js';
export {
  MultiHeadAttention,
  type MultiHeadAttentionOptions,
  type MultiHeadAttentionForwardOptions,
  type MultiHeadAttentionResult,
  type MultiHeadAttentionCache,
} from './multihead.js';
export {
  softmax,
  sparsemax,
  hardAttention,
  gumbelSoftmax,
  normalize,
  checkNormalizer,
  NORMALIZERS,
  DEFAULT_ENTMAX_ALPHA,
  type Normalizer,
  type NormalizeOptions,
  type GumbelSoftmaxOptions,
} from './normalizers.js';
export {
  ATTENTION_POSITIONS,
  alibiSlopes,
  alibiBias,
  relativeIndex,
  attendWithPositions,
  type AttentionPositions,
  type PositionedAttention,
} from './positions.js';
