/**
 * Choosing the backend in Node: native when the addon loads, unless ATTN_BACKEND=js|native or a call to
 * useBackend says otherwise. Asking for native where it cannot load is an error; falling back silently is not
 * allowed, but the automatic choice falls back to JavaScript and says so once on stderr.
 */
import { getBackend, jsBackend, setBackend, setKernelChecks } from '../registry.js';
import type { Backend } from '../kernels.js';
import { createNativeBackend } from './backend.js';
import { loadAddon } from './load.js';

export type BackendName = 'js' | 'native';

let native: Backend | undefined;
let warned = false;

function nativeOrError(): Backend | Error {
  if (native) return native;
  const loaded = loadAddon();
  if (!loaded.ok) return new Error(`the native backend is unavailable: ${loaded.reason}`);
  native = createNativeBackend(loaded.addon);
  return native;
}

/** Makes `name` the backend every op runs on; throws when native is asked for and cannot load. */
export function useBackend(name: BackendName): void {
  if (name === 'js') {
    setBackend(jsBackend);
    return;
  }
  if (name !== 'native') throw new Error(`unknown backend '${String(name)}' (expected 'js' or 'native')`);
  const backend = nativeOrError();
  if (backend instanceof Error) throw backend;
  setBackend(backend);
}

/**
 * The start-up choice: ATTN_BACKEND when set, else native if it loads, else JavaScript with one warning.
 * ATTN_CHECK_KERNELS=1 also checks every kernel call against the kernel table (see src/backend/check.ts).
 */
export function installDefaultBackend(env: NodeJS.ProcessEnv = process.env): void {
  if (env.ATTN_CHECK_KERNELS === '1') setKernelChecks(true);
  const requested = env.ATTN_BACKEND?.trim();
  if (requested) {
    if (requested !== 'js' && requested !== 'native')
      throw new Error(`ATTN_BACKEND must be 'js' or 'native', got '${requested}'`);
    useBackend(requested);
    return;
  }
  const backend = nativeOrError();
  if (backend instanceof Error) {
    if (!warned) process.stderr.write(`attn: ${backend.message}; using the JavaScript backend\n`);
    warned = true;
    setBackend(jsBackend);
    return;
  }
  setBackend(backend);
}

export interface BackendInfo {
  name: string;
  threads: number;
  /** 'avx512f+avx2+fma', 'avx2+fma' or 'portable' for native; 'none' for JavaScript. */
  simd: string;
}

/**
 * Batch-invariant kernels: a row's result has the same bits whatever rows are computed beside it and whatever
 * masked padding follows it, so a request decoded in a batch gets the answer it gets alone. The JavaScript
 * kernels always are (they sum in order); the native addon switches its matrix-vector and vector-softmax paths
 * off (a little slower for one request at a time), for the calling thread only: each worker_thread chooses.
 */
export function setBatchInvariantKernels(on: boolean): void {
  if (getBackend().name !== 'native') return;
  const loaded = loadAddon();
  if (!loaded.ok)
    throw new Error(`setBatchInvariantKernels: the native backend is unavailable: ${loaded.reason}`);
  loaded.addon.setBatchInvariant(on);
}

/** What the current backend is and how many threads it runs. */
export function backendInfo(): BackendInfo {
  const current = getBackend();
  const loaded = loadAddon();
  if (current.name === 'native' && loaded.ok) {
    const { threads, simd } = loaded.addon.info();
    return { name: current.name, threads, simd };
  }
  return { name: current.name, threads: 1, simd: 'none' };
}
