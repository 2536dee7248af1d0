/** Dropout. */
import { fail } from '../errors.js';
import { defaultGenerator, type Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { backend, floatData, newFloat } from './common.js';
import { mul } from './binary.js';

/** The generator's words on their way through the kernel (reused: ops run one at a time). */
const stateWords = new Int32Array(4);

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
    // The kernel draws the generator's stream itself: out[i] = uniform() < keep ? 1/keep : 0, the mask that
    // generator.fillUniform followed by that comparison gives, and the generator's words advance to match.
    const keep = 1 - p;
    generator.storeWords(stateWords);
    backend().dropoutMask({ state: stateWords, keep, scale: 1 / keep, out: mask });
    generator.loadWords(stateWords);
  }
  return mul(x, tensor);
}
