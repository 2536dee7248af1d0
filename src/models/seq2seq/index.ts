export { RNNEncoder, type RNNEncoderOptions, type RNNEncoderResult, type RNNState } from './rnn-encoder.js';
export type {
  RNNDecoderOptions,
  RNNDecoderState,
  RNNDecoderStepResult,
  RNNDecoderCoreResult,
  RNNDecoderWeights,
} from './decoder-parts.js';
export {
  runDecoder,
  teacherForcedFused,
  teacherForcedSteps,
  type RNNAttentionDecoder,
  type RNNDecoderForwardOptions,
  type RNNDecoderForwardResult,
} from './decoder-runner.js';
export { BahdanauDecoder, type BahdanauDecoderOptions } from './bahdanau-decoder.js';
export { LuongDecoder, type LuongDecoderOptions } from './luong-decoder.js';
export {
  RNNSeq2Seq,
  type RNNSeq2SeqOptions,
  type RNNSourcePadding,
  type RNNSeq2SeqForwardOptions,
  type RNNSeq2SeqLossOptions,
  type RNNSeq2SeqOutput,
  type RNNSeq2SeqLoss,
  type RNNEncoding,
} from './rnn-seq2seq.js';
export { BahdanauSeq2Seq, type BahdanauSeq2SeqOptions } from './bahdanau-seq2seq.js';
export { LuongSeq2Seq, type LuongSeq2SeqOptions } from './luong-seq2seq.js';
export { RNNSeq2SeqStepper } from './rnn-seq2seq-stepper.js';
export type { RNNCellKind } from './recurrence.js';
export {
  GRU_BAHDANAU_CONFIG,
  GRU_LUONG_CONFIG,
  type GruBahdanauConfig,
  type GruLuongConfig,
} from './config.js';
export { RNN_SEQ2SEQ_CONFIG, type RNNSeq2SeqConfig } from './config.js';
