export {
  Optimizer,
  type OptimizerOptions,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamsInput,
  type ParamStateEntry,
  type HyperValue,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamBase, type AdamOptions } from './adam.js';
export { AdamW } from './adamw.js';
export {
  constant,
  warmupInverseSqrt,
  cosineWithWarmup,
  LRScheduler,
  type Schedule,
  type LRSchedulerState,
} from './schedules.js';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from './clip.js';
