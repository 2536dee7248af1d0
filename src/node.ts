/**
 * attn for Node.js: everything in the core plus what needs Node: files, and the native backend, installed on
 * import when its addon loads (ATTN_BACKEND=js|native or useBackend() choose otherwise).
 */
export * from './index.js';
export { readSafetensorsFile, writeSafetensorsFile } from './io/safetensors-file.js';
export { writeFileAtomic } from './io/atomic-write.js';
export * from './data/node/index.js';
export * from './train/node/index.js';
export * from './viz/node/index.js';
export * from './inference/node/index.js';
export { backendInfo, useBackend, type BackendInfo, type BackendName } from './backend/native/index.js';

import { installDefaultBackend } from './backend/native/select.js';
import { hasUninitialisedAllocator, setUninitialisedAllocator } from './tensor/storage.js';
installDefaultBackend();
// Outputs that their kernel overwrites skip the zero fill (see src/tensor/storage.ts).
if (!hasUninitialisedAllocator()) {
  setUninitialisedAllocator((n) => new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n));
}
export { exportOnnx, exportPyTorch, EXPORT_FORMATS } from './export/index.js';
