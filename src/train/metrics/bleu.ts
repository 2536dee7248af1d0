/**
 * Corpus BLEU (Papineni et al., 2002) computed as sacrebleu 2 computes it by default, so scores are comparable
 * with published ones:
 *
 * ```
 * BLEU = BP · exp(¼ · Σₙ log pₙ)                      n = 1..4, pₙ in percent, so BLEU is on the 0–100 scale
 * pₙ   = 100 · Σ_sentences Σ_ngrams min(count_hyp, max over references of count_ref) / Σ_sentences (len − n + 1)
 * BP   = exp(1 − r / c) if c < r, else 1             c = hypothesis tokens, r = Σ closest reference lengths
 * ```
 *
 * The closest reference length is the one nearest the hypothesis' length, the shorter on a tie. Text is tokenised
 * with the 13a rules (tokenize-13a.ts) after trimming trailing whitespace. With the default 'exp' smoothing
 * (mteval-v13a's), an order with no match gets pₙ = 100 / (2^k · totalₙ), k = 1, 2, ... for successive such orders;
 * with no match at any order the score is 0.
 */
import { fail } from '../../tensor/errors.js';
import { splitWhitespace, tokenize13a, trimEndPython } from './tokenize-13a.js';

export interface BleuOptions {
  /** 'exp' (default, sacrebleu's), 'floor' (pₙ = 100·smoothValue/totalₙ for 0 matches), 'add-k', 'none'. */
  smoothMethod?: 'exp' | 'floor' | 'add-k' | 'none';
  /** The value for 'floor' (default 0.1) and 'add-k' (default 1). */
  smoothValue?: number;
  /** '13a' (default) or 'none' (split on whitespace only, for text already tokenised). */
  tokenize?: '13a' | 'none';
  /** Lowercase hypotheses and references first; default false. */
  lowercase?: boolean;
  /** Highest n-gram order; default 4. */
  maxNgramOrder?: number;
  /** Average only over the orders the hypotheses have n-grams of (for sentence-level BLEU); default false. */
  effectiveOrder?: boolean;
}

export interface BleuResult {
  /** BLEU on the 0–100 scale. */
  score: number;
  /** Modified n-gram precisions, in percent (as sacrebleu reports them), after smoothing. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** Hypothesis tokens in the corpus. */
  sysLen: number;
  /** Sum of the closest reference lengths. */
  refLen: number;
  /** Clipped n-gram matches per order (before any add-k smoothing). */
  counts: number[];
  /** Hypothesis n-grams per order (before any add-k smoothing). */
  totals: number[];
}

/**
 * BLEU of `hypotheses` against `references`, where `references[i]` is the reference of hypothesis i or a list of
 * its references. (sacrebleu's `corpus_bleu` takes reference *streams* instead, `refs[k][i]`; transpose those.)
 * Empty references are skipped, as sacrebleu skips them; a hypothesis with no non-empty reference is an error.
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (string | readonly string[])[],
  options: BleuOptions = {},
): BleuResult {
  const op = 'corpusBleu';
  const smoothMethod = options.smoothMethod ?? 'exp';
  if (!['exp', 'floor', 'add-k', 'none'].includes(smoothMethod)) {
    fail(op, `unknown smoothMethod '${smoothMethod}' (expected exp, floor, add-k or none)`);
  }
  const tokenizeName = options.tokenize ?? '13a';
  if (tokenizeName !== '13a' && tokenizeName !== 'none') {
    fail(op, `unknown tokenize '${String(tokenizeName)}' (expected 13a or none)`);
  }
  const maxOrder = options.maxNgramOrder ?? 4;
  if (!Number.isInteger(maxOrder) || maxOrder < 1) {
    fail(op, `maxNgramOrder must be an integer >= 1, got ${maxOrder}`);
  }
  if (!Array.isArray(hypotheses) || !Array.isArray(references)) {
    fail(op, 'hypotheses and references must be arrays');
  }
  if (hypotheses.length !== references.length) {
    fail(op, `${hypotheses.length} hypotheses but ${references.length} references`);
  }
  const tokenize = tokenizeName === '13a' ? tokenize13a : splitWhitespace;
  const prepare = (text: string): string[] =>
    tokenize(trimEndPython(options.lowercase ? text.toLowerCase() : text));

  const counts = new Array<number>(maxOrder).fill(0);
  const totals = new Array<number>(maxOrder).fill(0);
  let sysLen = 0;
  let refLen = 0;
  hypotheses.forEach((hyp, i) => {
    if (typeof hyp !== 'string') fail(op, `hypothesis ${i} is not a string`);
    const entry = references[i]!;
    if (typeof entry !== 'string' && !Array.isArray(entry)) {
      fail(op, `references[${i}] must be a string or an array of strings`);
    }
    const list: readonly string[] = typeof entry === 'string' ? [entry] : entry;
    const refs = list.filter((r) => r !== '' && r != null);
    if (refs.some((r) => typeof r !== 'string')) fail(op, `a reference of hypothesis ${i} is not a string`);
    if (refs.length === 0) fail(op, `hypothesis ${i} has no non-empty reference`);

    const maxRefCounts = new Map<string, number>();
    const refLens: number[] = [];
    for (const ref of refs) {
      const tokens = prepare(ref);
      refLens.push(tokens.length);
      for (const [ngram, count] of ngramCounts(tokens, maxOrder)) {
        if (count > (maxRefCounts.get(ngram) ?? 0)) maxRefCounts.set(ngram, count);
      }
    }
    const tokens = prepare(hyp);
    sysLen += tokens.length;
    refLen += closestLength(tokens.length, refLens);
    for (const [ngram, count] of ngramCounts(tokens, maxOrder)) {
      const n = orderOf(ngram);
      totals[n - 1]! += count;
      counts[n - 1]! += Math.min(count, maxRefCounts.get(ngram) ?? 0);
    }
  });
  return bleuFromStatistics(counts, totals, sysLen, refLen, options);
}

/**
 * BLEU from its sufficient statistics (sacrebleu's `BLEU.compute_bleu`): matches and totals per n-gram order,
 * hypothesis length and reference length.
 */
export function bleuFromStatistics(
  counts: readonly number[],
  totals: readonly number[],
  sysLen: number,
  refLen: number,
  options: Pick<BleuOptions, 'smoothMethod' | 'smoothValue' | 'effectiveOrder'> = {},
): BleuResult {
  const smoothMethod = options.smoothMethod ?? 'exp';
  const smoothValue = options.smoothValue ?? (smoothMethod === 'floor' ? 0.1 : 1);
  const maxOrder = counts.length;
  if (totals.length !== maxOrder) {
    fail('bleuFromStatistics', `${counts.length} counts but ${totals.length} totals`);
  }
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number): BleuResult => ({
    score,
    precisions,
    bp,
    sysLen,
    refLen,
    counts: [...counts],
    totals: [...totals],
  });
  if (counts.every((c) => c === 0)) return result(0);

  let smoothExp = 1;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    let correct = counts[n - 1]!;
    let total = totals[n - 1]!;
    if (smoothMethod === 'add-k' && n > 1) {
      correct += smoothValue;
      total += smoothValue;
    }
    if (total === 0) break;
    if (options.effectiveOrder) effOrder = n;
    if (correct === 0) {
      if (smoothMethod === 'exp') {
        smoothExp *= 2;
        precisions[n - 1] = 100 / (smoothExp * total);
      } else if (smoothMethod === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / total;
      }
    } else {
      precisions[n - 1] = (100 * correct) / total;
    }
  }
  let logSum = 0;
  for (let n = 0; n < effOrder; n++) {
    const p = precisions[n]!;
    // sacrebleu's my_log: log 0 is a large negative number, so the score underflows to 0.
    logSum += p === 0 ? -9999999999 : Math.log(p);
  }
  return result(bp * Math.exp(logSum / effOrder));
}

/** Counts of every n-gram of order 1..maxOrder, keyed by its tokens joined with spaces (tokens have none). */
function ngramCounts(tokens: readonly string[], maxOrder: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = tokens.slice(i, i + n).join(' ');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

function orderOf(ngram: string): number {
  let n = 1;
  for (let i = 0; i < ngram.length; i++) if (ngram.charCodeAt(i) === 32) n++;
  return n;
}

/** The reference length nearest `hypLen`, the shorter of two equally near. */
function closestLength(hypLen: number, refLens: readonly number[]): number {
  let best = refLens[0]!;
  for (const len of refLens) {
    const d = Math.abs(hypLen - len);
    const bestD = Math.abs(hypLen - best);
    if (d < bestD || (d === bestD && len < best)) best = len;
  }
  return best;
}
