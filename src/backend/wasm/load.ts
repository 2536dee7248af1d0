/**
 * Loads the WebAssembly backend's module from disk (wasm/, which ships in the package). Node-only: src/index.ts
 * must never reach this file (a browser fetches the module by URL instead).
 *
 * With more than one thread (the cores, or ATTN_THREADS as for the native addon) it loads a threaded module, whose
 * workers are worker_threads; with one, a single-threaded one. Each comes with relaxed SIMD where V8 validates it
 * (Node ≥ 22), else plain SIMD128 (src/backend/wasm/features.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { NativeAddon } from '../native/addon.js';
import { instantiateWasmAddon } from './addon.js';
import { relaxedSimdAvailable, wasmModuleFile } from './features.js';
import { instantiateThreadedWasmAddon, WORKER_START, type SpawnWorker } from './threads.js';

export type WasmLoadResult = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

// Same relative path from src/backend/wasm/ (tests, tsx) and dist/backend/wasm/ (the package).
const WASM_DIR = new URL('../../../wasm/', import.meta.url);

let cached: WasmLoadResult | undefined;

/** The thread count: ATTN_THREADS when set (as the native pool reads it), else the cores. */
export function wasmThreads(env: NodeJS.ProcessEnv = process.env): number {
  const set = env.ATTN_THREADS?.trim();
  if (set) {
    const n = Number(set);
    if (Number.isInteger(n) && n >= 1) return Math.min(n, 64);
  }
  return Math.max(1, availableParallelism());
}

/** A worker_thread's program: WORKER_START, given its workerData, replying through its parent port. */
const NODE_WORKER = `${WORKER_START}
const threads = require('node:worker_threads');
start(threads.workerData, (reply) => threads.parentPort.postMessage(reply));
`;

/**
 * worker_threads that do not keep the process alive (they sleep in the module between jobs). A worker whose
 * loop ended (a trap) is reported once on stderr; the call it broke throws.
 */
export const spawnNodeWorker: SpawnWorker = (start, onReply) => {
  const worker = new Worker(NODE_WORKER, { eval: true, workerData: start });
  worker.on('message', onReply);
  worker.on('error', (error) => onReply({ error: error.message }));
  worker.unref();
};

export function loadWasm(): WasmLoadResult {
  if (cached) return cached;
  const threads = wasmThreads();
  const file = wasmModuleFile({ threads: threads > 1, relaxed: relaxedSimdAvailable() });
  const path = fileURLToPath(new URL(file, WASM_DIR));
  if (!existsSync(path)) {
    cached = { ok: false, reason: `${path} is missing (run node scripts/build-wasm.mjs)` };
    return cached;
  }
  try {
    const bytes = readFileSync(path);
    const addon =
      threads > 1
        ? instantiateThreadedWasmAddon(new WebAssembly.Module(bytes), threads, spawnNodeWorker, (reply) => {
            if ('error' in reply)
              process.stderr.write(`attn: a wasm worker thread stopped: ${reply.error}\n`);
          })
        : instantiateWasmAddon(bytes);
    cached = { ok: true, addon, path };
  } catch (error) {
    cached = { ok: false, reason: `${path} failed to load: ${(error as Error).message}` };
  }
  return cached;
}
