/**
 * The generator of an epoch's data order: a pure function of the run's seed and the epoch, so that a resumed
 * run can draw epoch e's batches again without replaying epochs 0 … e−1.
 */
import { fail } from '../tensor/errors.js';
import { Generator } from '../tensor/random.js';

const TWO_POW_32 = 4294967296;

/**
 * A fresh generator for epoch `epoch` of a run seeded with `seed`. Two 32-bit words are drawn from a generator
 * seeded with `seed` and mixed with the epoch (a golden-ratio multiple, so consecutive epochs differ in many
 * bits); they seed the epoch's generator (53 bits: no two epochs of one seed share a stream).
 */
export function epochGenerator(seed: number, epoch: number): Generator {
  if (!Number.isSafeInteger(seed)) fail('epochGenerator', `seed must be a safe integer, got ${seed}`);
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    fail('epochGenerator', `epoch must be an integer >= 0, got ${epoch}`);
  }
  const base = new Generator(seed);
  const low = (base.nextUint32() ^ Math.imul(epoch, 0x9e3779b1)) >>> 0;
  const high = (base.nextUint32() + Math.floor(epoch / TWO_POW_32)) & 0x1fffff;
  return new Generator(high * TWO_POW_32 + low);
}
