/**
 * `attn demo`: the classic first attention model, trained in a minute or two with nothing to download. A GRU
 * encoder and a Bahdanau-attention decoder learn to turn dates as people write them ("the 3rd of May, 1998",
 * "03.05.98", ...) into ISO dates, character by character. The demo prints a few translations, the attention of
 * one as a text heatmap, writes the checkpoint and a heatmap PNG into a fresh directory, and ends with the exact
 * match on held-out dates (ones not among the training examples).
 *
 * Training stops when the dev exact match reaches the target (99.8%), or at the time budget.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { dateTask } from '../data/tasks/date-task.js';
import { createPredictor } from '../inference/predictor.js';
import { heatmapText } from '../viz/heatmap-text.js';
import { writeHeatmap } from '../viz/node/write-picture.js';
import {
  HELP_OPTION,
  intValue,
  numberValue,
  optionHelp,
  parseOptions,
  stringValue,
  type OptionSpec,
  type OptionValues,
} from './options.js';
import { runTraining } from './run-training.js';
import { resolveTrainSettings } from './train-settings.js';
import { DirectoryCheckpoints } from '../train/node/checkpoint-dir.js';
import { UsageError } from './usage.js';

const SPECS: readonly OptionSpec[] = [
  {
    name: 'out',
    type: 'string',
    short: 'o',
    value: 'DIR',
    help: 'where the checkpoint and pictures go (default: attn-demo, or attn-demo-N if taken)',
  },
  {
    name: 'time-budget',
    type: 'string',
    value: 'S',
    help: 'most seconds of training (default 150; quick mode 30)',
  },
  { name: 'seed', type: 'string', value: 'N', help: 'seed of data, initialisation and order (default 0)' },
  { name: 'quick', type: 'boolean', help: 'a tiny model for a few seconds (for tests; far from 99%)' },
  { name: 'quiet', type: 'boolean', short: 'q', help: 'no training progress on stderr' },
  HELP_OPTION,
];

const HELP = `Usage: attn demo [options]

Trains a GRU encoder + Bahdanau attention decoder (the model of the classic attention tutorials) to normalise
dates written in 20 human formats to YYYY-MM-DD, character by character — no download, about a minute on two
cores. Prints some translations and the attention of one, writes the checkpoint and attention.png into a new
directory, and ends with the exact match on 1000 held-out dates.

Options:
${optionHelp(SPECS)}

Then: attn translate --checkpoint attn-demo "May 3rd 1998"; attn attention --checkpoint attn-demo --out a.png "3/5/98"
`;

/** Stop once the dev split is (nearly) all exact. */
const TARGET_EXACT_MATCH = 0.998;

/** The settings of the demo run, as `attn train` options (so a user can rerun it with attn train). */
function demoOptions(quick: boolean, seed: number, budget: number): OptionValues {
  const common = {
    builtin: 'date',
    arch: 'gru-bahdanau',
    dropout: '0',
    seed: String(seed),
    'time-budget': String(budget),
    keep: '1',
  };
  return quick
    ? {
        ...common,
        count: '600',
        'dev-fraction': '0.1',
        'embedding-dim': '8',
        'hidden-size': '16',
        'batch-size': '32',
        lr: '0.01',
        'max-steps': '30',
        'eval-every': '15',
        'log-every': '10',
      }
    : {
        ...common,
        count: '20000',
        'dev-fraction': '0.025',
        'embedding-dim': '32',
        'hidden-size': '64',
        'batch-size': '64',
        lr: '0.004',
        schedule: 'cosine',
        'max-steps': '900',
        'eval-every': '150',
        'log-every': '20',
      };
}

/** The first of attn-demo, attn-demo-2, ... that does not exist or is empty. */
async function freeDirectory(base: string): Promise<string> {
  for (let i = 1; ; i++) {
    const dir = i === 1 ? base : `${base}-${i}`;
    try {
      if ((await readdir(dir)).length === 0) return dir;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return dir;
      throw err;
    }
  }
}

export async function runDemo(args: readonly string[]): Promise<number> {
  const { values } = parseOptions(args, SPECS);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const quick = values.quick === true;
  const seed = intValue(values, 'seed', 0, 2 ** 31 - 1) ?? 0;
  const budget = numberValue(values, 'time-budget', 0, 86_400, true) ?? (quick ? 30 : 150);
  const given = stringValue(values, 'out');
  if (given !== undefined && (await new DirectoryCheckpoints(given).exists()))
    throw new UsageError(
      `--out ${given} already holds a run; the demo trains afresh, so give a new directory`,
    );
  const out = given ?? (await freeDirectory('attn-demo'));
  const write = (text: string) => process.stdout.write(text);

  const options = demoOptions(quick, seed, budget);
  const settings = resolveTrainSettings(options);
  write(`attn demo: dates → ISO dates with a GRU encoder + Bahdanau attention decoder, in ${out}/\n`);
  const started = performance.now();
  const outcome = await runTraining(settings, {
    out,
    options,
    progress: values.quiet !== true,
    stopWhen: (m) => (!quick && (m.exactMatch ?? 0) >= TARGET_EXACT_MATCH ? 'dev exact match reached' : null),
    note: (m) => process.stderr.write(`attn demo: ${m}\n`),
  });
  const seconds = (performance.now() - started) / 1000;
  const { result, built, data, config } = outcome;
  if (data.task !== 'translate') throw new Error('the demo trains a translation model');
  write(
    `trained ${built.model.numParameters().toLocaleString('en')} parameters on ${data.train.length} dates: ` +
      `${result.step} steps in ${seconds.toFixed(1)} s (${outcome.stopReason ?? result.status}); ` +
      `dev exact match ${(100 * (outcome.metrics.exactMatch ?? 0)).toFixed(1)}%\n\n`,
  );

  // Held out: fresh dates from another seed, without any source the model trained on.
  const seen = new Set(data.trainPairs.map((p) => p.source));
  const test = dateTask({ count: quick ? 150 : 1200, seed: seed + 7919 })
    .pairs.filter((p) => !seen.has(p.source))
    .slice(0, quick ? 100 : 1000);
  const predictor = createPredictor({ model: built, config, tokenizers: data.tokenizers, name: out });
  const results = predictor.translateBatch(test.map((p) => p.source));
  let correct = 0;
  results.forEach((r, i) => (correct += r.hypotheses[0]!.text === test[i]!.target ? 1 : 0));

  const width = Math.max(...test.slice(0, 6).map((p) => p.source.length));
  for (let i = 0; i < 6; i++) {
    const text = results[i]!.hypotheses[0]!.text;
    write(
      `  ${test[i]!.source.padEnd(width)}  →  ${text}  ${text === test[i]!.target ? '✓' : `✗ (${test[i]!.target})`}\n`,
    );
  }
  // Draw a date written with words: its attention shows the month name read into digits.
  const shown = Math.max(
    0,
    test.slice(0, 6).findIndex((p) => /[a-z]{3}/i.test(p.source)),
  );
  const first = results[shown]!;
  const best = first.hypotheses[0]!;
  const matrix = best.attention.layers[0]![0]!;
  const rows = matrix.length > best.tokens.length ? [...best.tokens, '<eos>'] : best.tokens;
  write(
    `\nwhere the decoder looked for "${test[shown]!.source}" (rows: output characters, columns: input):\n`,
  );
  write(
    `${heatmapText(matrix, first.sourceTokens, rows, { width: Math.max(60, process.stdout.columns ?? 80) })}\n\n`,
  );
  const picture = join(out, 'attention.png');
  await writeHeatmap(picture, matrix, {
    sourceTokens: first.sourceTokens,
    targetTokens: rows,
    title: `${test[shown]!.source} → ${best.text}`,
  });
  write(`checkpoint: ${result.checkpoint ?? out}\n`);
  write(`picture:    ${picture}\n`);
  write(`try:        attn translate --checkpoint ${out} "June 5th 2021"\n`);
  write(
    `held-out exact match: ${((100 * correct) / test.length).toFixed(2)}% (${correct}/${test.length} dates not seen in training)\n`,
  );
  return 0;
}
