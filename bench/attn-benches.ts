/**
 * attn's side of the benchmarks. Matmul goes through the public `matmul` op; attention calls the fused kernel
 * on the active backend (Backend.attention + attentionGrad, i.e. forward and backward of softmax(q·kᵀ/√d)·v),
 * since the public scaledDotProductAttention op is not wired to it yet.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getBackend, matmul, randn } from '../src/node.js';
import type { AttentionArgs } from '../src/backend/kernels.js';
import type { BenchName } from './names.js';

function bestMs(fn: () => void, reps: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

function matmulGflops(n: number): number {
  const a = randn([n, n]);
  const b = randn([n, n]);
  const reps = Math.max(3, Math.floor(2e9 / (2 * n ** 3)));
  const ms = bestMs(() => matmul(a, b), reps);
  return (2 * n ** 3) / (ms / 1000) / 1e9;
}

function random(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.random() * 2 - 1;
  return x;
}

/** One forward + backward of fused attention on [batch, heads, t, d]; buffers allocated per step, as an op would. */
export function attentionStep(
  batch: number,
  heads: number,
  t: number,
  d: number,
  causal: boolean,
): () => void {
  const args: AttentionArgs = { batch, heads, tq: t, tk: t, d, dv: d, scale: 1 / Math.sqrt(d), causal };
  const size = batch * heads * t * d;
  const q = random(size);
  const k = random(size);
  const v = random(size);
  const dOut = random(size);
  return () => {
    const backend = getBackend();
    const out = new Float32Array(size);
    const lse = new Float32Array(batch * heads * t);
    backend.attention(q, k, v, null, args, out, lse, null);
    backend.attentionGrad(
      q,
      k,
      v,
      null,
      args,
      out,
      lse,
      dOut,
      new Float32Array(size),
      new Float32Array(size),
      new Float32Array(size),
    );
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
