import type { CrossEntropyArgs } from '../kernels.js';

/**
 * softmax(x)_j = exp(x_j - max) / Σ_i exp(x_i - max), along n of x viewed as [outer, n, inner].
 * log-softmax(x)_j = x_j - max - log Σ_i exp(x_i - max).
 * A row whose entries are all -∞ (every key masked) has no distribution: softmax gives zeros there and
 * log-softmax -∞, instead of the NaN that 0/0 would give.
 */
export function softmax(
  x: Float32Array,
  outer: number,
  n: number,
  inner: number,
  log: boolean,
  out: Float32Array,
): void {
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
export function softmaxGrad(
  y: Float32Array,
  dy: Float32Array,
  outer: number,
  n: number,
  inner: number,
  log: boolean,
  dx: Float32Array,
): void {
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

/**
 * loss_r = -(1-ε)·logp[r, t_r] - (ε/C)·Σ_c logp[r, c], with logp = log-softmax(logits[r]); 0 where t_r is ignored.
 */
export function crossEntropy(
  logits: Float32Array,
  targets: Int32Array,
  args: CrossEntropyArgs,
  loss: Float32Array,
  logProbs: Float32Array,
): void {
  const { rows, classes, ignoreIndex, labelSmoothing } = args;
  softmax(logits, rows, classes, 1, true, logProbs);
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) {
      loss[r] = 0;
      continue;
    }
    const base = r * classes;
    let value = -(1 - labelSmoothing) * logProbs[base + t]!;
    if (labelSmoothing > 0) {
      let s = 0;
      for (let c = 0; c < classes; c++) s += logProbs[base + c]!;
      value -= (labelSmoothing / classes) * s;
    }
    loss[r] = value;
  }
}

export function crossEntropyGrad(
  logProbs: Float32Array,
  targets: Int32Array,
  args: CrossEntropyArgs,
  rowGrad: Float32Array,
  dLogits: Float32Array,
): void {
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
    for (let c = 0; c < classes; c++) dLogits[base + c] = g * (Math.exp(logProbs[base + c]!) - smooth);
    dLogits[base + t]! -= g * (1 - labelSmoothing);
  }
}
