/**
 * Greedy decoding: at every step take the most probable token, for all sources of the batch at once, until each
 * has produced <eos> or maxLength tokens.
 */
import { noGrad } from '../tensor/autograd.js';
import { argmax } from '../tensor/ops/index.js';
import type { DecodeOptions, DecoderStepper, Hypothesis } from './stepper.js';
import { attentionRow, checkDecodeOptions, checkLogProbs } from './util.js';

export function greedyDecode<S>(stepper: DecoderStepper<S>, options: DecodeOptions): Hypothesis[] {
  checkDecodeOptions('greedyDecode', options);
  return noGrad(() => {
    const batch = stepper.batchSize;
    let state = stepper.start(1);
    const hyps: Hypothesis[] = Array.from({ length: batch }, () => ({
      tokens: [],
      logProb: 0,
      score: 0,
      attention: [],
      finished: false,
    }));
    const tokens = new Int32Array(batch).fill(options.sos);
    // Step t may produce the (t+1)-th token or <eos>; after maxLength tokens a hypothesis stops unfinished.
    for (let t = 0; t < options.maxLength; t++) {
      if (hyps.every((h) => h.finished)) break;
      const { logProbs, state: next, attention } = stepper.step(tokens, state);
      state = next;
      const vocab = checkLogProbs('greedyDecode', logProbs, batch);
      const best = argmax(logProbs, 1).data;
      for (let b = 0; b < batch; b++) {
        const h = hyps[b]!;
        if (h.finished) continue;
        const token = best[b]!;
        h.logProb += logProbs.data[b * vocab + token]!;
        h.score = h.logProb;
        if (attention) h.attention.push(attentionRow(attention, b, stepper.attentionRowAxis ?? 0));
        if (token === options.eos) h.finished = true;
        else h.tokens.push(token);
        tokens[b] = token;
      }
    }
    return hyps;
  });
}
