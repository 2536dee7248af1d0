// Runs in Chromium (bundled by bench/browser/run.ts with esbuild; `attn` is the built dist/browser/index.js,
// loaded by URL, and TensorFlow.js's core and wasm backend are bundled in): square float32 matrix products on
// attn's wasm backend and on TensorFlow.js's wasm backend in the same page, each timed as the Node benches do:
// a fresh result per call, best of enough calls for about 3·10¹⁰ flops.
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as attn from '../../src/browser/index.js';
import { bestMs } from '../best-ms.js';

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
