/** The optimiser kernels: the reference Adam/AdamW update (see AdamArgs in ../kernels.ts). */
import type { AdamArgs } from '../kernels.js';

export function adam(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vMax: Float32Array | null,
  args: AdamArgs,
): void {
  const { beta1, beta2, stepSize, biasCorrection2Sqrt, eps, l2, decay, sign } = args;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    let grad = sign * g[i]!;
    if (l2 !== 0) grad += l2 * p[i]!;
    m[i] = beta1 * m[i]! + (1 - beta1) * grad;
    v[i] = beta2 * v[i]! + (1 - beta2) * grad * grad;
    let second = v[i]!;
    if (vMax !== null) {
      if (second > vMax[i]!) vMax[i] = second;
      else second = vMax[i]!;
    }
    const denom = Math.sqrt(second) / biasCorrection2Sqrt + eps;
    p[i] = p[i]! * decay - (stepSize * m[i]!) / denom;
  }
}
