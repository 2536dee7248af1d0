/**
 * Sampling: draw each next token from softmax(logits / temperature), optionally restricted to the topK most
 * probable tokens. Temperature < 1 sharpens the distribution, > 1 flattens it.
 */
import { fail } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { DecodeOptions, DecoderStepper, Hypothesis } from './stepper.js';
import { decodeTokenByToken } from './token-by-token.js';
import { checkDecodeOptions } from './util.js';

export interface SampleOptions extends DecodeOptions {
  temperature?: number;
  /** Keep only the k most probable tokens at each step (0 or undefined: all). */
  topK?: number;
  generator?: Generator;
}

/** Draws an index from the row's log-probabilities scaled by 1/temperature, among the topK best. */
function drawToken(
  lp: Float32Array,
  base: number,
  vocab: number,
  temperature: number,
  topK: number,
  generator: Generator,
): number {
  let candidates = Array.from({ length: vocab }, (_, v) => v);
  if (topK > 0 && topK < vocab)
    candidates = candidates.sort((x, y) => lp[base + y]! - lp[base + x]!).slice(0, topK);
  let max = -Infinity;
  for (const v of candidates) max = Math.max(max, lp[base + v]! / temperature);
  const weights = candidates.map((v) => Math.exp(lp[base + v]! / temperature - max));
  const total = weights.reduce((a, b) => a + b, 0);
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
  if (!(temperature > 0) || !Number.isFinite(temperature))
    fail(op, `temperature must be a positive number, got ${temperature}`);
  const topK = options.topK ?? 0;
  if (!Number.isInteger(topK) || topK < 0) fail(op, `topK must be a non-negative integer, got ${topK}`);
  const generator = options.generator ?? defaultGenerator();
  return decodeTokenByToken(op, stepper, options, (lp, row, vocab) =>
    drawToken(lp, row * vocab, vocab, temperature, topK, generator),
  );
}
