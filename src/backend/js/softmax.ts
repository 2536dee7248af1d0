import type { KernelArgs } from '../kernels.js';

/**
 * softmax(x)_j = exp(x_j - max) / Σ_i exp(x_i - max), along n of x viewed as [outer, n, inner].
 * log-softmax(x)_j = x_j - max - log Σ_i exp(x_i - max).
 * A row whose entries are all -∞ (every key masked) has no distribution: softmax gives zeros there and
 * log-softmax -∞, instead of the NaN that 0/0 would give.
 */
export function softmax({ x, outer, n, inner, log, out }: KernelArgs<'softmax'>): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const end = base + n * inner;
      let max = -Infinity;
      for (let p = base; p < end; p += inner) if (x[p]! > max || x[p] !== x[p]) max = x[p]!;
      if (max === -Infinity) {
        for (let p = base; p < end; p += inner) out[p] = log ? -Infinity : 0;
        continue;
      }
      let sum = 0;
      if (log) {
        for (let p = base; p < end; p += inner) sum += Math.exp(x[p]! - max);
        const shift = max + Math.log(sum);
        for (let p = base; p < end; p += inner) out[p] = x[p]! - shift;
      } else {
        for (let p = base; p < end; p += inner) {
          const e = Math.exp(x[p]! - max);
          out[p] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let p = base; p < end; p += inner) out[p] = out[p]! * inv;
      }
    }
  }
}

/**
 * softmax:     dx = y ⊙ (dy - Σ dy⊙y)
 * log-softmax: dx = dy - exp(y) · Σ dy
 */
export function softmaxGrad({ y, dy, outer, n, inner, log, dx }: KernelArgs<'softmaxGrad'>): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const end = base + n * inner;
      let s = 0;
      if (log) {
        for (let p = base; p < end; p += inner) s += dy[p]!;
        for (let p = base; p < end; p += inner) dx[p] = dy[p]! - Math.exp(y[p]!) * s;
      } else {
        for (let p = base; p < end; p += inner) s += dy[p]! * y[p]!;
        for (let p = base; p < end; p += inner) dx[p] = y[p]! * (dy[p]! - s);
      }
    }
  }
}

/** log Σ_j e^{x_j} over x[base, base + n), max first; a max of ±∞ or NaN is the result itself. */
function logSumExpOf(x: Float32Array, base: number, n: number): number {
  let max = -Infinity;
  for (let j = base; j < base + n; j++) {
    const v = x[j]!;
    if (v > max || v !== v) max = v;
  }
  if (!Number.isFinite(max)) return max;
  let sum = 0;
  for (let j = base; j < base + n; j++) sum += Math.exp(x[j]! - max);
  return max + Math.log(sum);
}

/**
 * loss_r = lse_r − (1−ε)·x[r, t_r] − (ε/C)·Σ_c x[r, c], which is −(1−ε)·logp[r, t_r] − (ε/C)·Σ_c logp[r, c] with
 * logp = x − lse; 0 where t_r is ignored. Keeps lse_r for the gradient.
 */
export function crossEntropy(args: KernelArgs<'crossEntropy'>): void {
  const { logits, targets, loss, logSumExp } = args;
  const { rows, classes, ignoreIndex, labelSmoothing } = args;
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    const lse = logSumExpOf(logits, base, classes);
    logSumExp[r] = lse;
    const t = targets[r]!;
    if (t === ignoreIndex) {
      loss[r] = 0;
      continue;
    }
    let value = lse - (1 - labelSmoothing) * logits[base + t]!;
    if (labelSmoothing > 0) {
      let s = 0;
      for (let c = 0; c < classes; c++) s += logits[base + c]!;
      value -= (labelSmoothing / classes) * s;
    }
    loss[r] = value;
  }
}

export function crossEntropyGrad(args: KernelArgs<'crossEntropyGrad'>): void {
  const { logits, logSumExp, targets, rowGrad, dLogits } = args;
  const { rows, classes, ignoreIndex, labelSmoothing } = args;
  const smooth = labelSmoothing / classes;
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    const t = targets[r]!;
    if (t === ignoreIndex) {
      dLogits.fill(0, base, base + classes);
      continue;
    }
    const g = rowGrad[r]!;
    const lse = logSumExp[r]!;
    for (let c = 0; c < classes; c++) dLogits[base + c] = g * (Math.exp(logits[base + c]! - lse) - smooth);
    dLogits[base + t]! -= g * (1 - labelSmoothing);
  }
}
