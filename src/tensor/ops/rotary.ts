/** Rotary position embedding (RoPE; Su, Lu, Pan, Murtadha, Wen & Liu, 2021). */
import { fail } from '../errors.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { backend, floatData, newFloatOverwritten, record } from './common.js';

const OP = 'rotary';

export interface RotaryOptions {
  /** Position of the first row along the T axis (default 0): the cached decoder's step. */
  offset?: number;
  /** Base of the frequencies θ_i = base^(−2i/d) (default 10000, as the paper). */
  base?: number;
}

/**
 * RoPE of x [..., T, d] (d even), halves pairing (GPT-NeoX / LLaMA's `rotate_half`, not GPT-J's interleaved
 * pairs): row t (at position p = offset + t) has features i and i + d/2 (i < d/2) turned by the angle p·θ_i,
 *
 *   θ_i = base^(−2i/d)
 *   out_i       = x_i·cos(p·θ_i) − x_{i+d/2}·sin(p·θ_i)
 *   out_{i+d/2} = x_{i+d/2}·cos(p·θ_i) + x_i·sin(p·θ_i)
 *
 * Rotated queries and keys give scores q_mᵀk_n that depend on the positions only through m − n. The gradient is
 * the inverse rotation of the output gradient (the rotation is orthogonal). The angles' cosines and sines are
 * computed in double and rounded to float once per (position, frequency).
 */
export function rotary(x: Tensor, options: RotaryOptions = {}): Tensor {
  const xd = floatData(OP, x, 'input');
  const offset = options.offset ?? 0;
  const base = options.base ?? 10000;
  if (x.ndim < 2 || x.shape.at(-1)! % 2 !== 0)
    fail(OP, `input must be [..., T, d] with an even d, got ${formatShape(x.shape)}`);
  if (!Number.isInteger(offset) || offset < 0)
    fail(OP, `offset must be a non-negative integer, got ${offset}`);
  if (!(Number.isFinite(base) && base > 1)) fail(OP, `base must be a number > 1, got ${base}`);
  const d = x.shape.at(-1)!;
  const t = x.shape.at(-2)!;
  const outer = t * d === 0 ? 0 : x.size / (t * d);
  const { cos, sin } = rotaryAngles(t, d, offset, base);
  const { data: out, tensor: y } = newFloatOverwritten(x.shape);
  backend().rotary({ x: xd, cos, sin, outer, t, d, inverse: false, out });
  return record(OP, y, [x], (g) => {
    const { data: dx, tensor } = newFloatOverwritten(x.shape);
    backend().rotary({ x: g.data as Float32Array, cos, sin, outer, t, d, inverse: true, out: dx });
    return [tensor];
  });
}

/** cos and sin of p·θ_i for p = offset … offset + t − 1 and i < d/2, as float32 [t, d/2] each. */
export function rotaryAngles(
  t: number,
  d: number,
  offset: number,
  base: number,
): { cos: Float32Array; sin: Float32Array } {
  const h = d / 2;
  const cos = new Float32Array(t * h);
  const sin = new Float32Array(t * h);
  for (let i = 0; i < h; i++) {
    const theta = Math.pow(base, (-2 * i) / d);
    for (let r = 0; r < t; r++) {
      const angle = (offset + r) * theta;
      cos[r * h + i] = Math.cos(angle);
      sin[r * h + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
