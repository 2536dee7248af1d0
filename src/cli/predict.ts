/**
 * `attn translate` and `attn classify`: a trained model over texts given as arguments, or over the lines of
 * stdin, one output line per input line, in order. Inputs are decoded in batches; an input the model cannot
 * take (too long for a Transformer, say) gets an empty output line and an error on stderr naming its line, and
 * the command then exits 1.
 */
import { AttnError } from '../tensor/errors.js';
import { loadPredictor } from '../inference/node/load-predictor.js';
import { MAX_BEAM_SIZE, MAX_TEMPERATURE, type BatchPredictor } from '../inference/predictor.js';
import type { LoadCheckpointOptions } from '../train/node/checkpoint-dir.js';
import type {
  ClassificationResult,
  TaskKind,
  TranslateOptions,
  TranslationResult,
} from '../inference/types.js';
import { runEach } from './batch-safe.js';
import { inputChunks, writeOut } from './input-lines.js';
import { lineTokensProblem, MAX_LINE_TOKENS_OPTION, maxLineTokensValue } from './line-bound.js';
import { maxLineBytesFor } from '../data/length-filter.js';
import {
  HELP_OPTION,
  intValue,
  numberValue,
  optionHelp,
  parseOptions,
  stringValue,
  type OptionSpec,
} from './options.js';
import { UsageError } from './usage.js';

/** The model to load: a run directory (its newest checkpoint) or one checkpoint directory. */
export const CHECKPOINT_OPTION: OptionSpec = {
  name: 'checkpoint',
  type: 'string',
  short: 'c',
  value: 'DIR',
  help: 'the run directory (or one checkpoint directory) of the model',
};
/** Loading a model whose weights hold NaN or infinities: refused unless asked for (then a warning on stderr). */
export const ALLOW_NON_FINITE: OptionSpec = {
  name: 'allow-non-finite',
  type: 'boolean',
  help: 'load weights that hold NaN or infinities (with a warning) instead of refusing them',
};

/** The checkpoint-loading options the command line gives. */
export function loadOptions(values: Record<string, string | boolean | undefined>): LoadCheckpointOptions {
  return values['allow-non-finite'] === true
    ? { nonFinite: 'warn', onWarning: (message) => process.stderr.write(`attn: warning: ${message}\n`) }
    : {};
}

const JSON_OPTION: OptionSpec = {
  name: 'json',
  type: 'boolean',
  help: 'one JSON object per input line, with tokens, scores and attention',
};

export const DECODE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'beam',
    type: 'string',
    short: 'b',
    value: 'N',
    help: `beam size, 1 = greedy (default 1, at most ${MAX_BEAM_SIZE})`,
  },
  {
    name: 'n-best',
    type: 'string',
    value: 'N',
    help: 'hypotheses per input with --beam (joined by " ||| ")',
  },
  { name: 'max-length', type: 'string', value: 'N', help: 'most output tokens (default: 2 × input + 10)' },
];

/** Sampling instead of searching (attn translate only). */
export const SAMPLE_OPTIONS: readonly OptionSpec[] = [
  { name: 'sample', type: 'boolean', help: 'draw each token from the model instead of searching' },
  {
    name: 'temperature',
    type: 'string',
    value: 'T',
    help: `with --sample: logits / T, T in (0, ${MAX_TEMPERATURE}] (default 1; lower: nearer greedy)`,
  },
  {
    name: 'top-k',
    type: 'string',
    value: 'K',
    help: 'with --sample: draw among the K most probable tokens (default all)',
  },
  {
    name: 'top-p',
    type: 'string',
    value: 'P',
    help: 'with --sample: then the likeliest tokens holding P of the mass, P in (0, 1] (default 1)',
  },
  {
    name: 'seed',
    type: 'string',
    value: 'S',
    help: 'with --sample: seed of the draws (default: a new one each run)',
  },
];

const SAMPLE_NAMES = ['temperature', 'top-k', 'top-p', 'seed'];

const SPECS: Record<TaskKind, readonly OptionSpec[]> = {
  translate: [
    CHECKPOINT_OPTION,
    ...DECODE_OPTIONS,
    ...SAMPLE_OPTIONS,
    JSON_OPTION,
    MAX_LINE_TOKENS_OPTION,
    ALLOW_NON_FINITE,
    HELP_OPTION,
  ],
  classify: [CHECKPOINT_OPTION, JSON_OPTION, MAX_LINE_TOKENS_OPTION, ALLOW_NON_FINITE, HELP_OPTION],
};

const HELP: Record<TaskKind, string> = {
  translate: `Usage: attn translate --checkpoint DIR [options] [TEXT ...]

Translates each TEXT, or else each line of stdin, with a model trained by attn train (or attn demo): one output
line per input line, in order (blank lines stay blank).

Options:
${optionHelp(SPECS.translate)}

Examples:
  echo "the 3rd of May, 1998" | attn translate --checkpoint attn-demo
  attn translate --checkpoint attn-demo --sample --temperature 0.8 --top-p 0.9 --seed 1 "3/5/98"
`,
  classify: `Usage: attn classify --checkpoint DIR [options] [TEXT ...]

Classifies each TEXT, or else each line of stdin, with a model trained by attn train --task classify: prints
the label of each input line, in order (blank lines stay blank).

Options:
${optionHelp(SPECS.classify)}
`,
};

/** Decode options from the command line (checked here, so that a bad one is a usage error). */
export function decodeOptions(values: Record<string, string | boolean | undefined>): TranslateOptions {
  const beamSize = intValue(values, 'beam', 1, MAX_BEAM_SIZE) ?? 1;
  const nBest = intValue(values, 'n-best', 1, MAX_BEAM_SIZE);
  if (nBest !== undefined && nBest > beamSize)
    throw new UsageError(`--n-best ${nBest} needs --beam of at least ${nBest} (beam is ${beamSize})`);
  return { beamSize, nBest, maxLength: intValue(values, 'max-length', 1, 10_000) };
}

/** Decode options with sampling (--sample and its settings), for attn translate. */
export function translateOptions(values: Record<string, string | boolean | undefined>): TranslateOptions {
  const options = decodeOptions(values);
  if (values.sample !== true) {
    const given = SAMPLE_NAMES.find((name) => values[name] !== undefined);
    if (given !== undefined) throw new UsageError(`--${given} applies only with --sample`);
    return options;
  }
  if (values.beam !== undefined && options.beamSize! > 1)
    throw new UsageError('--sample draws one translation: it does not go with --beam');
  if (options.nBest !== undefined && options.nBest > 1)
    throw new UsageError('--sample draws one translation: it does not go with --n-best');
  return {
    ...options,
    sample: true,
    temperature: numberValue(values, 'temperature', 0, MAX_TEMPERATURE, true),
    topK: intValue(values, 'top-k', 0, Number.MAX_SAFE_INTEGER),
    topP: numberValue(values, 'top-p', 0, 1, true),
    seed: intValue(values, 'seed', 0, Number.MAX_SAFE_INTEGER),
  };
}

/** A checkpoint directory option, required. */
export function checkpointOption(values: Record<string, string | boolean | undefined>): string {
  const dir = stringValue(values, 'checkpoint');
  if (dir === undefined)
    throw new UsageError('--checkpoint DIR is required (a directory written by attn train or attn demo)');
  return dir;
}

/** The model's task must be the command's, else a clear error saying which command fits. */
export function expectTask(predictor: BatchPredictor, task: TaskKind, dir: string): void {
  if (predictor.info.task === task) return;
  const other = predictor.info.task === 'translate' ? 'attn translate' : 'attn classify';
  throw new AttnError(
    `attn ${task}`,
    `${dir} holds a ${predictor.info.task === 'translate' ? 'translation' : 'classification'} model (${predictor.info.architecture}); use ${other}`,
  );
}

type Result = TranslationResult | ClassificationResult;

function lineProblem(text: string, maxLineTokens: number | undefined): Error | undefined {
  const problem = lineTokensProblem(text, maxLineTokens);
  return problem === undefined ? undefined : new Error(problem);
}

export async function runPredict(task: TaskKind, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, SPECS[task], true);
  if (values.help) {
    process.stdout.write(HELP[task]);
    return 0;
  }
  const dir = checkpointOption(values);
  const options = task === 'translate' ? translateOptions(values) : {};
  const json = values.json === true;
  const predictor = await loadPredictor(dir, loadOptions(values));
  expectTask(predictor, task, dir);

  const run = (texts: string[]): Result[] =>
    task === 'translate' ? predictor.translateBatch(texts, options) : predictor.classifyBatch(texts);
  const plain = (r: Result): string =>
    'hypotheses' in r ? r.hypotheses.map((h) => h.text).join(' ||| ') : r.label;

  let line = 0;
  let failed = 0;
  const maxLineTokens = maxLineTokensValue(values);
  for await (const records of inputChunks(positionals, 64, maxLineBytesFor(maxLineTokens))) {
    // A line that cannot be read, or has more words than the bound, fails alone, as an input the model cannot take.
    const problems = records.map((r) =>
      'problem' in r ? new Error(r.problem) : lineProblem(r.text, maxLineTokens),
    );
    const chunk = records.map((r) => ('text' in r ? r.text : ''));
    const texts = chunk.filter((t, i) => t.trim() !== '' && problems[i] === undefined);
    const results = runEach(texts, run);
    let next = 0;
    let out = '';
    for (const [i, text] of chunk.entries()) {
      line++;
      const r = problems[i] ?? (text.trim() === '' ? null : results[next++]!);
      if (r instanceof Error) {
        failed++;
        process.stderr.write(
          `attn ${task}: ${positionals.length ? 'argument' : 'line'} ${line}: ${r.message}\n`,
        );
      }
      if (json) {
        const body = r === null ? {} : r instanceof Error ? { error: r.message } : r;
        out += `${JSON.stringify({ input: text, ...body })}\n`;
      } else {
        out += `${r === null || r instanceof Error ? '' : plain(r)}\n`;
      }
    }
    await writeOut(out);
  }
  return failed > 0 ? 1 : 0;
}
