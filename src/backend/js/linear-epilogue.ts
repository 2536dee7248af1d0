/** The elementwise ends of a Linear layer (see Backend.linearBiasAct, linearActGrad): the reference loops. */
import type { KernelArgs } from '../kernels.js';
import { matmul } from './matmul.js';

export function linearBiasAct({ y, bias, rows, n, activation }: KernelArgs<'linearBiasAct'>): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let i = 0; i < n; i++) {
      // Added in float32 first, as a separate bias add would store it.
      const v = bias ? Math.fround(y[o + i]! + bias[i]!) : y[o + i]!;
      y[o + i] = activation === 'relu' ? (v > 0 ? v : 0) : v;
    }
  }
}

export function linearActGrad({
  y,
  g,
  rows,
  n,
  activation,
  dPre,
  biasGrad,
}: KernelArgs<'linearActGrad'>): void {
  const sums = biasGrad ? new Float64Array(n) : null;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let i = 0; i < n; i++) {
      const d = activation === 'relu' ? (y[o + i]! > 0 ? g[o + i]! : 0) : g[o + i]!;
      if (dPre) dPre[o + i] = d;
      if (sums) sums[i]! += d;
    }
  }
  if (biasGrad && sums) biasGrad.set(sums);
}

/** The product, then the bias and activation in a second pass (the reference has no blocked epilogue). */
export function matmulBiasAct({
  a,
  b,
  out,
  m,
  n,
  k,
  transA,
  transB,
  bias,
  activation,
}: KernelArgs<'matmulBiasAct'>): void {
  matmul({ a, b, out, batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0 });
  if (bias || activation) linearBiasAct({ y: out, bias, rows: m, n, activation });
}
