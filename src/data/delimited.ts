/**
 * Records of delimited text, one line at a time: CSV with quoted fields per RFC 4180 (a field in double quotes
 * may hold the delimiter, line breaks and doubled quotes `""`), or plain TSV where a tab always separates fields
 * and quotes are ordinary characters (as GLUE's SST-2 and most TSV corpora are written).
 *
 * Lenient where RFC 4180 is strict in ways real files ignore: a quote inside an unquoted field is kept as a
 * character. Errors: text after a closing quote, and a quoted field still open at the end of the input or after
 * `MAX_RECORD_LINES` lines.
 */
import { fail } from '../tensor/errors.js';

export interface DelimitedOptions {
  /** The field separator: `,` for CSV, a tab for TSV. */
  delimiter: string;
  /** Whether double quotes delimit fields (RFC 4180). */
  quoting: boolean;
}

/** A record (its fields) or what is wrong with it; `line` is where the record starts (1-based). */
export type DelimitedRecord = { line: number; fields: string[] } | { line: number; error: string };

/** A quoted field running over more lines than this is taken for an unterminated quote. */
export const MAX_RECORD_LINES = 1000;

export class DelimitedRecordReader {
  private lineNumber = 0;
  private startLine = 0;
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  private pendingLines = 0;

  constructor(private readonly options: DelimitedOptions) {
    if (options.delimiter.length !== 1 || options.delimiter === '"' || /[\r\n]/.test(options.delimiter)) {
      fail(
        'DelimitedRecordReader',
        `delimiter must be one character other than a quote or line break, got ${JSON.stringify(options.delimiter)}`,
      );
    }
  }

  /**
   * Counts a line that could not be read (too long, not UTF-8) without parsing it, and returns its number. A
   * quoted field left open before it is dropped with it: the record it belonged to is lost either way.
   */
  skipLine(): number {
    this.lineNumber++;
    this.inQuotes = false;
    return this.lineNumber;
  }

  /**
   * Feeds the next line (without its line ending). Returns the record it completes, or undefined while a
   * quoted field continues on the next line.
   */
  push(line: string): DelimitedRecord | undefined {
    this.lineNumber++;
    if (this.inQuotes) {
      this.field += '\n';
      this.pendingLines++;
    } else {
      this.startLine = this.lineNumber;
      this.fields = [];
      this.field = '';
      this.pendingLines = 0;
    }
    const { delimiter, quoting } = this.options;
    let i = 0;
    const n = line.length;
    while (i < n) {
      const c = line[i]!;
      if (this.inQuotes) {
        if (c === '"') {
          if (line[i + 1] === '"') {
            this.field += '"';
            i += 2;
            continue;
          }
          this.inQuotes = false;
          i++;
          if (i < n && line[i] !== delimiter) {
            return this.fail(`unexpected ${JSON.stringify(line[i])} after a closing quote`);
          }
          continue;
        }
        this.field += c;
        i++;
      } else if (c === delimiter) {
        this.fields.push(this.field);
        this.field = '';
        i++;
      } else if (c === '"' && quoting && this.field.length === 0 && this.atFieldStart(line, i)) {
        this.inQuotes = true;
        i++;
      } else {
        this.field += c;
        i++;
      }
    }
    if (this.inQuotes) {
      if (this.pendingLines + 1 >= MAX_RECORD_LINES) {
        return this.fail(`quoted field runs past ${MAX_RECORD_LINES} lines (unterminated quote?)`);
      }
      return undefined;
    }
    this.fields.push(this.field);
    const record = { line: this.startLine, fields: this.fields };
    this.fields = [];
    this.field = '';
    return record;
  }

  /** Call at the end of the input: reports a quoted field left open. */
  finish(): DelimitedRecord | undefined {
    if (!this.inQuotes) return undefined;
    return this.fail('quoted field is not closed before the end of the input');
  }

  private atFieldStart(line: string, i: number): boolean {
    return i === 0 || line[i - 1] === this.options.delimiter;
  }

  private fail(error: string): DelimitedRecord {
    this.inQuotes = false;
    this.fields = [];
    this.field = '';
    return { line: this.startLine, error };
  }
}

/** Splits one complete record of text into fields (for tests and small inputs). */
export function parseDelimitedLine(line: string, options: DelimitedOptions): string[] {
  const reader = new DelimitedRecordReader(options);
  const record = reader.push(line) ?? reader.finish()!;
  if ('error' in record) fail('parseDelimitedLine', record.error);
  return record.fields;
}
