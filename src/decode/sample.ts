/**
 * Sampling: draw each next token from softmax(logits / temperature), optionally restricted to the topK most
 * probable tokens and then to the nucleus of the topP most probable mass (top-k then top-p, the order of Hugging
 * Face's samplers). Temperature < 1 sharpens the distribution, > 1 flattens it. With the tokens sorted by
 * probability pᵢ (after temperature and top-k), the nucleus is the shortest prefix whose mass reaches topP:
 *
 * ```
 * keep tokens 1..m,   m = min { m : p₁ + … + p_m ≥ topP },   then draw from pᵢ / (p₁ + … + p_m)
 * ```
 */
import { fail } from '../tensor/errors.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import type { DecodeOptions, DecoderStepper, Hypothesis } from './stepper.js';
import { decodeTokenByToken } from './token-by-token.js';
import { checkDecodeOptions } from './util.js';

export interface SampleOptions extends DecodeOptions {
  temperature?: number;
  /** Keep only the k most probable tokens at each step (0 or undefined: all). */
  topK?: number;
  /** Keep only the most probable tokens whose mass reaches p, in (0, 1] (1 or undefined: all); after topK. */
  topP?: number;
  /** Draw from `new Generator(seed)` (instead of `generator`). */
  seed?: number;
  /**
   * Where the draws come from (default the global generator): one for the batch, or one per source, so that a
   * source's tokens depend on its own generator only (as they would decoded alone).
   */
  generator?: Generator | readonly Generator[];
}

/** Draws an index from the row's log-probabilities scaled by 1/temperature, among the topK best, in the topP nucleus. */
function drawToken(
  lp: Float32Array,
  base: number,
  vocab: number,
  temperature: number,
  topK: number,
  topP: number,
  generator: Generator,
): number {
  let candidates = Array.from({ length: vocab }, (_, v) => v);
  // Sorting is stable, so ties keep the lower index first.
  if ((topK > 0 && topK < vocab) || topP < 1) candidates.sort((x, y) => lp[base + y]! - lp[base + x]!);
  if (topK > 0 && topK < vocab) candidates = candidates.slice(0, topK);
  let max = -Infinity;
  for (const v of candidates) max = Math.max(max, lp[base + v]! / temperature);
  let weights = candidates.map((v) => Math.exp(lp[base + v]! / temperature - max));
  let total = weights.reduce((a, b) => a + b, 0);
  if (topP < 1) {
    let mass = 0;
    let m = 0;
    while (m < weights.length && mass < topP * total) mass += weights[m++]!;
    candidates = candidates.slice(0, m);
    weights = weights.slice(0, m);
    total = mass;
  }
  let u = generator.uniform() * total;
  for (let i = 0; i < candidates.length; i++) {
    u -= weights[i]!;
    if (u < 0) return candidates[i]!;
  }
  return candidates[candidates.length - 1]!;
}

export function sampleDecode<S>(stepper: DecoderStepper<S>, options: SampleOptions): Hypothesis[] {
  const op = 'sampleDecode';
  checkDecodeOptions(op, options);
  const temperature = options.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature))
    fail(op, `temperature must be a positive number, got ${temperature}`);
  const topK = options.topK ?? 0;
  if (!Number.isInteger(topK) || topK < 0) fail(op, `topK must be a non-negative integer, got ${topK}`);
  const topP = options.topP ?? 1;
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1))
    fail(op, `topP must be a number in (0, 1], got ${topP}`);
  const generators = sourceGenerators(op, options, stepper.batchSize);
  return decodeTokenByToken(op, stepper, options, (lp, row, vocab) =>
    drawToken(lp, row * vocab, vocab, temperature, topK, topP, generators[row]!),
  );
}

/** The generator of each source: from `seed`, the one `generator`, one per source, or the global one. */
function sourceGenerators(op: string, options: SampleOptions, batch: number): Generator[] {
  const { seed, generator } = options;
  if (seed !== undefined && generator !== undefined) fail(op, 'give seed or generator, not both');
  if (seed !== undefined) {
    if (!Number.isSafeInteger(seed)) fail(op, `seed must be a safe integer, got ${seed}`);
    return new Array<Generator>(batch).fill(new Generator(seed));
  }
  if (Array.isArray(generator)) {
    if (generator.length !== batch)
      fail(
        op,
        `generator must be one Generator or one per source (${batch}), got a list of ${generator.length}`,
      );
    if (!generator.every((g) => g instanceof Generator)) fail(op, 'every generator must be a Generator');
    return [...(generator as readonly Generator[])];
  }
  if (generator !== undefined && !(generator instanceof Generator))
    fail(op, 'generator must be a Generator or one per source');
  return new Array<Generator>(batch).fill((generator as Generator | undefined) ?? defaultGenerator());
}
