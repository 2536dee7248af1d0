export {
  TransformerSeq2Seq,
  OutputProjection,
  type TransformerSeq2SeqOptions,
  type TransformerSeq2SeqWeights,
  type TransformerEncoding,
} from './model.js';
export {
  TransformerSeq2SeqStepper,
  type TransformerStepperOptions,
  type TransformerStepperState,
} from './stepper.js';
