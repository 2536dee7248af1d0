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

export function checkMaxTokens(op: string, maxTokens: number | undefined, name = 'maxTokens'): void {
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens > 0)) {
    fail(op, `${name} must be a positive integer, got ${maxTokens}`);
  }
}

/**
 * The most tokens one line of a corpus or one input may have unless the caller says otherwise: far above a
 * sentence or a review, low enough that one line cannot make a model allocate gigabytes (attention over T tokens
 * holds T² weights per head).
 */
export const DEFAULT_MAX_LINE_TOKENS = 1024;

/**
 * Bytes a line may have for a bound of `maxLineTokens` words: 64 per word, room for any real word and its
 * separator. Readers refuse a longer line before decoding it, so the word count never sees a huge string.
 */
export function maxLineBytesFor(maxLineTokens: number | undefined): number {
  return 64 * (maxLineTokens ?? DEFAULT_MAX_LINE_TOKENS);
}

/** The problem of a text over the line bound, naming the option that changes it. */
export function tooManyTokens(length: number, maxLineTokens: number): string {
  return (
    `${length} tokens, more than the limit of ${maxLineTokens} per line ` +
    '(maxLineTokens; attn: --max-line-tokens N to raise it, or --skip-malformed to skip such lines)'
  );
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
