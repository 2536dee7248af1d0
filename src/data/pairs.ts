/**
 * Sentence pairs in the tab-separated Tatoeba / Anki format: `English<TAB>French`, optionally followed by a third
 * column (the attribution the manythings.org exports carry), which is ignored. Which column is the source is an
 * option, so one file serves both translation directions.
 *
 * `PairParser` reads one line at a time (the Node streaming reader feeds it from a file); `parsePairs` runs it
 * over in-memory text. Blank lines are skipped silently; fields are trimmed.
 */
import { fail } from '../tensor/errors.js';
import {
  checkMaxTokens,
  DEFAULT_MAX_LINE_TOKENS,
  tooManyTokens,
  whitespaceTokenCount,
} from './length-filter.js';
import { linesOf } from './lines.js';
import { ProblemLog, type DataProblem, type ProblemOptions } from './problems.js';

export interface SentencePair {
  source: string;
  target: string;
}

export interface PairReaderOptions extends ProblemOptions {
  /** The column (0 or 1) that holds the source sentence; the other is the target. Default 0. */
  sourceColumn?: 0 | 1;
  /** Drop pairs with more tokens than this on either side (counted, not reported as problems). */
  maxTokens?: number;
  /** How `maxTokens` counts tokens. Default: whitespace-separated words. */
  lengthOf?: (text: string) => number;
  /**
   * The most tokens either side may have (default `DEFAULT_MAX_LINE_TOKENS`); a longer pair (not dropped by
   * `maxTokens`) is a malformed line. It bounds what one line of a corpus can make the model allocate.
   */
  maxLineTokens?: number;
}

export interface PairsResult {
  pairs: SentencePair[];
  /** Malformed lines that were skipped (empty unless `onError: 'skip'`). */
  problems: DataProblem[];
  /** Pairs dropped by `maxTokens`. */
  filtered: number;
}

export class PairParser {
  /** Pairs dropped by `maxTokens` so far. */
  filtered = 0;
  private lineNumber = 0;
  private readonly log: ProblemLog;
  private readonly sourceColumn: 0 | 1;
  private readonly maxTokens: number;
  private readonly maxLineTokens: number;
  private readonly lengthOf: (text: string) => number;

  constructor(options: PairReaderOptions = {}) {
    this.log = new ProblemLog(options, '<input>');
    this.sourceColumn = options.sourceColumn ?? 0;
    if (this.sourceColumn !== 0 && this.sourceColumn !== 1) {
      fail('PairParser', `sourceColumn must be 0 or 1, got ${String(this.sourceColumn)}`);
    }
    checkMaxTokens('PairParser', options.maxTokens);
    this.maxTokens = options.maxTokens ?? Infinity;
    checkMaxTokens('PairParser', options.maxLineTokens, 'maxLineTokens');
    this.maxLineTokens = options.maxLineTokens ?? DEFAULT_MAX_LINE_TOKENS;
    this.lengthOf = options.lengthOf ?? whitespaceTokenCount;
  }

  /** Problems collected so far (when skipping). */
  get problems(): DataProblem[] {
    return this.log.problems;
  }

  /** The pair on the next line, or undefined when the line is blank, malformed (and skipped) or filtered. */
  parseLine(line: string): SentencePair | undefined {
    this.lineNumber++;
    if (line.trim().length === 0) return undefined;
    const fields = line.split('\t');
    if (fields.length !== 2 && fields.length !== 3) {
      this.log.report(this.lineNumber, `expected 2 or 3 tab-separated columns, got ${fields.length}`);
      return undefined;
    }
    const source = fields[this.sourceColumn]!.trim();
    const target = fields[1 - this.sourceColumn]!.trim();
    if (source.length === 0 || target.length === 0) {
      const empty = fields[0]!.trim().length === 0 ? 1 : 2;
      this.log.report(this.lineNumber, `column ${empty} is empty`);
      return undefined;
    }
    const longest = Math.max(this.lengthOf(source), this.lengthOf(target));
    if (longest > this.maxTokens) {
      this.filtered++;
      return undefined;
    }
    if (longest > this.maxLineTokens) {
      this.log.report(this.lineNumber, tooManyTokens(longest, this.maxLineTokens));
      return undefined;
    }
    return { source, target };
  }

  /** Counts a line that could not be read (too long, not UTF-8, binary) and reports `problem` for it. */
  rejectLine(problem: string): void {
    this.lineNumber++;
    this.log.report(this.lineNumber, problem);
  }
}

/** Parses tab-separated pairs from text (or lines); see `PairReaderOptions`. */
export function parsePairs(input: string | Iterable<string>, options: PairReaderOptions = {}): PairsResult {
  const parser = new PairParser(options);
  const pairs: SentencePair[] = [];
  for (const line of linesOf(input)) {
    const pair = parser.parseLine(line);
    if (pair) pairs.push(pair);
  }
  return { pairs, problems: parser.problems, filtered: parser.filtered };
}
