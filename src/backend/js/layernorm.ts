/**
 * y = (x - μ)·rstd·γ + β over the last n elements of each row, with μ the mean, rstd = 1/√(σ² + eps) and σ² the
 * biased variance (as torch.nn.LayerNorm).
 */
import type { KernelArgs } from '../kernels.js';
export function layerNorm({ x, gamma, beta, rows, n, eps, out, mean, rstd }: KernelArgs<'layerNorm'>): void {
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let s = 0;
    for (let i = 0; i < n; i++) s += x[base + i]!;
    const mu = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const d = x[base + i]! - mu;
      v += d * d;
    }
    const inv = 1 / Math.sqrt(v / n + eps);
    mean[r] = mu;
    rstd[r] = inv;
    for (let i = 0; i < n; i++) {
      let y = (x[base + i]! - mu) * inv;
      if (gamma) y *= gamma[i]!;
      if (beta) y += beta[i]!;
      out[base + i] = y;
    }
  }
}

/**
 * With x̂ = (x - μ)·rstd and g = dy·γ:  dx = rstd · (g - mean(g) - x̂ · mean(g ⊙ x̂));
 * dγ = Σ_rows dy ⊙ x̂;  dβ = Σ_rows dy.
 */
export function layerNormGrad({
  x,
  gamma,
  mean,
  rstd,
  dy,
  rows,
  n,
  dx,
  dGamma,
  dBeta,
}: KernelArgs<'layerNormGrad'>): void {
  const dg = dGamma ? new Float64Array(n) : null;
  const db = dBeta ? new Float64Array(n) : null;
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    const mu = mean[r]!;
    const inv = rstd[r]!;
    let sumG = 0;
    let sumGX = 0;
    for (let i = 0; i < n; i++) {
      const xh = (x[base + i]! - mu) * inv;
      const d = dy[base + i]!;
      const g = gamma ? d * gamma[i]! : d;
      sumG += g;
      sumGX += g * xh;
      if (dg) dg[i]! += d * xh;
      if (db) db[i]! += d;
    }
    const meanG = sumG / n;
    const meanGX = sumGX / n;
    for (let i = 0; i < n; i++) {
      const xh = (x[base + i]! - mu) * inv;
      const g = gamma ? dy[base + i]! * gamma[i]! : dy[base + i]!;
      dx[base + i] = inv * (g - meanG - xh * meanGX);
    }
  }
  if (dGamma && dg) dGamma.set(dg);
  if (dBeta && db) dBeta.set(db);
}
