/**
 * Problems found while reading a corpus: a malformed line is reported with the file name and line number
 * (`tatoeba.tsv:17: expected 2 or 3 tab-separated columns, got 1`) and either skipped — the problem is collected
 * so that the caller can report it — or fatal, by the reader's `onError` option.
 */
import { AttnError } from '../tensor/errors.js';

export interface DataProblem {
  /** The file name (or the name given for in-memory text). */
  file: string;
  /** 1-based line number (the first line of a record that spans lines). */
  line: number;
  message: string;
}

/** `'throw'` (the default) stops at the first malformed line; `'skip'` collects it and reads on. */
export type OnError = 'skip' | 'throw';

export interface ProblemOptions {
  /** The name used in messages. Default `<input>` for text, the path for files. */
  file?: string;
  onError?: OnError;
  /** Called with each problem as it is found, when skipping. */
  onProblem?: (problem: DataProblem) => void;
}

export function formatProblem(problem: DataProblem): string {
  return `${problem.file}:${problem.line}: ${problem.message}`;
}

/**
 * Thrown for a malformed line when `onError` is `'throw'`. Its message is exactly `file:line: message` (the
 * location takes the place of the op name that starts other AttnError messages).
 */
export class DataFormatError extends AttnError {
  readonly problem: DataProblem;
  constructor(problem: DataProblem) {
    super(`${problem.file}:${problem.line}`, problem.message);
    this.name = 'DataFormatError';
    this.problem = problem;
  }
}

/** Collects or throws problems for one input, as `onError` says. */
export class ProblemLog {
  readonly problems: DataProblem[] = [];
  readonly file: string;
  private readonly onError: OnError;
  private readonly onProblem: ((problem: DataProblem) => void) | undefined;

  constructor(options: ProblemOptions, defaultFile: string) {
    this.file = options.file ?? defaultFile;
    this.onError = options.onError ?? 'throw';
    if (this.onError !== 'skip' && this.onError !== 'throw') {
      throw new AttnError('read', `onError must be 'skip' or 'throw', got ${String(this.onError)}`);
    }
    this.onProblem = options.onProblem;
  }

  report(line: number, message: string): void {
    const problem: DataProblem = { file: this.file, line, message };
    if (this.onError === 'throw') throw new DataFormatError(problem);
    this.problems.push(problem);
    this.onProblem?.(problem);
  }
}
