/** The elementwise ends of a Linear layer (see Backend.linearBiasAct, linearActGrad): the reference loops. */

export function linearBiasAct(
  y: Float32Array,
  bias: Float32Array | null,
  rows: number,
  n: number,
  activation: 'relu' | null,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let i = 0; i < n; i++) {
      // Added in float32 first, as a separate bias add would store it.
      const v = bias ? Math.fround(y[o + i]! + bias[i]!) : y[o + i]!;
      y[o + i] = activation === 'relu' ? (v > 0 ? v : 0) : v;
    }
  }
}

export function linearActGrad(
  y: Float32Array,
  g: Float32Array,
  rows: number,
  n: number,
  activation: 'relu' | null,
  dPre: Float32Array | null,
  biasGrad: Float32Array | null,
): void {
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
