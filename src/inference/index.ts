/**
 * Inference (browser-safe): the model registry (architectures, hyper-parameters, building), the checkpoint's
 * model configuration, and predictors that translate or classify text with a trained model, returning tokens,
 * scores and attention as plain data. Loading from a directory is in `./node/` (`loadPredictor`).
 */
export type {
  Architecture,
  TaskKind,
  TranslateOptions,
  AttentionWeights,
  TranslationHypothesis,
  TranslationResult,
  ClassificationResult as ClassificationPrediction,
  PredictorInfo,
  Predictor,
} from './types.js';
export {
  ARCHITECTURES,
  architectureSpec,
  architecturesOf,
  buildModel,
  isArchitecture,
  resolveModelConfig,
  type ArchitectureSpec,
  type BuiltModel,
  type HyperParameterSpec,
  type HyperParameterValue,
  type ModelSizes,
} from './registry.js';
export {
  BahdanauTranslator,
  LuongTranslator,
  TransformerTranslator,
  type Translator,
} from './translators.js';
export {
  MODEL_CONFIG_FORMAT,
  MODEL_CONFIG_VERSION,
  parseModelConfig,
  type ModelCheckpointConfig,
} from './model-config.js';
export {
  createPredictor,
  attentionOf,
  MAX_BEAM_SIZE,
  type BatchPredictor,
  type PredictorParts,
  type PredictorTokenizers,
} from './predictor.js';
export {
  predictorFromCheckpoint,
  checkpointConfig,
  checkpointTokenizers,
  checkpointModel,
  type CheckpointParts,
} from './from-checkpoint.js';
