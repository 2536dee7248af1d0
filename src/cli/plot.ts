/**
 * `attn plot`: the training curves of a run, from its JSONL log (the run directory's log.jsonl), as a picture
 * (PNG or SVG by the --out extension). Series are named as the log gives them: `loss`, `lr`, `tokensPerSecond`
 * from training records, `dev/loss`, `dev/bleu`, `dev/chrf`, `dev/accuracy`, … from evaluations (the eval records'
 * `metrics/` level dropped from the names).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AttnError, fail } from '../tensor/errors.js';
import type { CurveSeries } from '../viz/curves-svg.js';
import { readMetricsLog } from '../viz/metrics-log.js';
import { pictureFormat, writeCurves } from '../viz/node/write-picture.js';
import { HELP_OPTION, optionHelp, parseOptions, stringValue, type OptionSpec } from './options.js';
import { LOG_FILE } from './run-training.js';
import { UsageError } from './usage.js';

const DEFAULT_SERIES = ['loss', 'dev/loss'];

const SPECS: readonly OptionSpec[] = [
  {
    name: 'out',
    type: 'string',
    short: 'o',
    value: 'FILE',
    help: 'the picture to write: FILE.png or FILE.svg',
  },
  {
    name: 'series',
    type: 'string',
    short: 's',
    value: 'A,B',
    help: `series to draw (default ${DEFAULT_SERIES.join(',')})`,
  },
  { name: 'log-y', type: 'boolean', help: 'logarithmic y axis' },
  { name: 'title', type: 'string', value: 'T', help: 'title (default: the run)' },
  { name: 'list', type: 'boolean', help: 'list the series of the log and exit' },
  HELP_OPTION,
];

const HELP = `Usage: attn plot RUN [--out FILE.png|FILE.svg] [options]

Draws training curves from RUN, a run directory of attn train (its ${LOG_FILE}) or a JSONL log file. Series
from training records are loss, lr, tokensPerSecond, examplesPerSecond; from evaluations dev/loss, dev/bleu, dev/chrf,
dev/exactMatch, dev/accuracy, ... (--list shows those of the log). Plot metrics of one scale together.

Options:
${optionHelp(SPECS)}

Example:
  attn plot runs/date --series dev/exactMatch,dev/tokenAccuracy --out date-metrics.png
`;

/** The log file of RUN: the file itself, or a run directory's log. */
async function logPath(run: string): Promise<string> {
  try {
    return (await stat(run)).isDirectory() ? join(run, LOG_FILE) : run;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') fail('attn plot', `${run} does not exist`);
    throw err;
  }
}

/** The log's series with the eval records' `metrics/` level dropped, and bookkeeping left out. */
export function runSeries(text: string, file: string): CurveSeries[] {
  let series: CurveSeries[];
  try {
    series = readMetricsLog(text);
  } catch (err) {
    if (err instanceof AttnError)
      fail('attn plot', `${file}: ${err.message.replace(/^readMetricsLog: /, '')}`);
    throw err;
  }
  return series
    .map((s) => ({ name: s.name.replace('/metrics/', '/'), points: s.points }))
    .filter((s) => s.name !== 'steps' && !s.name.endsWith('/seconds'));
}

export async function runPlot(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, SPECS, true);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(`give one RUN (a run directory or a JSONL log), got ${positionals.length}`);
  const out = stringValue(values, 'out');
  if (!values.list) {
    if (out === undefined)
      throw new UsageError('--out FILE.png|FILE.svg is required: where the picture goes');
    try {
      pictureFormat('attn plot', out);
    } catch (err) {
      if (err instanceof AttnError) throw new UsageError(`--out: ${err.message}`);
      throw err;
    }
  }
  const wanted = (stringValue(values, 'series') ?? DEFAULT_SERIES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (wanted.length === 0) throw new UsageError('--series needs at least one series name');

  const file = await logPath(positionals[0]!);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return fail('attn plot', `cannot read ${file}: ${(err as Error).message}`);
  }
  const series = runSeries(text, file);
  if (series.length === 0) fail('attn plot', `${file} has no records with numbers to plot`);
  if (values.list) {
    process.stdout.write(series.map((s) => `${s.name} (${s.points.length} points)`).join('\n') + '\n');
    return 0;
  }
  const available = new Map(series.map((s) => [s.name, s]));
  const missing = wanted.filter((w) => !available.has(w));
  const explicit = values.series !== undefined;
  if (explicit && missing.length > 0)
    throw new UsageError(
      `${file} has no series ${missing.join(', ')} (it has ${[...available.keys()].join(', ')})`,
    );
  const chosen = wanted.filter((w) => available.has(w)).map((w) => available.get(w)!);
  if (chosen.length === 0)
    fail(
      'attn plot',
      `${file} has none of ${wanted.join(', ')} (it has ${[...available.keys()].join(', ')})`,
    );
  await writeCurves(out!, chosen, {
    title: stringValue(values, 'title') ?? `training curves: ${positionals[0]}`,
    logY: values['log-y'] === true,
  });
  process.stdout.write(`picture: ${out} (${chosen.map((s) => s.name).join(', ')})\n`);
  return 0;
}
