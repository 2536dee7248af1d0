export { Module, type StateDict, type LoadStateDictResult } from './module.js';
export { Linear, type LinearOptions } from './linear.js';
export * as init from './init.js';
