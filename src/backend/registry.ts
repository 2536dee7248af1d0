/**
 * Which backend runs the kernels. The core starts on the JavaScript reference; the Node entry point installs
 * the native backend when its addon loads. Nothing above src/backend asks which one runs.
 */
import { jsBackend } from './js/index.js';
import type { Backend } from './kernels.js';

let current: Backend = jsBackend;

export function getBackend(): Backend {
  return current;
}

export function setBackend(backend: Backend): void {
  current = backend;
}

export { jsBackend };
