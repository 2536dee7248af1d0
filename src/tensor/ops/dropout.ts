/** Dropout. */
import { fail } from '../errors.js';
import { defaultGenerator, type Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { floatData, newFloat } from './common.js';
import { mul } from './binary.js';

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p), so that the expected value is
 * unchanged (inverted dropout, as torch.nn.functional.dropout). Active only when `training` is true; in
 * evaluation it returns x itself. The mask comes from `generator` (the global seeded one by default).
 */
export function dropout(
  x: Tensor,
  p: number,
  training = true,
  generator: Generator = defaultGenerator(),
): Tensor {
  floatData('dropout', x, 'input');
  if (!(p >= 0 && p <= 1)) fail('dropout', `p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const { data: mask, tensor } = newFloat(x.shape);
  if (p < 1) {
    const keep = 1 - p;
    const scale = 1 / keep;
    generator.fillUniform(mask);
    for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! < keep ? scale : 0;
  }
  return mul(x, tensor);
}
