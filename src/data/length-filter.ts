/** Length filtering: dropping examples with too many tokens on either side (long pairs dominate memory). */
import { fail } from '../tensor/errors.js';

/** Tokens by whitespace: the default length measure of the readers' `maxTokens`. */
export function whitespaceTokenCount(text: string): number {
  let n = 0;
  for (const w of text.split(/\s+/u)) if (w.length > 0) n++;
  return n;
}

export interface LengthFilterOptions {
  /** The most tokens allowed on each side. */
  maxTokens: number;
  /** How to count a text's tokens. Default: whitespace-separated words. */
  lengthOf?: (text: string) => number;
}

export function checkMaxTokens(op: string, maxTokens: number | undefined): void {
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens > 0)) {
    fail(op, `maxTokens must be a positive integer, got ${maxTokens}`);
  }
}

/** The pairs with at most `maxTokens` tokens in both source and target. */
export function filterPairsByLength<T extends { source: string; target: string }>(
  pairs: Iterable<T>,
  options: LengthFilterOptions,
): T[] {
  checkMaxTokens('filterPairsByLength', options.maxTokens);
  const lengthOf = options.lengthOf ?? whitespaceTokenCount;
  const out: T[] = [];
  for (const p of pairs) {
    if (lengthOf(p.source) <= options.maxTokens && lengthOf(p.target) <= options.maxTokens) out.push(p);
  }
  return out;
}
