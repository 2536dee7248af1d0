/**
 * Choosing the backend in a browser: the WebAssembly module when it loads, else the JavaScript reference. A page
 * has no synchronous way to fetch and compile the module, so the choice is made by one awaited call, initWasm,
 * before the first op that should run on wasm (ops before it run on the reference, which gives the same results
 * to float32 tolerance). Same rule as Node's chooser (src/backend/native/select.ts): the automatic choice falls
 * back with one console line saying why; asking for a backend that cannot load, useBackend('wasm'), throws.
 *
 * From a folder of the four modules (dist/browser/, as scripts/build-browser.mjs writes it) initWasm takes the
 * one this page can run: threaded where the page is cross-origin isolated (SharedArrayBuffer; its workers are Web
 * Workers from a Blob URL), relaxed SIMD where the engine validates it. Browser-safe: no Node imports.
 */
import { BACKEND_NAMES, type BackendInfo, type BackendName } from '../choice.js';
import type { Backend } from '../kernels.js';
import type { NativeAddon } from '../native/addon.js';
import { createNativeBackend } from '../native/backend.js';
import { getBackend, jsBackend, setBackend } from '../registry.js';
import { createWasmAddon, wasiStubs } from './addon.js';
import { isThreadedModule, relaxedSimdAvailable, sharedMemoryAvailable, wasmModuleFile } from './features.js';
import { instantiateThreadedWasmAddon, WORKER_START, type SpawnWorker, type WorkerReply } from './threads.js';

/**
 * Where the module comes from: a folder holding the four builds (the page's features choose), one module's URL,
 * its bytes, or a module compiled already.
 */
export type WasmSource =
  | { base: string | URL; fetch?: typeof fetch }
  | { url: string | URL; fetch?: typeof fetch }
  | { bytes: BufferSource }
  | { module: WebAssembly.Module };

export interface WasmOptions {
  /**
   * Threads in all (the page's and its workers): by default the cores (navigator.hardwareConcurrency, at most
   * 16) where the page is cross-origin isolated, else 1. More than 1 needs shared memory.
   */
  threads?: number;
}

let wasm: { addon: NativeAddon; backend: Backend; file: string } | undefined;
let failure = 'initWasm has not been called';
let because = 'the JavaScript reference (initWasm has not run)';
let warned = false;

/** How long initWasm waits for the workers to start before going on (they join the work when they do). */
const WORKER_START_TIMEOUT_MS = 10_000;

function defaultThreads(): number {
  if (
    !sharedMemoryAvailable() ||
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false
  )
    return 1;
  const cores = typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency || 1;
  return Math.min(16, cores);
}

async function compile(response: Response): Promise<WebAssembly.Module> {
  if (!response.ok) throw new Error(`${response.url || 'the module'}: HTTP ${response.status}`);
  // Compiled while it downloads when the server sends it as application/wasm.
  const streamed =
    typeof WebAssembly.compileStreaming === 'function' &&
    response.headers.get('content-type')?.split(';')[0]?.trim() === 'application/wasm';
  return streamed
    ? WebAssembly.compileStreaming(response)
    : WebAssembly.compile(await response.arrayBuffer());
}

/** A Web Worker's program: WORKER_START, run on the first message, replying by postMessage. */
const WEB_WORKER = `${WORKER_START}
self.onmessage = (event) => start(event.data, (reply) => self.postMessage(reply));
`;

/** Web Workers from one Blob URL of WEB_WORKER, each sent its start message. */
function spawnWebWorkers(): SpawnWorker {
  let url: string | undefined;
  return (start, onReply) => {
    url ??= URL.createObjectURL(new Blob([WEB_WORKER], { type: 'text/javascript' }));
    const worker = new Worker(url);
    worker.onmessage = (event: MessageEvent<WorkerReply>) => onReply(event.data);
    worker.onerror = (event) => onReply({ error: event.message || 'the worker failed to start' });
    worker.postMessage(start);
  };
}

/** The threaded module with `threads` threads, once every worker has started (or WORKER_START_TIMEOUT_MS passed). */
async function startThreaded(module: WebAssembly.Module, threads: number): Promise<NativeAddon> {
  let ready = 0;
  let settle: (error?: Error) => void = () => {};
  const started = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  const addon = instantiateThreadedWasmAddon(module, threads, spawnWebWorkers(), (reply) => {
    if ('error' in reply) {
      console.warn(`attn: a wasm worker stopped: ${reply.error}`);
      settle(new Error(`a worker failed: ${reply.error}`));
    } else if (++ready === threads - 1) settle();
  });
  if (threads > 1) {
    const timer = setTimeout(() => settle(), WORKER_START_TIMEOUT_MS);
    try {
      await started;
    } finally {
      clearTimeout(timer);
    }
  }
  return addon;
}

async function instantiate(
  source: WasmSource,
  options: WasmOptions,
): Promise<{ addon: NativeAddon; file: string }> {
  if ('bytes' in source) {
    const module = await WebAssembly.compile(source.bytes);
    return fromModule(module, options, 'the bytes given');
  }
  if ('module' in source) return fromModule(source.module, options, 'the module given');
  const get = source.fetch ?? fetch;
  if ('url' in source) return fromModule(await compile(await get(source.url)), options, String(source.url));
  const threads = options.threads ?? defaultThreads();
  const file = wasmModuleFile({ threads: threads > 1, relaxed: relaxedSimdAvailable() });
  const url = new URL(file, source.base);
  return fromModule(await compile(await get(url)), { threads }, String(url));
}

async function fromModule(
  module: WebAssembly.Module,
  options: WasmOptions,
  file: string,
): Promise<{ addon: NativeAddon; file: string }> {
  if (!isThreadedModule(module)) {
    if (options.threads !== undefined && options.threads !== 1)
      throw new Error(`${file} is a single-threaded module, asked for ${options.threads} threads`);
    const stubs = wasiStubs();
    const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: stubs });
    return { addon: createWasmAddon(instance, stubs), file };
  }
  if (!sharedMemoryAvailable())
    throw new Error(`${file} needs shared memory, which this page lacks (it is not cross-origin isolated)`);
  return { addon: await startThreaded(module, options.threads ?? defaultThreads()), file };
}

function describe(source: WasmSource): string {
  if ('base' in source) return `the module in ${String(source.base)}`;
  return 'url' in source ? String(source.url) : 'bytes' in source ? 'the bytes given' : 'the module given';
}

/**
 * Loads the WebAssembly module and makes it the backend every op runs on; when it cannot load (no WebAssembly,
 * a failed fetch, bad bytes) the JavaScript reference stays, with one console.warn saying why. Resolves to
 * backendInfo(). Calling it again once loaded only reinstalls the loaded module.
 */
export async function initWasm(source: WasmSource, options: WasmOptions = {}): Promise<BackendInfo> {
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1))
    throw new RangeError(`initWasm: threads must be a positive integer, got ${String(options.threads)}`);
  if (!wasm) {
    try {
      if (typeof WebAssembly === 'undefined') throw new Error('this engine has no WebAssembly');
      const { addon, file } = await instantiate(source, options);
      wasm = { addon, backend: createNativeBackend(addon, 'wasm'), file };
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
  because = `the wasm module loaded (${wasm.file})`;
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
