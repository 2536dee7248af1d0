/** The WebAssembly backend: the addon's kernels compiled to wasm/attn.wasm, behind the native backend's forwarders. */
export { createWasmAddon, instantiateWasmAddon, instantiateWasmAddonAsync } from './addon.js';
export { backendInfo, initWasm, useBackend, type WasmSource } from './browser.js';
