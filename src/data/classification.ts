/**
 * Text-classification corpora in CSV or TSV: one example per record, its text and its label in columns chosen by
 * name (from a header) or by 0-based index, with or without a header line (`header: 'auto'` detects one).
 * Labels map to ids 0..K-1: in the order of `labels` when given, otherwise (in-memory parsing) sorted —
 * numerically when every label is a number, so SST-2's "0"/"1" keep their values.
 *
 * `ClassificationParser` reads one line at a time (the Node streaming reader feeds it from a file; without
 * `labels` a stream numbers labels in order of first appearance, so pass `labels` when streaming);
 * `parseClassification` runs it over in-memory text.
 */
import { fail } from '../tensor/errors.js';
import { DelimitedRecordReader } from './delimited.js';
import {
  checkMaxTokens,
  DEFAULT_MAX_LINE_TOKENS,
  tooManyTokens,
  whitespaceTokenCount,
} from './length-filter.js';
import { linesOf } from './lines.js';
import { DataFormatError, ProblemLog, type DataProblem, type ProblemOptions } from './problems.js';

export interface ClassificationExample {
  text: string;
  /** The label's id (its index in the result's `labels`). */
  label: number;
}

export type ColumnSelector = string | number;

export interface ClassificationReaderOptions extends ProblemOptions {
  /** `'tsv'` (tab, no quoting; the default) or `'csv'` (comma, RFC 4180 quoting). */
  format?: 'tsv' | 'csv';
  /** The field separator, overriding the format's. */
  delimiter?: string;
  /** Whether double quotes delimit fields; default true for CSV, false for TSV. */
  quoting?: boolean;
  /** The text column: a header name or a 0-based index. Default 0. */
  textColumn?: ColumnSelector;
  /** The label column: a header name or a 0-based index. Default 1. */
  labelColumn?: ColumnSelector;
  /**
   * Whether the first record is a header. `'auto'` (the default) says yes when a column is chosen by name, when
   * the first record's label cell or text cell is a usual column name (label, class, sentence, text, ...), or
   * when `labels` is given and the first label cell is none of them and not a number.
   */
  header?: boolean | 'auto';
  /** The labels in id order. Records with another label are malformed. */
  labels?: readonly string[];
  /** Drop examples whose text has more tokens than this (counted, not reported). */
  maxTokens?: number;
  /**
   * The most tokens a text may have (default `DEFAULT_MAX_LINE_TOKENS`); a longer one (not dropped by
   * `maxTokens`) is a malformed line. It bounds what one line of a corpus can make the model allocate.
   */
  maxLineTokens?: number;
  /** How `maxTokens` counts tokens. Default: whitespace-separated words. */
  lengthOf?: (text: string) => number;
}

export interface ClassificationResult {
  examples: ClassificationExample[];
  /** Label strings by id. */
  labels: string[];
  /** The header's column names, or null when there was none. */
  header: string[] | null;
  problems: DataProblem[];
  /** Examples dropped by `maxTokens`. */
  filtered: number;
}

const HEADER_LABEL = /^(labels?|class(es)?|category|categories|target|sentiment|polarity|y)$/i;
const HEADER_TEXT = /^(sentences?|text|texts|review|document|phrase|content|tweet)$/i;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** The first control character (C0, DEL, C1) in `text`, or -1: never part of a label, often a damaged file. */
function controlCharacterIndex(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return i;
  }
  return -1;
}

/** Orders labels: numerically when all are numbers, otherwise by UTF-16 code units. */
export function sortLabels(labels: readonly string[]): string[] {
  const numeric = labels.every((l) => NUMBER.test(l));
  return [...labels].sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}

export class ClassificationParser {
  filtered = 0;
  header: string[] | null = null;
  private readonly log: ProblemLog;
  private readonly reader: DelimitedRecordReader;
  private readonly separator: string;
  private readonly headerOption: boolean | 'auto';
  private readonly fixedLabels: boolean;
  private readonly labelIds = new Map<string, number>();
  private readonly labelList: string[] = [];
  private readonly maxTokens: number;
  private readonly maxLineTokens: number;
  private readonly lengthOf: (text: string) => number;
  /** Columns of the first record of a file without a header; every record must have as many. */
  private columns = -1;
  private columnsLine = 0;
  private textIndex = -1;
  private labelIndex = -1;
  private started = false;

  constructor(private readonly options: ClassificationReaderOptions = {}) {
    const op = 'ClassificationParser';
    this.log = new ProblemLog(options, '<input>');
    const format = options.format ?? 'tsv';
    if (format !== 'tsv' && format !== 'csv')
      fail(op, `format must be 'tsv' or 'csv', got ${String(format)}`);
    const delimiter = options.delimiter ?? (format === 'csv' ? ',' : '\t');
    this.reader = new DelimitedRecordReader({ delimiter, quoting: options.quoting ?? format === 'csv' });
    this.separator =
      delimiter === '\t'
        ? 'tab-separated'
        : delimiter === ','
          ? 'comma-separated'
          : `'${delimiter}'-separated`;
    this.headerOption = options.header ?? 'auto';
    for (const [name, col] of [
      ['textColumn', options.textColumn ?? 0],
      ['labelColumn', options.labelColumn ?? 1],
    ] as const) {
      if (typeof col === 'number' ? !(Number.isInteger(col) && col >= 0) : typeof col !== 'string') {
        fail(op, `${name} must be a header name or a non-negative integer index, got ${String(col)}`);
      }
      if (typeof col === 'string' && this.headerOption === false) {
        fail(op, `${name} ${JSON.stringify(col)} is a column name, but header is false`);
      }
    }
    this.fixedLabels = options.labels !== undefined;
    for (const l of options.labels ?? []) {
      if (typeof l !== 'string') fail(op, `labels must be strings, got ${typeof l}`);
      if (!this.labelIds.has(l)) {
        this.labelIds.set(l, this.labelList.length);
        this.labelList.push(l);
      }
    }
    checkMaxTokens(op, options.maxTokens);
    this.maxTokens = options.maxTokens ?? Infinity;
    checkMaxTokens(op, options.maxLineTokens, 'maxLineTokens');
    this.maxLineTokens = options.maxLineTokens ?? DEFAULT_MAX_LINE_TOKENS;
    this.lengthOf = options.lengthOf ?? whitespaceTokenCount;
  }

  get problems(): DataProblem[] {
    return this.log.problems;
  }

  /** Label strings by id, as assigned so far. */
  get labels(): string[] {
    return [...this.labelList];
  }

  /** The example completed by this line, or undefined (blank, header, continued, skipped or filtered). */
  parseLine(line: string): ClassificationExample | undefined {
    const record = this.reader.push(line);
    if (record === undefined) return undefined;
    if ('error' in record) {
      this.log.report(record.line, record.error);
      return undefined;
    }
    return this.parseRecord(record.fields, record.line);
  }

  /** Counts a line that could not be read (too long, not UTF-8, binary) and reports `problem` for it. */
  rejectLine(problem: string): void {
    this.log.report(this.reader.skipLine(), problem);
  }

  /** Call at the end of the input (reports a quoted field left open). */
  finish(): void {
    const record = this.reader.finish();
    if (record && 'error' in record) this.log.report(record.line, record.error);
  }

  private parseRecord(fields: string[], line: number): ClassificationExample | undefined {
    if (fields.length === 1 && fields[0]!.trim().length === 0) return undefined;
    if (!this.started) {
      this.started = true;
      if (this.isHeader(fields)) {
        this.header = fields.map((f) => f.trim());
        this.textIndex = this.resolve(this.options.textColumn ?? 0, 'textColumn', line);
        this.labelIndex = this.resolve(this.options.labelColumn ?? 1, 'labelColumn', line);
        return undefined;
      }
      this.textIndex = (this.options.textColumn as number | undefined) ?? 0;
      this.labelIndex = (this.options.labelColumn as number | undefined) ?? 1;
    }
    if (this.header && fields.length !== this.header.length) {
      this.log.report(
        line,
        `expected ${this.header.length} ${this.separator} columns (as the header), got ${fields.length}`,
      );
      return undefined;
    }
    const needed = Math.max(this.textIndex, this.labelIndex) + 1;
    if (fields.length < needed) {
      this.log.report(line, `expected at least ${needed} ${this.separator} columns, got ${fields.length}`);
      return undefined;
    }
    // Without a header, the first record fixes the column count: a stray extra column is a damaged line, not
    // a new label or a longer text.
    if (!this.header) {
      if (this.columns < 0) [this.columns, this.columnsLine] = [fields.length, line];
      else if (fields.length !== this.columns) {
        this.log.report(
          line,
          `expected ${this.columns} ${this.separator} columns (as line ${this.columnsLine}), got ${fields.length}`,
        );
        return undefined;
      }
    }
    const text = fields[this.textIndex]!.trim();
    const labelText = fields[this.labelIndex]!.trim();
    if (text.length === 0) {
      this.log.report(line, `the text (column ${this.textIndex + 1}) is empty`);
      return undefined;
    }
    if (labelText.length === 0) {
      this.log.report(line, `the label (column ${this.labelIndex + 1}) is empty`);
      return undefined;
    }
    const control = controlCharacterIndex(labelText);
    if (control >= 0) {
      const code = labelText.charCodeAt(control).toString(16).toUpperCase().padStart(4, '0');
      this.log.report(
        line,
        `the label (column ${this.labelIndex + 1}) holds the control character U+${code}`,
      );
      return undefined;
    }
    let label = this.labelIds.get(labelText);
    if (label === undefined) {
      if (this.fixedLabels) {
        this.log.report(
          line,
          `unknown label ${JSON.stringify(labelText)} (expected one of ${this.labelList.join(', ')})`,
        );
        return undefined;
      }
      label = this.labelList.length;
      this.labelIds.set(labelText, label);
      this.labelList.push(labelText);
    }
    const length = this.lengthOf(text);
    if (length > this.maxTokens) {
      this.filtered++;
      return undefined;
    }
    if (length > this.maxLineTokens) {
      this.log.report(line, tooManyTokens(length, this.maxLineTokens));
      return undefined;
    }
    return { text, label };
  }

  private isHeader(fields: string[]): boolean {
    if (this.headerOption !== 'auto') return this.headerOption;
    const { textColumn = 0, labelColumn = 1 } = this.options;
    if (typeof textColumn === 'string' || typeof labelColumn === 'string') return true;
    const textCell = fields[textColumn]?.trim() ?? '';
    const labelCell = fields[labelColumn]?.trim() ?? '';
    if (HEADER_LABEL.test(labelCell) || HEADER_TEXT.test(textCell)) return true;
    return this.fixedLabels && !this.labelIds.has(labelCell) && !NUMBER.test(labelCell);
  }

  private resolve(column: ColumnSelector, name: string, line: number): number {
    if (typeof column === 'number') return column;
    const index = this.header!.indexOf(column);
    if (index < 0) {
      // Nothing can be read without the column: fatal whatever onError says.
      throw new DataFormatError({
        file: this.log.file,
        line,
        message: `the header has no column ${JSON.stringify(column)} for ${name} (columns: ${this.header!.join(', ')})`,
      });
    }
    return index;
  }
}

/**
 * Parses a classification corpus from text (or lines); see `ClassificationReaderOptions`. Without `labels`,
 * ids follow the sorted labels (see `sortLabels`).
 */
export function parseClassification(
  input: string | Iterable<string>,
  options: ClassificationReaderOptions = {},
): ClassificationResult {
  const parser = new ClassificationParser(options);
  const examples: ClassificationExample[] = [];
  for (const line of linesOf(input)) {
    const example = parser.parseLine(line);
    if (example) examples.push(example);
  }
  parser.finish();
  return collectClassification(parser, examples, options);
}

/** The result of a finished parse; relabels by sorted label when no `labels` were given. */
export function collectClassification(
  parser: ClassificationParser,
  examples: ClassificationExample[],
  options: ClassificationReaderOptions,
): ClassificationResult {
  let labels = parser.labels;
  if (options.labels === undefined) {
    const sorted = sortLabels(labels);
    const remap = labels.map((l) => sorted.indexOf(l));
    for (const e of examples) e.label = remap[e.label]!;
    labels = sorted;
  }
  return { examples, labels, header: parser.header, problems: parser.problems, filtered: parser.filtered };
}
