/**
 * `--max-line-tokens N`: the most words one line of input may have (a corpus line for train and eval, an input
 * line for translate and classify). A longer line is malformed — an error naming file:line, or skipped and
 * counted under --skip-malformed — so that one huge line cannot make a command allocate gigabytes.
 */
import { DEFAULT_MAX_LINE_TOKENS, tooManyTokens, whitespaceTokenCount } from '../data/length-filter.js';
import { intValue, type OptionSpec, type OptionValues } from './options.js';

/** Largest value the option takes. */
const MAX_LINE_TOKENS_LIMIT = 1_000_000;

export const MAX_LINE_TOKENS_OPTION: OptionSpec = {
  name: 'max-line-tokens',
  type: 'string',
  value: 'N',
  help: `a line with more words than N is malformed (default ${DEFAULT_MAX_LINE_TOKENS})`,
};

/** The option's value, or undefined for the default. */
export function maxLineTokensValue(values: OptionValues): number | undefined {
  return intValue(values, 'max-line-tokens', 1, MAX_LINE_TOKENS_LIMIT);
}

/** The problem of an input line over the bound, or undefined when it is within. */
export function lineTokensProblem(text: string, maxLineTokens: number | undefined): string | undefined {
  const bound = maxLineTokens ?? DEFAULT_MAX_LINE_TOKENS;
  const length = whitespaceTokenCount(text);
  return length > bound ? tooManyTokens(length, bound) : undefined;
}
