/** The elementwise ends of a Linear layer (see Backend.linearBiasAct and linearActGrad): the reference loops. */

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
  y: Float32Array | null,
  dy: Float32Array,
  rows: number,
  n: number,
  activation: 'relu' | null,
  dPre: Float32Array | null,
  dBias: Float32Array | null,
): void {
  if (activation === 'relu' && !y) throw new Error("linearActGrad: y is needed for the ReLU's derivative");
  const sums = dBias ? new Float64Array(n) : null;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let i = 0; i < n; i++) {
      const v = activation === 'relu' ? (y![o + i]! > 0 ? dy[o + i]! : 0) : dy[o + i]!;
      if (dPre) dPre[o + i] = v;
      if (sums) sums[i]! += v;
    }
  }
  if (dBias && sums) dBias.set(sums);
}
