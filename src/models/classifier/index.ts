export {
  AttentionClassifier,
  type AttentionClassifierOptions,
  type AttentionClassifierResult,
  type ClassifierPadding,
} from './classifier.js';
export { AttentionPooling, type AttentionPoolingResult } from './attention-pooling.js';
