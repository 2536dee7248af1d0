import type { KernelArgs } from '../kernels.js';

/**
 * Rotary position embedding of x viewed as [outer, t, d] (see `rotary` in the kernel table), halves pairing:
 * feature i < h = d/2 pairs with i + h, and row r's pair i turns by the angle whose cosine and sine are
 * cos[r·h + i], sin[r·h + i]:
 *
 *   out_i     = x_i·c − x_{i+h}·s
 *   out_{i+h} = x_{i+h}·c + x_i·s          (inverse: s → −s, the transpose of the rotation)
 *
 * Both products of floats are exact in double, so each output is the double difference or sum rounded once to
 * float: the native kernel gets the same bits.
 */
export function rotary({ x, cos, sin, outer, t, d, inverse, out }: KernelArgs<'rotary'>): void {
  const h = d / 2;
  const sign = inverse ? -1 : 1;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < t; r++) {
      const row = (o * t + r) * d;
      const angle = r * h;
      for (let i = 0; i < h; i++) {
        const c = cos[angle + i]!;
        const s = sign * sin[angle + i]!;
        const a = x[row + i]!;
        const b = x[row + h + i]!;
        out[row + i] = a * c - b * s;
        out[row + h + i] = b * c + a * s;
      }
    }
  }
}
