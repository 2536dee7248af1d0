export { Module, type StateDict, type LoadStateDictResult } from './module.js';
export { Linear, type LinearOptions } from './linear.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { LayerNorm, type LayerNormOptions } from './layer-norm.js';
export { Dropout } from './dropout.js';
export * as init from './init.js';
export { GRUCell, LSTMCell, type LSTMState, type RNNCellOptions } from './rnn-cell.js';
export {
  GRU,
  LSTM,
  type RNNOptions,
  type RNNForwardOptions,
  type GRUResult,
  type LSTMResult,
} from './rnn.js';
