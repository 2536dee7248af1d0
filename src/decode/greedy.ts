/**
 * Greedy decoding: at every step take the most probable token (the first on ties), for all sources of the batch
 * at once, until each has produced <eos> or maxLength tokens.
 */
import type { DecodeOptions, DecoderStepper, Hypothesis } from './stepper.js';
import { decodeTokenByToken } from './token-by-token.js';
import { checkDecodeOptions } from './util.js';

export function greedyDecode<S>(stepper: DecoderStepper<S>, options: DecodeOptions): Hypothesis[] {
  checkDecodeOptions('greedyDecode', options);
  return decodeTokenByToken('greedyDecode', stepper, options, (lp, row, vocab) => {
    const base = row * vocab;
    let best = 0;
    for (let v = 1; v < vocab; v++) if (lp[base + v]! > lp[base + best]!) best = v;
    return best;
  });
}
