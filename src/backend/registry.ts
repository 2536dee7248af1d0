/**
 * Which backend runs the kernels. The core starts on the JavaScript reference; the Node entry point installs
 * the native backend when its addon loads. Nothing above src/backend asks which one runs. With kernel checks on,
 * the installed backend checks every call against the kernel table (check.ts); off, calls go straight to it.
 */
import { checkedBackend } from './check.js';
import { jsBackend } from './js/index.js';
import type { Backend } from './kernels.js';

let chosen: Backend = jsBackend;
let current: Backend = jsBackend;
let checks = false;

export function getBackend(): Backend {
  return current;
}

export function setBackend(backend: Backend): void {
  chosen = backend;
  current = checks ? checkedBackend(backend) : backend;
}

/** Turns the table's argument checks on or off for every kernel call (on in tests; ATTN_CHECK_KERNELS=1 in Node). */
export function setKernelChecks(on: boolean): void {
  checks = on;
  setBackend(chosen);
}

export { jsBackend };
