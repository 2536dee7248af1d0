/**
 * attn for browsers, the `attn/browser` export: the core (everything `attn` exports) and the WebAssembly
 * backend, with no Node built-ins. `npm run build` bundles this file into one ES module, dist/browser/index.js,
 * and copies the four modules of wasm/ beside it (scripts/build-browser.mjs), so the folder can be served as it is.
 *
 *   import { initWasm, ... } from 'attn/browser';
 *   await initWasm(); // fetches the module this page can run from beside the bundle; or { base }, { url }, ...
 *
 * Until initWasm resolves, ops run on the JavaScript reference; if the module cannot load they stay there (one
 * console line says why). Import everything from this one entry: mixing it with `attn` gives two copies of the
 * core whose tensors do not mix.
 */
import type { BackendInfo } from '../backend/choice.js';
import { initWasm as initWasmFrom, type WasmOptions, type WasmSource } from '../backend/wasm/browser.js';

export * from '../index.js';
export { backendInfo, useBackend, type WasmOptions, type WasmSource } from '../backend/wasm/browser.js';
export type { BackendInfo, BackendName } from '../backend/choice.js';

/**
 * The folder of the modules shipped beside the bundle (dist/browser/attn*.wasm next to dist/browser/index.js):
 * attn.wasm, attn-threads.wasm (cross-origin isolated pages), and both with relaxed SIMD.
 */
export const DEFAULT_WASM_BASE = new URL('./', import.meta.url);

/**
 * Loads the WebAssembly backend (by default the module this page can run from DEFAULT_WASM_BASE: threads where
 * the page is cross-origin isolated, relaxed SIMD where the engine has it) and makes it the one every op runs on;
 * falls back to the JavaScript reference with one console line when it cannot load. Resolves to backendInfo().
 */
export function initWasm(
  source: WasmSource = { base: DEFAULT_WASM_BASE },
  options: WasmOptions = {},
): Promise<BackendInfo> {
  return initWasmFrom(source, options);
}
