/**
 * The threaded WebAssembly module (wasm/attn-threads.wasm): one instance on the calling thread and one per
 * worker, all on one shared memory, each worker parked in the module's workerLoop (native/wasm/workers.cc) until
 * a kernel spreads its tasks. Needs SharedArrayBuffer: always in Node, only on a cross-origin isolated page in a
 * browser. Browser-safe: how a worker is started is the caller's (src/backend/wasm/load.ts for worker_threads,
 * src/backend/wasm/browser.ts for Web Workers).
 */
import { createWasmAddon, wasiStubs } from './addon.js';
import type { NativeAddon } from '../native/addon.js';

/** What a worker is given: the compiled module, the shared memory, its stack's top and its TLS block. */
export interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  stack: number;
  tls: number;
}

/** A worker's replies: ready once its instance is set up, or the error that ended its loop. */
export type WorkerReply = { ready: true } | { error: string };

/**
 * Starts a worker running WORKER_START's `start` with `start` as its data, and calls `onReply` with what it
 * posts back.
 */
export type SpawnWorker = (start: WorkerStart, onReply: (reply: WorkerReply) => void) => void;

/** The memory the module imports: its link-time limits (scripts/build-wasm.mjs: 16 MiB initial, 4 GiB most). */
const INITIAL_PAGES = 256;
const MAXIMUM_PAGES = 65536;
/** Each worker's stack, as the calling thread's (-z stack-size in scripts/build-wasm.mjs). */
const STACK_BYTES = 1 << 20;

/**
 * A worker's program, as text to which each environment adds how it receives its start message and replies
 * (src/backend/wasm/load.ts: worker_threads; browser.ts: a Web Worker from a Blob URL): `start(data, post)`
 * instantiates the module on the shared memory with stand-ins for the WASI calls (a worker's tasks make none),
 * moves the stack pointer to its own stack, sets up its thread-local block, says it is ready and enters the loop.
 * A trap in a task is reported to the module (workerFailed: the call that was running throws) and to the caller.
 */
export const WORKER_START = `'use strict';
function start(data, post) {
  const imports = { env: { memory: data.memory }, wasi_snapshot_preview1: {} };
  for (const entry of WebAssembly.Module.imports(data.module))
    if (entry.module === 'wasi_snapshot_preview1') imports.wasi_snapshot_preview1[entry.name] = () => 52;
  const x = new WebAssembly.Instance(data.module, imports).exports;
  x.__stack_pointer.value = data.stack;
  x.__wasm_init_tls(data.tls);
  post({ ready: true });
  try {
    x.workerLoop();
  } catch (error) {
    x.workerFailed();
    post({ error: String((error && error.message) || error) });
  }
}
`;

interface ThreadExports {
  alloc(bytes: number): number;
  __wasm_init_tls(block: number): void;
  __tls_size: WebAssembly.Global;
  __tls_align: WebAssembly.Global;
  setThreads(n: number): void;
}

/** A thread-local block for one instance: __tls_size bytes at __tls_align (alloc aligns to 16). */
function tlsBlock(exports: ThreadExports): number {
  const align = Number(exports.__tls_align.value);
  if (align > 16) throw new Error(`attn wasm: thread-local alignment ${align} is over 16`);
  const block = exports.alloc(Math.max(16, Number(exports.__tls_size.value)));
  if (!block) throw new RangeError('attn wasm: out of memory for a thread-local block');
  return block;
}

/**
 * Instantiates the threaded module on a new shared memory, with `threads` threads in all (this one and
 * threads − 1 workers from `spawn`). The addon works at once: until a worker has started it takes no tasks,
 * and the calling thread runs them all. `onWorker` hears each worker's replies (ready, or the error that ended
 * it).
 */
export function instantiateThreadedWasmAddon(
  module: WebAssembly.Module,
  threads: number,
  spawn: SpawnWorker,
  onWorker: (reply: WorkerReply) => void = () => {},
): NativeAddon {
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`attn wasm: threads must be a positive integer, got ${String(threads)}`);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
  const stubs = wasiStubs();
  const instance = new WebAssembly.Instance(module, { env: { memory }, wasi_snapshot_preview1: stubs });
  const exports = instance.exports as unknown as ThreadExports;
  const addon = createWasmAddon(instance, stubs, memory, () => exports.__wasm_init_tls(tlsBlock(exports)));
  exports.setThreads(threads);
  for (let i = 1; i < threads; i++) {
    const stack = exports.alloc(STACK_BYTES);
    if (!stack) throw new RangeError('attn wasm: out of memory for a worker stack');
    spawn({ module, memory, stack: stack + STACK_BYTES, tls: tlsBlock(exports) }, onWorker);
  }
  return addon;
}
