/**
 * Loads the compiled addon (build/Release/attn.node, built by `npm install`) with Node's require. Node-only:
 * src/index.ts must never reach this file (the browser-safe test walks its imports).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './addon.js';

export type LoadResult = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

// Same relative path from src/backend/native/ (tests, tsx) and dist/backend/native/ (the package).
const ADDON_URL = new URL('../../../build/Release/attn.node', import.meta.url);

let cached: LoadResult | undefined;

export function loadAddon(): LoadResult {
  if (cached) return cached;
  const path = fileURLToPath(ADDON_URL);
  if (!existsSync(path)) {
    cached = { ok: false, reason: `${path} was not built (run npm install with a C++ toolchain)` };
    return cached;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    cached = { ok: true, addon, path };
  } catch (error) {
    cached = { ok: false, reason: `${path} failed to load: ${(error as Error).message}` };
  }
  return cached;
}
