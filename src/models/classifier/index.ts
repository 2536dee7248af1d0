export {
  AttentionClassifier,
  type AttentionClassifierOptions,
  type AttentionClassifierResult,
  type ClassifierPadding,
} from './classifier.js';
export { AttentionPooling, type AttentionPoolingResult } from './attention-pooling.js';
export {
  BIGRU_ATTENTION_CONFIG,
  TRANSFORMER_CLS_CONFIG,
  type BigruAttentionConfig,
  type TransformerClsConfig,
} from './config.js';
