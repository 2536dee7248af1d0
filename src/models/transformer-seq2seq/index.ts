export {
  TransformerSeq2Seq,
  OutputProjection,
  EmbeddingDropout,
  type TransformerSeq2SeqOptions,
  type TransformerSeq2SeqLossOptions,
  type TransformerSeq2SeqWeights,
  type TransformerEncoding,
} from './model.js';
export {
  TransformerSeq2SeqStepper,
  type TransformerStepperOptions,
  type TransformerStepperState,
} from './stepper.js';
export {
  TRANSFORMER_CONFIG,
  TRANSFORMER_POSITIONS,
  type TransformerConfig,
  type TransformerPositions,
} from './config.js';
