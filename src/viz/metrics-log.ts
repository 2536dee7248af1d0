/**
 * `readMetricsLog`: the trainer's JSONL metrics log as curves. Each line is one JSON object holding a numeric
 * `step` and any numbers measured at it, e.g.
 *
 *   {"step": 100, "loss": 2.31, "lr": 0.0005}
 *   {"step": 500, "split": "valid", "loss": 2.02, "bleu": 11.4}
 *   {"step": 500, "eval": {"accuracy": 0.81, "macroF1": 0.77}}
 *
 * Every numeric field becomes a series named by its key; nested objects are named `parent/key`, and a string
 * `split` (or `phase`) other than "train" prefixes the names (`valid/loss`), so training and evaluation losses
 * stay apart. Bookkeeping fields (step, epoch, time, …) are not series.
 */
import { fail } from '../tensor/errors.js';
import type { CurveSeries } from './curves-svg.js';

export interface MetricsLogOptions {
  /** The field giving each record's x position (default 'step'). */
  x?: string;
  /** Top-level fields that are not series (default: step, epoch(s), totalSteps, time, timestamp, elapsed, wallTime, etaSeconds). */
  ignore?: readonly string[];
}

const DEFAULT_IGNORE = [
  'step',
  'epoch',
  'epochs',
  'totalSteps',
  'time',
  'timestamp',
  'elapsed',
  'wallTime',
  'etaSeconds',
];
const SPLIT_FIELDS = ['split', 'phase'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The series of a JSONL metrics log, in order of first appearance, each sorted by step. Blank lines are
 * skipped, and so is an unterminated last line that does not parse (a write cut short by a crash); any other
 * line that is not a JSON object with a numeric x field is an error naming its line number.
 */
export function readMetricsLog(text: string, options: MetricsLogOptions = {}): CurveSeries[] {
  const op = 'readMetricsLog';
  if (typeof text !== 'string') fail(op, 'text must be a string');
  const xField = options.x ?? 'step';
  const ignore = new Set([...(options.ignore ?? DEFAULT_IGNORE), xField, ...SPLIT_FIELDS]);
  const series = new Map<string, [number, number][]>();
  const add = (name: string, x: number, y: number) => {
    let points = series.get(name);
    if (!points) series.set(name, (points = []));
    points.push([x, y]);
  };
  const collect = (record: Record<string, unknown>, prefix: string, x: number, top: boolean) => {
    for (const [key, value] of Object.entries(record)) {
      if (top && ignore.has(key)) continue;
      if (typeof value === 'number' && Number.isFinite(value)) add(prefix + key, x, value);
      else if (isRecord(value)) collect(value, `${prefix}${key}/`, x, false);
    }
  };

  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const lineNumber = i + 1;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (err) {
      const unterminatedLast = i === lines.length - 1 && !text.endsWith('\n');
      if (unterminatedLast) return;
      fail(op, `line ${lineNumber}: not JSON (${(err as Error).message})`);
    }
    if (!isRecord(record)) fail(op, `line ${lineNumber}: expected a JSON object`);
    const x = record[xField];
    if (typeof x !== 'number' || !Number.isFinite(x))
      fail(op, `line ${lineNumber}: no numeric ${JSON.stringify(xField)} field`);
    const split = SPLIT_FIELDS.map((f) => record[f]).find((v) => typeof v === 'string');
    const prefix = typeof split === 'string' && split !== 'train' && split !== '' ? `${split}/` : '';
    collect(record, prefix, x, true);
  });
  // A stable sort: records of one step keep their order (a resumed run may log a step twice).
  return [...series].map(([name, points]) => ({ name, points: points.sort((a, b) => a[0] - b[0]) }));
}
