/**
 * attn's side of the benchmarks, through the public API as a user would call it: `matmul` on two tensors, and
 * scaledDotProductAttention(q, k, v, {causal, needWeights: false}) followed by `backward` through autograd (the
 * op takes the fused kernel on that path; the step checks that it did).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backendInfo, matmul, randn, scaledDotProductAttention, useBackend } from '../src/node.js';
import type { BenchName } from './names.js';
import { bestMs } from './best-ms.js';

/**
 * Best of about 3·10¹⁰ flops' worth of products (30 at n=1024), the same count as bench/torch_bench.py: enough
 * for the garbage collector to have freed earlier results, so that the figure is the steady state a loop of
 * products reaches rather than the first calls' page faults.
 */
function matmulGflops(n: number): number {
  const a = randn([n, n]);
  const b = randn([n, n]);
  const reps = Math.max(10, Math.floor(3e10 / (2 * n ** 3)));
  const ms = bestMs(() => matmul(a, b), reps, 3);
  return (2 * n ** 3) / (ms / 1000) / 1e9;
}

/**
 * matmul n³ GFLOP/s on the wasm backend and on native (null when its addon does not load), `rounds` alternating
 * rounds each keeping its best; the backend that ran before is installed again after.
 */
export function wasmVsNative(
  n: number,
  rounds: number,
): { wasm: number; native: number | null; threads: number; simd: string } {
  const before = backendInfo().name as 'js' | 'native' | 'wasm';
  let wasm = 0;
  let native: number | null = null;
  let threads = 1;
  let simd = '';
  try {
    for (let r = 0; r < rounds; r++) {
      useBackend('wasm');
      ({ threads, simd } = backendInfo());
      wasm = Math.max(wasm, matmulGflops(n));
      try {
        useBackend('native');
      } catch {
        continue;
      }
      native = Math.max(native ?? 0, matmulGflops(n));
    }
  } finally {
    useBackend(before);
  }
  return { wasm, native, threads, simd };
}

/**
 * One forward + backward of scaled dot-product attention on q, k, v [batch, heads, t, d] that require gradients,
 * with the upstream gradient given; the gradients of q, k, v are dropped after each step, as PyTorch's side does.
 */
export function attentionStep(
  batch: number,
  heads: number,
  t: number,
  d: number,
  causal: boolean,
): () => void {
  const shape = [batch, heads, t, d];
  const q = randn(shape, { requiresGrad: true });
  const k = randn(shape, { requiresGrad: true });
  const v = randn(shape, { requiresGrad: true });
  const dOut = randn(shape);
  return () => {
    const { output } = scaledDotProductAttention(q, k, v, { causal, needWeights: false });
    // A bench of the composed path under this name would be a wrong figure, not a slow one.
    if (output.gradFn?.name !== 'fusedAttention') {
      throw new Error(
        `bench: scaledDotProductAttention did not take the fused kernel (${output.gradFn?.name})`,
      );
    }
    output.backward(dOut);
    q.zeroGrad();
    k.zeroGrad();
    v.zeroGrad();
  };
}

/** Peak RSS growth of one T=16384 single-head step, measured in a fresh process (bench/peak-memory.ts). */
function peakMib(): number {
  const script = fileURLToPath(new URL('./peak-memory.ts', import.meta.url));
  const out = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' });
  return Number(out.trim());
}

export function runAttn(name: BenchName): { value: number; unit: string } {
  if (name.startsWith('matmul_')) return { value: matmulGflops(Number(name.split('_')[1])), unit: 'GFLOP/s' };
  if (name === 'attention_peak_mib_T16384') return { value: peakMib(), unit: 'MiB' };
  const rest = name.slice('attention_fwd_bwd_T'.length);
  const t = Number.parseInt(rest, 10);
  return { value: bestMs(attentionStep(4, 8, t, 64, rest.endsWith('_causal')), 3), unit: 'ms' };
}
