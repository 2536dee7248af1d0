export {
  scaledDotProductAttention,
  causalMask,
  type ScaledDotProductOptions,
  type AttentionResult,
} from './scaled-dot-product.js';
