export {
  TransformerSeq2Seq,
  OutputProjection,
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
export { TRANSFORMER_CONFIG, type TransformerConfig } from './config.js';
