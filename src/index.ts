/**
 * attn — attention models in TypeScript. This entry point is the browser-safe core: tensors, autograd, ops,
 * kernels, attention and safetensors encoding. File I/O and the native backend live in `attn/node`.
 */
export * from './tensor/index.js';
export * from './fused/index.js';
export { getBackend, setBackend, setKernelChecks, jsBackend } from './backend/registry.js';
export type {
  Backend,
  MatmulArgs,
  UnaryOp,
  BinaryOp,
  CompareOp,
  ReduceOp,
  CrossEntropyArgs,
} from './backend/kernels.js';
export * from './nn/index.js';
export * from './attention/index.js';
export * from './models/index.js';
export { VERSION } from './version.js';
export * from './io/index.js';
export * from './data/index.js';
export * from './decode/index.js';
export * from './optim/index.js';
export * from './train/metrics/index.js';
export * from './train/index.js';
export * from './viz/index.js';
export * from './inference/index.js';
