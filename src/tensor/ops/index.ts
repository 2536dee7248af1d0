export {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  where,
  maskedFill,
} from './binary.js';
export {
  neg,
  exp,
  log,
  sqrt,
  abs,
  tanh,
  sigmoid,
  relu,
  gelu,
  sign,
  square,
  reciprocal,
  clamp,
} from './elementwise.js';
export { sum, mean, max, min, logsumexp, variance, argmax, argmin, sumTo, type Axes } from './reduce.js';
export { softmax, logSoftmax } from './softmax.js';
export { entmax15, entmaxBisect, sparsemax } from './sparsemax.js';
export { rotary, type RotaryOptions } from './rotary.js';
export { unbind } from './unbind.js';
export { gruCell, lstmCell } from './recurrent.js';
export { linear, type LinearOpOptions } from './linear.js';
export { matmul, type MatmulOptions } from './matmul.js';
export {
  reshape,
  flatten,
  permute,
  transpose,
  squeeze,
  unsqueeze,
  expand,
  slice,
  concat,
  stack,
  split,
  cast,
} from './shape.js';
export { indexSelect, embedding, gather, oneHot } from './indexing.js';
export { crossEntropy, type CrossEntropyOptions } from './loss.js';
export { layerNorm } from './normalization.js';
export { dropout } from './dropout.js';
