export type { DecoderStepper, StepResult, DecodeOptions, Hypothesis } from './stepper.js';
export { greedyDecode } from './greedy.js';
export { beamSearch, type BeamSearchOptions } from './beam.js';
export { sampleDecode, type SampleOptions } from './sample.js';
