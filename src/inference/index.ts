/**
 * Inference (browser-safe): the model registry (re-exported from src/models/registry.ts), the checkpoint's
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
  architectureInfo,
  architecturesOf,
  buildModel,
  isArchitecture,
  validateConfig,
  type ArchitectureInfo,
  type BuiltModel,
  type ModelConfig,
  type ModelSizes,
  type TranslationNetwork,
} from '../models/registry.js';
export type {
  BooleanField,
  ChoiceField,
  ConfigField,
  ConfigOf,
  ConfigSpec,
  ConfigValue,
  NumberField,
} from '../models/config.js';
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
