/**
 * attn for Node.js: everything in the core plus what needs Node (files; the native backend in a later step).
 */
export * from './index.js';
export { readSafetensorsFile, writeSafetensorsFile } from './io/safetensors-file.js';
export { writeFileAtomic } from './io/atomic-write.js';
