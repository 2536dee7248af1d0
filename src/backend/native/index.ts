/** The native (C++ addon) backend: Node-only, reached from src/node.ts and the CLI, never from src/index.ts. */
export { createNativeBackend } from './backend.js';
export { loadAddon, type LoadResult } from './load.js';
export type { NativeAddon } from './addon.js';
export {
  backendInfo,
  installDefaultBackend,
  useBackend,
  type BackendInfo,
  type BackendName,
} from './select.js';
