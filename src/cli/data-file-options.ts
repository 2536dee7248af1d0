/**
 * How `attn train` and `attn eval` read a data file: which column holds what, the format of a classification
 * file, and what to do with a malformed line (stop with file:line, or skip it and count it).
 */
import { UsageError } from './usage.js';
import { choiceValue, intValue, stringValue, type OptionSpec, type OptionValues } from './options.js';
import { MAX_LINE_TOKENS_OPTION, maxLineTokensValue } from './line-bound.js';

export const DATA_FILE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'source-column',
    type: 'string',
    value: '0|1',
    help: 'pairs: the column of the source sentence (default 0)',
  },
  {
    name: 'text-column',
    type: 'string',
    value: 'C',
    help: 'classification: text column, name or 0-based index (default 0)',
  },
  {
    name: 'label-column',
    type: 'string',
    value: 'C',
    help: 'classification: label column, name or 0-based index (default 1)',
  },
  {
    name: 'format',
    type: 'string',
    value: 'F',
    help: 'classification: tsv or csv (default: from the file name)',
  },
  MAX_LINE_TOKENS_OPTION,
  { name: 'skip-malformed', type: 'boolean', help: 'skip malformed lines (reported) instead of stopping' },
];

/** The options that apply to one kind of data only: a usage error names the one given for the other kind. */
export const PAIRS_ONLY = ['source-column'] as const;
export const CLASSIFICATION_ONLY = ['text-column', 'label-column', 'format'] as const;

export interface DataFileSettings {
  sourceColumn: 0 | 1;
  textColumn: string | number;
  labelColumn: string | number;
  format?: 'tsv' | 'csv';
  /** The most words a line may have; a longer one is malformed (default DEFAULT_MAX_LINE_TOKENS). */
  maxLineTokens?: number;
  skipMalformed: boolean;
}

/** What to do with a malformed line, as the file readers take it. */
export function onMalformed(settings: DataFileSettings): 'skip' | 'throw' {
  return settings.skipMalformed ? 'skip' : 'throw';
}

export function dataFileSettings(values: OptionValues): DataFileSettings {
  return {
    sourceColumn: (intValue(values, 'source-column', 0, 1) ?? 0) as 0 | 1,
    textColumn: column(values, 'text-column', 0),
    labelColumn: column(values, 'label-column', 1),
    format: choiceValue(values, 'format', ['tsv', 'csv'] as const),
    maxLineTokens: maxLineTokensValue(values),
    skipMalformed: values['skip-malformed'] === true,
  };
}

/** A column given by name or by 0-based index. */
function column(values: OptionValues, name: string, fallback: number): string | number {
  const text = stringValue(values, name);
  if (text === undefined) return fallback;
  if (/^\d+$/.test(text)) return Number(text);
  if (text.trim() === '') throw new UsageError(`--${name} must be a column name or a 0-based index`);
  return text;
}
