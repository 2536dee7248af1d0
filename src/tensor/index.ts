export { Tensor, type NestedArray } from './tensor.js';
export type { DType, DataArray } from './dtype.js';
export { type Shape, formatShape, broadcastShapes } from './shape.js';
export { AttnError, NonFiniteError } from './errors.js';
export { noGrad, isGradEnabled, type GradFn } from './autograd.js';
export { setCheckFinite, isCheckFiniteEnabled } from './debug.js';
export { Generator, defaultGenerator, manualSeed, type GeneratorState } from './random.js';
export * from './creation.js';
export * from './ops/index.js';
