/**
 * Choosing the backend in a browser: the WebAssembly module when it loads, else the JavaScript reference. A page
 * has no synchronous way to fetch and compile the module, so the choice is made by one awaited call, initWasm,
 * before the first op that should run on wasm (ops before it run on the reference, which gives the same results
 * to float32 tolerance). Same rule as Node's chooser (src/backend/native/select.ts): the automatic choice falls
 * back with one console line saying why; asking for a backend that cannot load, useBackend('wasm'), throws.
 * Browser-safe: no Node imports.
 */
import { BACKEND_NAMES, type BackendInfo, type BackendName } from '../choice.js';
import type { Backend } from '../kernels.js';
import type { NativeAddon } from '../native/addon.js';
import { createNativeBackend } from '../native/backend.js';
import { getBackend, jsBackend, setBackend } from '../registry.js';
import { instantiateWasmAddonAsync } from './addon.js';

/** Where the module comes from: a URL to fetch, its bytes, or a module compiled already. */
export type WasmSource =
  { url: string | URL; fetch?: typeof fetch } | { bytes: BufferSource } | { module: WebAssembly.Module };

let wasm: { addon: NativeAddon; backend: Backend } | undefined;
let failure = 'initWasm has not been called';
let because = 'the JavaScript reference (initWasm has not run)';
let warned = false;

async function instantiate(source: WasmSource): Promise<NativeAddon> {
  if ('bytes' in source) return instantiateWasmAddonAsync(source.bytes);
  if ('module' in source) return instantiateWasmAddonAsync(source.module);
  const get = source.fetch ?? fetch;
  return instantiateWasmAddonAsync(await get(source.url));
}

function describe(source: WasmSource): string {
  return 'url' in source ? String(source.url) : 'bytes' in source ? 'the bytes given' : 'the module given';
}

/**
 * Loads the WebAssembly module and makes it the backend every op runs on; when it cannot load (no WebAssembly,
 * a failed fetch, bad bytes) the JavaScript reference stays, with one console.warn saying why. Resolves to
 * backendInfo(). Calling it again once loaded only reinstalls the loaded module.
 */
export async function initWasm(source: WasmSource): Promise<BackendInfo> {
  if (!wasm) {
    try {
      if (typeof WebAssembly === 'undefined') throw new Error('this engine has no WebAssembly');
      const addon = await instantiate(source);
      wasm = { addon, backend: createNativeBackend(addon, 'wasm') };
    } catch (error) {
      failure = `the wasm backend is unavailable: ${describe(source)} failed to load: ${(error as Error).message}`;
      if (!warned) console.warn(`attn: ${failure}; using the js backend`);
      warned = true;
      setBackend(jsBackend);
      because = failure;
      return backendInfo();
    }
  }
  setBackend(wasm.backend);
  because = 'the wasm module loaded';
  return backendInfo();
}

/**
 * Makes `name` the backend every op runs on: 'js' always; 'wasm' once initWasm has loaded it (else throws,
 * saying why); 'native' never (a browser has no addon).
 */
export function useBackend(name: BackendName): void {
  if (!BACKEND_NAMES.includes(name))
    throw new Error(`unknown backend '${String(name)}' (expected 'js', 'native' or 'wasm')`);
  if (name === 'native') throw new Error('the native backend is unavailable in a browser (use wasm or js)');
  if (name === 'wasm' && !wasm) throw new Error(failure);
  setBackend(name === 'wasm' ? wasm!.backend : jsBackend);
  because = 'chosen';
}

/** What the current backend is, how many threads it runs and why it runs. */
export function backendInfo(): BackendInfo {
  const current = getBackend();
  if (current.name === 'wasm' && wasm) {
    const { threads, simd } = wasm.addon.info();
    return { name: 'wasm', threads, simd, reason: because };
  }
  return { name: current.name, threads: 1, simd: 'none', reason: because };
}
