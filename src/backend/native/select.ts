/**
 * Choosing the backend in Node: native when the addon loads, else the WebAssembly module, else the JavaScript
 * reference, unless ATTN_BACKEND=js|native|wasm or a call to useBackend says otherwise. Asking for a backend that
 * cannot load is an error; falling back silently is not allowed, so the automatic choice says once on stderr
 * why it did not get native.
 */
import { BACKEND_NAMES as NAMES, type BackendInfo, type BackendName } from '../choice.js';
import { getBackend, jsBackend, setBackend, setKernelChecks } from '../registry.js';
import type { Backend } from '../kernels.js';
import { loadWasm } from '../wasm/load.js';
import type { NativeAddon } from './addon.js';
import { createNativeBackend } from './backend.js';
import { loadAddon } from './load.js';

export type { BackendInfo, BackendName };

const made: Partial<Record<'native' | 'wasm', Backend>> = {};
let warned = false;
/** Why the installed backend runs (attn info prints it). */
let because = 'the JavaScript reference (no backend installed yet)';

/** The addon or module behind a compiled backend, or why it is unavailable. */
function loadCompiled(name: 'native' | 'wasm'): { addon: NativeAddon } | { reason: string } {
  const loaded = name === 'native' ? loadAddon() : loadWasm();
  return loaded.ok ? { addon: loaded.addon } : { reason: loaded.reason };
}

function compiledOrError(name: 'native' | 'wasm'): Backend | Error {
  const existing = made[name];
  if (existing) return existing;
  const loaded = loadCompiled(name);
  if ('reason' in loaded) return new Error(`the ${name} backend is unavailable: ${loaded.reason}`);
  return (made[name] = createNativeBackend(loaded.addon, name));
}

/** Makes `name` the backend every op runs on; throws when native or wasm is asked for and cannot load. */
export function useBackend(name: BackendName): void {
  if (!NAMES.includes(name))
    throw new Error(`unknown backend '${String(name)}' (expected 'js', 'native' or 'wasm')`);
  if (name === 'js') {
    setBackend(jsBackend);
    because = 'chosen';
    return;
  }
  const backend = compiledOrError(name);
  if (backend instanceof Error) throw backend;
  setBackend(backend);
  because = 'chosen';
}

/**
 * The start-up choice: ATTN_BACKEND when set, else native if its addon loads and has SIMD kernels for this CPU,
 * else wasm if its module loads (one line on stderr says why native did not), else JavaScript.
 * ATTN_CHECK_KERNELS=1 also checks every kernel call against the kernel table (see src/backend/check.ts).
 */
export function installDefaultBackend(env: NodeJS.ProcessEnv = process.env): void {
  if (env.ATTN_CHECK_KERNELS === '1') setKernelChecks(true);
  const requested = env.ATTN_BACKEND?.trim();
  if (requested) {
    if (!NAMES.includes(requested as BackendName))
      throw new Error(`ATTN_BACKEND must be 'js', 'native' or 'wasm', got '${requested}'`);
    useBackend(requested as BackendName);
    because = 'ATTN_BACKEND';
    return;
  }
  let native = compiledOrError('native');
  // An addon with no SIMD kernels for this CPU (an ARM machine, an x86 one without AVX2) would run its portable
  // loops, which the WebAssembly module's SIMD128 kernels outrun; ATTN_NO_SIMD=1 asks for the portable loops.
  if (!(native instanceof Error) && nativeLacksSimd()) {
    native = new Error(
      'the native backend has no SIMD kernels for this CPU (it would run its portable loops; ATTN_BACKEND=native ' +
        'runs them anyway)',
    );
  }
  if (!(native instanceof Error)) {
    setBackend(native);
    because = 'the native addon loaded';
    return;
  }
  const wasm = compiledOrError('wasm');
  const fallback = wasm instanceof Error ? jsBackend : wasm;
  const note = wasm instanceof Error ? `; ${wasm.message}` : '';
  if (!warned) process.stderr.write(`attn: ${native.message}; using the ${fallback.name} backend${note}\n`);
  warned = true;
  setBackend(fallback);
  because = `${native.message}${note}`;
}

/** True when the loaded addon has no SIMD kernels for this CPU (not when ATTN_NO_SIMD or a test forced them off). */
function nativeLacksSimd(): boolean {
  const loaded = loadCompiled('native');
  return 'addon' in loaded && loaded.addon.info().portableReason === 'cpu';
}

/**
 * Batch-invariant kernels: a row's result has the same bits whatever rows are computed beside it and whatever
 * masked padding follows it, so a request decoded in a batch gets the answer it gets alone. The JavaScript
 * kernels always are (they sum in order); the native addon switches its matrix-vector and vector-softmax paths
 * off (a little slower for one request at a time), for the calling thread only: each worker_thread chooses.
 * The WebAssembly kernels have no such paths; the switch is passed on all the same.
 */
export function setBatchInvariantKernels(on: boolean): void {
  const name = getBackend().name;
  if (name !== 'native' && name !== 'wasm') return;
  const loaded = loadCompiled(name);
  if ('reason' in loaded)
    throw new Error(`setBatchInvariantKernels: the ${name} backend is unavailable: ${loaded.reason}`);
  loaded.addon.setBatchInvariant(on);
}

/** What the current backend is, how many threads it runs and why it runs. */
export function backendInfo(): BackendInfo {
  const current = getBackend();
  if (current.name === 'native' || current.name === 'wasm') {
    const loaded = loadCompiled(current.name);
    if ('addon' in loaded) {
      const { threads, simd } = loaded.addon.info();
      return { name: current.name, threads, simd, reason: because };
    }
  }
  return { name: current.name, threads: 1, simd: 'none', reason: because };
}
