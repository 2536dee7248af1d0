/**
 * The loop shared by greedy decoding and sampling: one hypothesis per source, extended by one chosen token per
 * step until it produces <eos> or maxLength tokens.
 */
import { noGrad } from '../tensor/autograd.js';
import { TidyChain } from '../tensor/tidy.js';
import type { DecodeOptions, DecoderStepper, Hypothesis } from './stepper.js';
import { attentionRow, checkLogProbs, perSource } from './util.js';

/** Picks the next token of row `row` from its log-probabilities lp[row·vocab … row·vocab + vocab). */
export type TokenChooser = (lp: Float32Array, row: number, vocab: number) => number;

export function decodeTokenByToken<S>(
  op: string,
  stepper: DecoderStepper<S>,
  options: DecodeOptions,
  choose: TokenChooser,
): Hypothesis[] {
  return noGrad(() => {
    const batch = stepper.batchSize;
    const maxLength = perSource(op, 'maxLength', options.maxLength, batch);
    let state = stepper.start(1);
    const hyps: Hypothesis[] = Array.from({ length: batch }, () => ({
      tokens: [],
      logProb: 0,
      score: 0,
      attention: [],
      finished: false,
    }));
    const tokens = new Int32Array(batch).fill(options.sos);
    const longest = Math.max(0, ...maxLength);
    // Each step in a scope of the chain: its activations, and the state it superseded, go back to the pool.
    const chain = new TidyChain();
    for (let t = 0; t < longest; t++) {
      // A source stops at its <eos> or its own bound; the others go on without it.
      if (hyps.every((h, b) => h.finished || t >= maxLength[b]!)) break;
      state = chain.step(() => {
        const { logProbs, state: next, attention } = stepper.step(tokens, state);
        const vocab = checkLogProbs(op, logProbs, batch);
        const lp = logProbs.data as Float32Array;
        for (let b = 0; b < batch; b++) {
          const h = hyps[b]!;
          if (h.finished || t >= maxLength[b]!) continue;
          const token = choose(lp, b, vocab);
          h.logProb += lp[b * vocab + token]!;
          h.score = h.logProb;
          if (attention) h.attention.push(attentionRow(attention, b, stepper.attentionRowAxis ?? 0));
          if (token === options.eos) h.finished = true;
          else h.tokens.push(token);
          tokens[b] = token;
        }
        // The hypotheses are returned too: the chain keeps what the result holds (their attention rows).
        return { state: next, hyps };
      }).state;
    }
    return chain.finish(hyps);
  });
}
