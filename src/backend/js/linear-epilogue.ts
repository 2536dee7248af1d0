/** The elementwise end of a Linear layer's forward (see Backend.linearBiasAct): the reference loop. */

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
