/**
 * Loads the WebAssembly backend's module (wasm/attn.wasm, which ships in the package) from disk. Node-only:
 * src/index.ts must never reach this file (a browser fetches the module by URL instead).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from '../native/addon.js';
import { instantiateWasmAddon } from './addon.js';

export type WasmLoadResult = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

// Same relative path from src/backend/wasm/ (tests, tsx) and dist/backend/wasm/ (the package).
const WASM_URL = new URL('../../../wasm/attn.wasm', import.meta.url);

let cached: WasmLoadResult | undefined;

export function loadWasm(): WasmLoadResult {
  if (cached) return cached;
  const path = fileURLToPath(WASM_URL);
  if (!existsSync(path)) {
    cached = { ok: false, reason: `${path} is missing (run node scripts/build-wasm.mjs)` };
    return cached;
  }
  try {
    cached = { ok: true, addon: instantiateWasmAddon(readFileSync(path)), path };
  } catch (error) {
    cached = { ok: false, reason: `${path} failed to load: ${(error as Error).message}` };
  }
  return cached;
}
