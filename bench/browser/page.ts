// Runs in Chromium (bundled by bench/browser/run.ts with esbuild; `attn` is the built dist/browser/index.js,
// loaded by URL, and TensorFlow.js's core and wasm backend are bundled in): square float32 matrix products on
// attn's wasm backend and on TensorFlow.js's wasm backend in the same page, each timed as the Node benches do:
// a fresh result per call, best of enough calls for about 3·10¹⁰ flops.
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { defaultDevice, init as initJax, numpy } from '@jax-js/jax';
import * as attn from '../../src/browser/index.js';
import { bestMs } from '../best-ms.js';
import { nmtStep as attnNmtStep } from '../e2e/attn-nmt.js';
import { NMT } from '../e2e/config.js';
import * as jaxjs from '../e2e/jaxjs-models.js';
import * as tfjs from '../e2e/tfjs-models.js';

const repsFor = (n: number) => Math.max(10, Math.floor(3e10 / (2 * n ** 3)));
const gflops = (n: number, ms: number) => (2 * n ** 3) / (ms / 1000) / 1e9;

/**
 * Loads both backends, each in its best configuration for this page: attn's module from beside the bundle (it
 * takes threads when the page is cross-origin isolated, relaxed SIMD when the engine has it), TensorFlow.js's
 * wasm files from `tfjsWasm` (SIMD, and threads when isolated).
 */
export async function init(tfjsWasm: string): Promise<{
  attn: attn.BackendInfo;
  tfjs: string;
  simd: unknown;
  tfjsThreads: number;
  isolated: boolean;
}> {
  const info = await attn.initWasm();
  setWasmPaths(tfjsWasm);
  // XNNPACK's pool as wide as the cores. TensorFlow.js 4.22 still reports (and here runs) one thread: its
  // known issue tensorflow/tfjs#8513.
  setThreadsCount(navigator.hardwareConcurrency);
  await tf.setBackend('wasm');
  await tf.ready();
  return {
    attn: info,
    tfjs: tf.getBackend(),
    simd: tf.env().get('WASM_HAS_SIMD_SUPPORT'),
    tfjsThreads: getThreadsCount(),
    isolated: crossOriginIsolated,
  };
}

export function attnMatmul(n: number): number {
  const g = new attn.Generator(1);
  const a = attn.randn([n, n], { generator: g });
  const b = attn.randn([n, n], { generator: g });
  return gflops(
    n,
    bestMs(() => attn.matmul(a, b), repsFor(n), 3),
  );
}

export function tfjsMatmul(n: number): number {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  // dataSync waits for the product (the wasm backend computes synchronously; this also reads it back, as
  // attn's result is readable JavaScript memory).
  const ms = bestMs(
    () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    },
    repsFor(n),
    3,
  );
  a.dispose();
  b.dispose();
  return gflops(n, ms);
}

/** Target tokens a training step of the seed model learns from. */
const NMT_TOKENS = NMT.batch * NMT.tgtLen;

/** attn's training step of the seed translation model: target tokens per second, mean of `count` steps. */
export function attnNmt(warmup: number, count: number): number {
  return NMT_TOKENS / tfjs.seconds(attnNmtStep(attn), warmup, count, false);
}

/** TensorFlow.js's (bench/e2e/tfjs-models.ts), on its wasm backend. */
export function tfjsNmt(warmup: number, count: number): number {
  tfjs.params.length = 0;
  const rate = NMT_TOKENS / tfjs.seconds(tfjs.nmtStep(), warmup, count, false);
  for (const p of tfjs.params) p.dispose();
  return rate;
}

let jaxReady: Promise<void> | undefined;

/** jax-js on its wasm device, initialised once. */
function jaxOnWasm(): Promise<void> {
  jaxReady ??= initJax('wasm').then(() => void defaultDevice('wasm'));
  return jaxReady;
}

/** jax-js's (bench/e2e/jaxjs-models.ts), on its wasm device. */
export async function jaxNmt(warmup: number, count: number): Promise<number> {
  await jaxOnWasm();
  return NMT_TOKENS / (await jaxjs.seconds(jaxjs.nmtStep(), warmup, count, false));
}

/** jax-js's matmul on its wasm device: `np.matmul(a, b)` read back with `data()`, as TensorFlow.js's dataSync. */
export async function jaxMatmul(n: number): Promise<number> {
  await jaxOnWasm();
  const values = (seed: number) => {
    const data = new Float32Array(n * n);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(seed + i);
    return numpy.array(data).reshape([n, n]);
  };
  const a = values(1);
  const b = values(2);
  let best = Infinity;
  for (let r = 0; r < repsFor(n); r++) {
    const t = performance.now();
    await numpy.matmul(a.ref, b.ref).data();
    best = Math.min(best, performance.now() - t);
  }
  a.dispose();
  b.dispose();
  return gflops(n, best);
}
