/**
 * Beam search over a batch of sources. Each source keeps `beamSize` live hypotheses; at every step each one is
 * extended by every token, and the best `beamSize` non-final extensions survive (an extension ending in <eos>
 * becomes a finished hypothesis). Finished hypotheses are ranked by their length-normalised score
 *   score = log p(y) / |y|^α      (|y| counts <eos>; α = lengthPenalty, 0 disables normalisation)
 * A source is done when it has `beamSize` finished hypotheses, or at maxLength, where its live hypotheses are
 * returned unfinished. The n best are returned per source.
 */
import { noGrad } from '../tensor/autograd.js';
import { fail } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { TidyChain } from '../tensor/tidy.js';
import type { DecodeOptions, DecoderStepper, Hypothesis } from './stepper.js';
import { attentionRow, checkDecodeOptions, checkLogProbs, perSource } from './util.js';

export interface BeamSearchOptions extends DecodeOptions {
  beamSize: number;
  /** α of the length normalisation (default 1). */
  lengthPenalty?: number;
  /** How many hypotheses to return per source, best first (default 1, at most beamSize; or one per source). */
  nBest?: number | readonly number[];
}

interface Live {
  tokens: number[];
  logProb: number;
  attention: Tensor[];
}

function normalised(logProb: number, length: number, alpha: number): number {
  return alpha === 0 ? logProb : logProb / Math.pow(Math.max(1, length), alpha);
}

/** Inserts (score, payload) into `best`, kept sorted descending and at most `limit` long. */
function pushTop(
  best: { score: number; row: number; token: number }[],
  limit: number,
  score: number,
  row: number,
  token: number,
): void {
  if (best.length === limit && score <= best[best.length - 1]!.score) return;
  let i = best.length;
  while (i > 0 && best[i - 1]!.score < score) i--;
  best.splice(i, 0, { score, row, token });
  if (best.length > limit) best.pop();
}

export function beamSearch<S>(stepper: DecoderStepper<S>, options: BeamSearchOptions): Hypothesis[][] {
  const op = 'beamSearch';
  checkDecodeOptions(op, options);
  const k = options.beamSize;
  if (!Number.isInteger(k) || k < 1) fail(op, `beamSize must be a positive integer, got ${k}`);
  const alpha = options.lengthPenalty ?? 1;
  if (!Number.isFinite(alpha) || alpha < 0)
    fail(op, `lengthPenalty must be a non-negative number, got ${alpha}`);
  const axis = stepper.attentionRowAxis ?? 0;

  return noGrad(() => {
    const batch = stepper.batchSize;
    const maxLength = perSource(op, 'maxLength', options.maxLength, batch);
    const nBest = perSource(op, 'nBest', options.nBest ?? 1, batch);
    for (const n of nBest) if (n < 1 || n > k) fail(op, `nBest must be an integer in [1, ${k}], got ${n}`);
    let state = stepper.start(k);
    // Row b·k + j is hypothesis j of source b. All rows of a source start identical, so only the first is live.
    let live: (Live | null)[] = Array.from({ length: batch * k }, (_, r) =>
      r % k === 0 ? { tokens: [], logProb: 0, attention: [] } : null,
    );
    const finished: Hypothesis[][] = Array.from({ length: batch }, () => []);
    const done = new Array<boolean>(batch).fill(false);
    const tokens = new Int32Array(batch * k).fill(options.sos);

    const longest = Math.max(0, ...maxLength);
    // Each step in a scope of the chain: its activations, and the state it superseded, go back to the pool.
    const chain = new TidyChain();
    for (let t = 0; t < longest; t++) {
      // A source at its own bound is done: its live hypotheses are returned as they are.
      for (let b = 0; b < batch; b++) if (t >= maxLength[b]!) done[b] = true;
      if (done.every(Boolean)) break;
      ({ state, live } = chain.step(() => {
        const { logProbs, state: next, attention } = stepper.step(tokens, state);
        const vocab = checkLogProbs(op, logProbs, batch * k);
        const lp = logProbs.data as Float32Array;
        const parents = new Int32Array(batch * k);
        const nextLive: (Live | null)[] = new Array(batch * k).fill(null);
        for (let b = 0; b < batch; b++) {
          if (done[b]) {
            // Its live hypotheses stay as they are (returned when it has fewer than nBest finished ones).
            for (let j = 0; j < k; j++) {
              parents[b * k + j] = b * k;
              nextLive[b * k + j] = live[b * k + j]!;
            }
            continue;
          }
          const best: { score: number; row: number; token: number }[] = [];
          for (let j = 0; j < k; j++) {
            const row = b * k + j;
            const h = live[row];
            if (!h) continue;
            const base = row * vocab;
            for (let v = 0; v < vocab; v++) pushTop(best, 2 * k, h.logProb + lp[base + v]!, row, v);
          }
          let kept = 0;
          for (const [rank, cand] of best.entries()) {
            const parent = live[cand.row]!;
            const stepAttention = attention
              ? [...parent.attention, attentionRow(attention, cand.row, axis)]
              : parent.attention;
            if (cand.token === options.eos) {
              // Only an ending that ranks among the beam's best counts, so a beam of 1 is exactly greedy search.
              if (rank >= k) continue;
              finished[b]!.push({
                tokens: parent.tokens,
                logProb: cand.score,
                score: normalised(cand.score, parent.tokens.length + 1, alpha),
                attention: stepAttention,
                finished: true,
              });
              continue;
            }
            if (kept === k) continue;
            const row = b * k + kept++;
            parents[row] = cand.row;
            nextLive[row] = {
              tokens: [...parent.tokens, cand.token],
              logProb: cand.score,
              attention: stepAttention,
            };
            tokens[row] = cand.token;
          }
          for (let j = kept; j < k; j++) parents[b * k + j] = b * k;
          if (finished[b]!.length >= k || kept === 0) done[b] = true;
        }
        // The finished hypotheses are returned too: the chain keeps what the result holds.
        return { state: stepper.select(next, parents), live: nextLive, finished };
      }));
    }

    return chain.finish(
      finished.map((list, b) => {
        const all = [...list];
        if (all.length < nBest[b]!) {
          for (let j = 0; j < k; j++) {
            const h = live[b * k + j];
            if (h) all.push({ ...h, score: normalised(h.logProb, h.tokens.length, alpha), finished: false });
          }
        }
        return all.sort((x, y) => y.score - x.score).slice(0, nBest[b]);
      }),
    );
  });
}
