/**
 * Corpus chrF and chrF++ (Popović, 2015 and 2017) computed as sacrebleu 2 computes them by default, so scores are
 * comparable with published ones. For each order — character n-grams n = 1..charOrder, then word n-grams
 * n = 1..wordOrder — the statistics are summed over the corpus (hypothesis n-grams, reference n-grams, matches
 * min(count_hyp, count_ref)), and
 *
 * ```
 * Pₙ = matchesₙ / hypₙ      Rₙ = matchesₙ / refₙ
 * chrF = 100 · (1 + β²) · P · R / (β² · P + R)          P, R = the means of Pₙ, Rₙ over the orders
 * ```
 *
 * where the means run over the "effective" orders only, those with n-grams in both hypotheses and references
 * (sacrebleu's default). With `epsSmoothing` (chrF++.py, NLTK and Moses) it is instead the mean of the per-order
 * F-scores, an order without n-grams counting ε = 1e-16 for its P and R. Character n-grams are taken with all
 * whitespace removed (unless `whitespace`); word n-grams split a word's one leading or trailing punctuation
 * mark off (sacrebleu's rule: "(hi)" gives "(hi" and ")"). With several references a sentence takes the
 * statistics of the reference that gives it the best chrF.
 */
import { fail } from '../../tensor/errors.js';
import { splitWhitespace } from './tokenize-13a.js';

export interface ChrfOptions {
  /** Highest character n-gram order (default 6). */
  charOrder?: number;
  /** Highest word n-gram order: 0 (default) is chrF, 2 is chrF++. */
  wordOrder?: number;
  /** Weight of recall against precision (default 2). */
  beta?: number;
  /** Lowercase hypotheses and references first (default false). */
  lowercase?: boolean;
  /** Keep whitespace in character n-grams (default false). */
  whitespace?: boolean;
  /** ε-smoothed mean of per-order F-scores instead of the effective-order mean (default false). */
  epsSmoothing?: boolean;
}

export interface ChrfResult {
  /** chrF (or chrF++) on the 0–100 scale. */
  score: number;
  charOrder: number;
  wordOrder: number;
  beta: number;
  /** Per order (characters 1..charOrder, then words 1..wordOrder): [hypothesis n-grams, reference n-grams, matches]. */
  statistics: [number, number, number][];
}

const CHRF_OPTIONS = ['charOrder', 'wordOrder', 'beta', 'lowercase', 'whitespace', 'epsSmoothing'];
// Python's string.punctuation.
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const EPS = 1e-16;

/**
 * chrF of `hypotheses` against `references`, where `references[i]` is the reference of hypothesis i or a list of
 * its references (sacrebleu's `corpus_chrf` takes reference streams, `refs[k][i]`; transpose those).
 */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly (string | readonly string[])[],
  options: ChrfOptions = {},
): ChrfResult {
  const op = 'corpusChrf';
  for (const key of Object.keys(options)) {
    if (!CHRF_OPTIONS.includes(key))
      fail(op, `unknown option '${key}' (expected ${CHRF_OPTIONS.join(', ')})`);
  }
  const charOrder = options.charOrder ?? 6;
  const wordOrder = options.wordOrder ?? 0;
  const beta = options.beta ?? 2;
  if (!Number.isInteger(charOrder) || charOrder < 0)
    fail(op, `charOrder must be an integer >= 0, got ${charOrder}`);
  if (!Number.isInteger(wordOrder) || wordOrder < 0)
    fail(op, `wordOrder must be an integer >= 0, got ${wordOrder}`);
  if (charOrder + wordOrder === 0) fail(op, 'charOrder and wordOrder are both 0: no n-grams to compare');
  if (!(typeof beta === 'number' && beta >= 0 && Number.isFinite(beta)))
    fail(op, `beta must be a finite number >= 0, got ${String(beta)}`);
  if (!Array.isArray(hypotheses) || !Array.isArray(references))
    fail(op, 'hypotheses and references must be arrays');
  if (hypotheses.length !== references.length)
    fail(op, `${hypotheses.length} hypotheses but ${references.length} references`);

  const settings = { charOrder, wordOrder, beta, whitespace: options.whitespace ?? false };
  const prepare = (text: string): Map<string, number>[] =>
    ngrams(options.lowercase ? text.toLowerCase() : text, settings);
  const orders = charOrder + wordOrder;
  const totals: [number, number, number][] = Array.from({ length: orders }, () => [0, 0, 0]);
  hypotheses.forEach((hyp, i) => {
    if (typeof hyp !== 'string') fail(op, `hypothesis ${i} is not a string`);
    const entry = references[i]!;
    if (typeof entry !== 'string' && !Array.isArray(entry))
      fail(op, `references[${i}] must be a string or an array of strings`);
    const refs: readonly string[] = typeof entry === 'string' ? [entry] : entry;
    if (refs.length === 0) fail(op, `hypothesis ${i} has no reference`);
    if (refs.some((r) => typeof r !== 'string')) fail(op, `a reference of hypothesis ${i} is not a string`);
    const hypNgrams = prepare(hyp);
    let best: [number, number, number][] = [];
    let bestScore = -1;
    for (const ref of refs) {
      const refNgrams = prepare(ref);
      const stats = hypNgrams.map((h, n) => matchStatistics(h, refNgrams[n]!));
      const score = chrfFromStatistics(stats, beta, options.epsSmoothing ?? false);
      if (score > bestScore) [best, bestScore] = [stats, score];
    }
    best.forEach((s, n) => s.forEach((v, k) => (totals[n]![k]! += v)));
  });
  return {
    score: chrfFromStatistics(totals, beta, options.epsSmoothing ?? false),
    charOrder,
    wordOrder,
    beta,
    statistics: totals,
  };
}

/** chrF on the 0–100 scale from per-order [hypothesis n-grams, reference n-grams, matches] (see the module comment). */
export function chrfFromStatistics(
  statistics: readonly (readonly [number, number, number])[],
  beta = 2,
  epsSmoothing = false,
): number {
  const b2 = beta * beta;
  let smoothed = 0;
  let precision = 0;
  let recall = 0;
  let effective = 0;
  for (const [hyp, ref, match] of statistics) {
    const p = hyp > 0 ? match / hyp : EPS;
    const r = ref > 0 ? match / ref : EPS;
    const denominator = b2 * p + r;
    smoothed += denominator > 0 ? ((1 + b2) * p * r) / denominator : EPS;
    if (hyp > 0 && ref > 0) {
      precision += p;
      recall += r;
      effective++;
    }
  }
  if (epsSmoothing) return (100 * smoothed) / statistics.length;
  if (effective === 0) return 0;
  precision /= effective;
  recall /= effective;
  if (precision + recall === 0) return 0;
  return (100 * (1 + b2) * precision * recall) / (b2 * precision + recall);
}

/** Counts of the character n-grams (n = 1..charOrder), then the word n-grams (n = 1..wordOrder), of `text`. */
function ngrams(
  text: string,
  o: { charOrder: number; wordOrder: number; whitespace: boolean },
): Map<string, number>[] {
  const out: Map<string, number>[] = [];
  // Code points, as Python iterates a str (a character outside the BMP is one, not two UTF-16 units).
  const chars = Array.from(o.whitespace ? text : splitWhitespace(text).join(''));
  for (let n = 1; n <= o.charOrder; n++) out.push(count(chars, n, ''));
  const words = o.wordOrder > 0 ? splitPunctuation(splitWhitespace(text)) : [];
  for (let n = 1; n <= o.wordOrder; n++) out.push(count(words, n, ' '));
  return out;
}

function count(items: readonly string[], n: number, separator: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= items.length; i++) {
    const key = items.slice(i, i + n).join(separator);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** A word of two or more characters loses its last punctuation mark, or else its first, to a word of its own. */
function splitPunctuation(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const word of words) {
    const chars = Array.from(word);
    if (chars.length > 1 && PUNCTUATION.has(chars.at(-1)!))
      out.push(chars.slice(0, -1).join(''), chars.at(-1)!);
    else if (chars.length > 1 && PUNCTUATION.has(chars[0]!)) out.push(chars[0]!, chars.slice(1).join(''));
    else out.push(word);
  }
  return out;
}

function matchStatistics(hyp: Map<string, number>, ref: Map<string, number>): [number, number, number] {
  let hypTotal = 0;
  let refTotal = 0;
  let matches = 0;
  for (const [gram, c] of hyp) {
    hypTotal += c;
    matches += Math.min(c, ref.get(gram) ?? 0);
  }
  for (const c of ref.values()) refTotal += c;
  return [hypTotal, refTotal, matches];
}
