/**
 * attn for browsers, the `attn/browser` export: the core (everything `attn` exports) and the WebAssembly
 * backend, with no Node built-ins. `npm run build` bundles this file into one ES module, dist/browser/index.js,
 * and copies wasm/attn.wasm beside it (scripts/build-browser.mjs), so the folder can be served as it is.
 *
 *   import { initWasm, ... } from 'attn/browser';
 *   await initWasm(); // fetches ./attn.wasm beside the bundle; or { url }, { bytes }, { module }
 *
 * Until initWasm resolves, ops run on the JavaScript reference; if the module cannot load they stay there (one
 * console line says why). Import everything from this one entry: mixing it with `attn` gives two copies of the
 * core whose tensors do not mix.
 */
import type { BackendInfo } from '../backend/choice.js';
import { initWasm as initWasmFrom, type WasmSource } from '../backend/wasm/browser.js';

export * from '../index.js';
export { backendInfo, useBackend, type WasmSource } from '../backend/wasm/browser.js';
export type { BackendInfo, BackendName } from '../backend/choice.js';

/** The module shipped beside the bundle: dist/browser/attn.wasm next to dist/browser/index.js. */
export const DEFAULT_WASM_URL = new URL('./attn.wasm', import.meta.url);

/**
 * Loads the WebAssembly backend (by default from DEFAULT_WASM_URL) and makes it the one every op runs on; falls
 * back to the JavaScript reference with one console line when it cannot load. Resolves to backendInfo().
 */
export function initWasm(source: WasmSource = { url: DEFAULT_WASM_URL }): Promise<BackendInfo> {
  return initWasmFrom(source);
}
