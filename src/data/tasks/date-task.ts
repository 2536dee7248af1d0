/**
 * Date normalisation, a built-in translation task that needs no download: human-written dates in many formats
 * (see `DATE_FORMATS`) → ISO 8601 `YYYY-MM-DD`. Dates are drawn uniformly over the days of a year range and
 * formats uniformly, from a seed. The classic small attention demo: the model must learn to attend to the
 * day, month and year wherever the format puts them.
 */
import { fail } from '../../tensor/errors.js';
import { defaultGenerator, Generator } from '../../tensor/random.js';
import { CharTokenizer } from '../char-tokenizer.js';
import { IDENTITY_NORMALIZATION } from '../normalize.js';
import {
  DATE_FORMATS,
  dateFromEpochDay,
  epochDay,
  isoDate,
  MONTH_NAMES,
  WEEKDAY_NAMES,
  type DateFormat,
} from './date-formats.js';

export interface DateExample {
  /** The date as a person might write it. */
  source: string;
  /** The same date as YYYY-MM-DD. */
  target: string;
  /** The name of the format `source` is written in. */
  format: string;
}

export interface DateTaskOptions {
  /** Number of examples. */
  count: number;
  /** Seed of a fresh generator. Without generator or seed: the default generator. */
  seed?: number;
  generator?: Generator;
  /** First year of the range (inclusive). Default 1950. */
  minYear?: number;
  /** Last year of the range (inclusive). Default 2049. Two-digit-year formats need a range of at most 100 years. */
  maxYear?: number;
  /** Names of the formats to use (default: all that the year range allows). */
  formats?: readonly string[];
}

export interface DateTask {
  pairs: DateExample[];
  /** Character-level, over every character any format can write (case kept, no normalisation). */
  sourceTokenizer: CharTokenizer;
  /** Character-level over the digits and '-'. */
  targetTokenizer: CharTokenizer;
}

/** Every character a format can write: digits, letters of the month and weekday names in all cases, separators. */
function sourceAlphabet(): string[] {
  const chars = new Set<string>('0123456789');
  const samples: string[] = [];
  for (let m = 0; m < 12; m++) {
    for (let day = 1; day <= 31; day += 1) {
      samples.push(
        ...DATE_FORMATS.map((f) => f.render({ year: 1998, month: m + 1, day, weekday: (m + day) % 7 })),
      );
    }
  }
  for (const s of samples) for (const c of s) chars.add(c);
  for (const name of [...MONTH_NAMES, ...WEEKDAY_NAMES]) {
    for (const c of name + name.toLowerCase() + name.toUpperCase()) chars.add(c);
  }
  return [...chars].sort();
}

let tokenizers: { source: CharTokenizer; target: CharTokenizer } | undefined;

/** The task's tokenizers (the same for every seed, so a model trained on one sample reads any other). */
export function dateTaskTokenizers(): { source: CharTokenizer; target: CharTokenizer } {
  tokenizers ??= {
    source: CharTokenizer.fromAlphabet(sourceAlphabet(), IDENTITY_NORMALIZATION),
    target: CharTokenizer.fromAlphabet([...'0123456789-'], IDENTITY_NORMALIZATION),
  };
  return tokenizers;
}

export function dateTask(options: DateTaskOptions): DateTask {
  const op = 'dateTask';
  const { count } = options;
  if (!(Number.isInteger(count) && count >= 0))
    fail(op, `count must be a non-negative integer, got ${count}`);
  const minYear = options.minYear ?? 1950;
  const maxYear = options.maxYear ?? 2049;
  if (!(Number.isInteger(minYear) && Number.isInteger(maxYear) && minYear >= 1000 && maxYear <= 9999)) {
    fail(op, `minYear and maxYear must be four-digit integers, got ${minYear} and ${maxYear}`);
  }
  if (minYear > maxYear) fail(op, `minYear ${minYear} is after maxYear ${maxYear}`);
  const twoDigitOk = maxYear - minYear < 100;
  let formats: DateFormat[];
  if (options.formats) {
    formats = options.formats.map((name) => {
      const f = DATE_FORMATS.find((d) => d.name === name);
      if (!f) fail(op, `unknown format ${JSON.stringify(name)}; see DATE_FORMATS for the names`);
      if (f.twoDigitYear && !twoDigitOk) {
        fail(
          op,
          `format ${JSON.stringify(name)} writes two-digit years, which need a range of at most 100 years`,
        );
      }
      return f;
    });
    if (formats.length === 0) fail(op, 'formats must name at least one format');
  } else {
    formats = DATE_FORMATS.filter((f) => twoDigitOk || !f.twoDigitYear);
  }
  const g =
    options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : defaultGenerator());
  const first = epochDay(minYear, 1, 1);
  const last = epochDay(maxYear, 12, 31);
  const pairs: DateExample[] = [];
  for (let i = 0; i < count; i++) {
    const date = dateFromEpochDay(g.randint(first, last + 1));
    const f = formats[g.randint(0, formats.length)]!;
    pairs.push({ source: f.render(date), target: isoDate(date), format: f.name });
  }
  const { source, target } = dateTaskTokenizers();
  return { pairs, sourceTokenizer: source, targetTokenizer: target };
}
