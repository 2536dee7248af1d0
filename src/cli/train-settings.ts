/**
 * The settings of a training run (`attn train`): the option table, and its resolution into typed settings with
 * defaults. Options come from the command line and, with `--config FILE`, from a JSON object of the same
 * options (kebab-case or camelCase keys; the command line wins). Every bad value is a usage error naming the
 * option. The resolved settings are saved in the checkpoint's config.json (`training`), so a resumed run reads
 * its data and trains exactly as it started.
 */
import { resolve } from 'node:path';
import type { ConfigValue } from '../models/config.js';
import { architectureInfo, ARCHITECTURES, type Architecture, type TaskKind } from '../models/registry.js';
import { MODEL_OPTIONS, modelSettings } from './model-options.js';
import { jsonNestingDepth } from '../io/json-depth.js';
import { readRegularFile } from '../io/regular-file.js';
import {
  choiceValue,
  HELP_OPTION,
  intValue,
  numberValue,
  stringValue,
  type OptionSpec,
  type OptionValues,
} from './options.js';
import {
  CLASSIFICATION_ONLY,
  DATA_FILE_OPTIONS,
  dataFileSettings,
  PAIRS_ONLY,
  type DataFileSettings,
} from './data-file-options.js';
import { UsageError } from './usage.js';

export const BUILTIN_TASKS = ['date', 'reversal'] as const;
export type BuiltinTask = (typeof BUILTIN_TASKS)[number];
export const TOKENIZERS = ['word', 'char', 'bpe'] as const;
export const OPTIMIZERS = ['adam', 'adamw', 'sgd'] as const;
export const SCHEDULES = ['constant', 'cosine', 'inverse-sqrt'] as const;
export const METRICS: Record<TaskKind, readonly string[]> = {
  translate: ['bleu', 'chrf', 'exactMatch', 'tokenAccuracy', 'loss'],
  classify: ['accuracy', 'macroF1', 'loss'],
};

export interface DataSettings extends DataFileSettings {
  builtin?: BuiltinTask;
  /** Examples of a built-in task. */
  count?: number;
  /** Absolute paths. */
  file?: string;
  dev?: string;
  /** Share of the data held out for evaluation when there is no dev file. */
  devFraction: number;
  maxTokens?: number;
  tokenizer: (typeof TOKENIZERS)[number];
  vocabSize?: number;
  minFreq: number;
}

export interface OptimSettings {
  epochs?: number;
  maxSteps?: number;
  timeBudget?: number;
  batchSize: number;
  lr: number;
  optimizer: (typeof OPTIMIZERS)[number];
  weightDecay: number;
  momentum: number;
  schedule: (typeof SCHEDULES)[number];
  warmup: number;
  clip: number;
  labelSmoothing: number;
  seed: number;
  evalEvery?: number;
  checkpointEvery?: number;
  keep: number;
  patience?: number;
  metric: string;
  logEvery: number;
}

export interface TrainSettings {
  task: TaskKind;
  architecture: Architecture;
  /** The config keys the model flags set (validateConfig fills the rest). */
  model: Record<string, ConfigValue>;
  data: DataSettings;
  training: OptimSettings;
}

export const RUN_OPTIONS: readonly OptionSpec[] = [
  { name: 'task', type: 'string', value: 'T', help: 'translate or classify (default: from --arch)' },
  {
    name: 'arch',
    type: 'string',
    value: 'A',
    help: `${ARCHITECTURES.join(', ')} (default gru-bahdanau / bigru-attention)`,
  },
  {
    name: 'out',
    type: 'string',
    value: 'DIR',
    help: 'run directory: checkpoints, log.jsonl (resumes a run there)',
  },
  {
    name: 'config',
    type: 'string',
    value: 'FILE',
    help: 'JSON object of these options (the command line wins)',
  },
];

export const DATA_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'data',
    type: 'string',
    value: 'FILE',
    help: 'training data: TSV pairs (translate) or TSV/CSV text,label (classify)',
  },
  {
    name: 'builtin',
    type: 'string',
    value: 'NAME',
    help: 'a built-in translation task instead: date or reversal',
  },
  { name: 'count', type: 'string', value: 'N', help: 'examples of the built-in task (default 20000)' },
  {
    name: 'dev',
    type: 'string',
    value: 'FILE',
    help: 'evaluation data (default: --dev-fraction of the data)',
  },
  { name: 'dev-fraction', type: 'string', value: 'F', help: 'share held out for evaluation (default 0.05)' },
  ...DATA_FILE_OPTIONS,
  { name: 'max-tokens', type: 'string', value: 'N', help: 'drop examples with more words than this' },
  { name: 'tokenizer', type: 'string', value: 'T', help: 'word, char or bpe (default word)' },
  {
    name: 'vocab-size',
    type: 'string',
    value: 'N',
    help: 'largest vocabulary per side (bpe: its target size)',
  },
  { name: 'min-freq', type: 'string', value: 'N', help: 'word: least count of a kept word (default 1)' },
];

export const OPTIM_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'epochs',
    type: 'string',
    value: 'N',
    help: 'epochs (default 10, or unbounded with --max-steps/--time-budget)',
  },
  { name: 'max-steps', type: 'string', value: 'N', help: 'updates in the whole run' },
  {
    name: 'time-budget',
    type: 'string',
    value: 'S',
    help: 'stop after S seconds of training (checkpointed; rerun to go on)',
  },
  { name: 'batch-size', type: 'string', value: 'N', help: 'examples per batch (default 64)' },
  { name: 'lr', type: 'string', value: 'LR', help: 'learning rate (default 0.001)' },
  { name: 'optimizer', type: 'string', value: 'O', help: 'adam, adamw or sgd (default adam)' },
  { name: 'weight-decay', type: 'string', value: 'W', help: 'weight decay (default 0; adamw 0.01)' },
  { name: 'momentum', type: 'string', value: 'M', help: 'sgd momentum (default 0.9)' },
  {
    name: 'schedule',
    type: 'string',
    value: 'S',
    help: 'constant, cosine or inverse-sqrt (default constant)',
  },
  {
    name: 'warmup',
    type: 'string',
    value: 'N',
    help: 'warm-up steps of the schedule (default 0; inverse-sqrt 400)',
  },
  { name: 'clip', type: 'string', value: 'C', help: 'clip the gradient norm to C, 0 = off (default 1)' },
  { name: 'label-smoothing', type: 'string', value: 'E', help: 'label smoothing of the loss (default 0)' },
  {
    name: 'seed',
    type: 'string',
    value: 'N',
    help: 'seed of initialisation, dropout, data order, split (default 0)',
  },
  {
    name: 'eval-every',
    type: 'string',
    value: 'N',
    help: 'also evaluate every N steps (always at epoch ends)',
  },
  {
    name: 'checkpoint-every',
    type: 'string',
    value: 'N',
    help: 'also checkpoint every N steps (always at the end)',
  },
  { name: 'keep', type: 'string', value: 'N', help: 'checkpoints kept (default 2)' },
  {
    name: 'patience',
    type: 'string',
    value: 'N',
    help: 'early stopping after N evaluations without improvement',
  },
  { name: 'metric', type: 'string', value: 'M', help: 'metric of early stopping (default bleu / accuracy)' },
  { name: 'log-every', type: 'string', value: 'N', help: 'a log record every N steps (default 10)' },
  { name: 'quiet', type: 'boolean', short: 'q', help: 'no progress on stderr' },
];

export const TRAIN_OPTIONS: readonly OptionSpec[] = [
  ...RUN_OPTIONS,
  ...DATA_OPTIONS,
  ...MODEL_OPTIONS,
  ...OPTIM_OPTIONS,
  HELP_OPTION,
];

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** A config file of options is a few hundred bytes; a larger one is not one. */
const MAX_CONFIG_BYTES = 1 << 20;

/**
 * Reads `--config FILE` (when given) into option values; the command line's values win. Unknown keys and
 * values that are not strings, numbers or booleans are usage errors naming the file.
 */
export async function mergeConfigFile(values: OptionValues): Promise<OptionValues> {
  const path = stringValue(values, 'config');
  if (path === undefined) return values;
  let text: string;
  try {
    // A regular file of at most 1 MiB (a FIFO, /dev/zero or a huge file is refused before reading).
    const bytes = await readRegularFile(path, { op: '--config', maxBytes: MAX_CONFIG_BYTES });
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new UsageError(`--config ${path}: cannot read it (${(err as Error).message})`);
  }
  // Options are a flat object: deeper nesting is refused before parsing (no recursive walk sees it).
  if (jsonNestingDepth(text) > 1) {
    throw new UsageError(
      `--config ${path}: expected a flat JSON object of options, e.g. {"hidden-size": 128}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--config ${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`--config ${path}: expected a JSON object of options, e.g. {"hidden-size": 128}`);
  }
  const specs = new Map(TRAIN_OPTIONS.map((o) => [o.name, o]));
  const merged: OptionValues = {};
  for (const [key, value] of Object.entries(parsed)) {
    const name = kebab(key);
    const spec = specs.get(name);
    if (!spec || name === 'config' || name === 'help') {
      throw new UsageError(`--config ${path}: unknown option "${key}" (see attn train --help)`);
    }
    if (spec.type === 'boolean') {
      if (typeof value !== 'boolean')
        throw new UsageError(`--config ${path}: "${key}" must be true or false`);
      if (value) merged[name] = true;
    } else {
      if (typeof value !== 'string' && typeof value !== 'number')
        throw new UsageError(`--config ${path}: "${key}" must be a string or a number`);
      merged[name] = String(value);
    }
  }
  for (const [name, value] of Object.entries(values)) if (value !== undefined) merged[name] = value;
  return merged;
}

/** Settings from option values (see the file comment); usage errors name the option at fault. */
export function resolveTrainSettings(values: OptionValues): TrainSettings {
  const arch = choiceValue(values, 'arch', ARCHITECTURES);
  const taskGiven = choiceValue(values, 'task', ['translate', 'classify'] as const);
  const task: TaskKind = taskGiven ?? (arch ? architectureInfo(arch).task : 'translate');
  const architecture: Architecture = arch ?? (task === 'translate' ? 'gru-bahdanau' : 'bigru-attention');
  if (architectureInfo(architecture).task !== task) {
    throw new UsageError(
      `--arch ${architecture} is a ${architectureInfo(architecture).task} model, but --task is ${task}`,
    );
  }

  const file = stringValue(values, 'data');
  const builtin = choiceValue(values, 'builtin', BUILTIN_TASKS);
  if ((file === undefined) === (builtin === undefined))
    throw new UsageError('give one of --data FILE and --builtin date|reversal');
  if (builtin && task !== 'translate')
    throw new UsageError(`--builtin ${builtin} is a translation task; --task classify needs --data FILE`);
  const onlyFor = (names: readonly string[], what: string, applies: boolean) => {
    for (const n of names) if (values[n] !== undefined && !applies) throw new UsageError(`--${n} ${what}`);
  };
  onlyFor(['count'], 'applies only to --builtin', builtin !== undefined);
  onlyFor(
    ['tokenizer', 'vocab-size', 'min-freq', 'max-tokens', 'max-line-tokens'],
    'does not apply to --builtin (its tokenizers are fixed)',
    !builtin,
  );
  onlyFor(PAIRS_ONLY, 'applies only to translation data', task === 'translate');
  onlyFor(CLASSIFICATION_ONLY, 'applies only to classification data', task === 'classify');
  const dev = stringValue(values, 'dev');
  onlyFor(['dev-fraction'], 'cannot be used with --dev', dev === undefined);
  const tokenizer = choiceValue(values, 'tokenizer', TOKENIZERS) ?? 'word';
  onlyFor(['min-freq'], 'applies only to --tokenizer word', tokenizer === 'word');
  const data: DataSettings = {
    builtin,
    count: builtin ? (intValue(values, 'count', 10, 10_000_000) ?? 20_000) : undefined,
    file: file === undefined ? undefined : resolve(file),
    dev: dev === undefined ? undefined : resolve(dev),
    devFraction: numberValue(values, 'dev-fraction', 0, 0.5, true) ?? 0.05,
    ...dataFileSettings(values),
    maxTokens: intValue(values, 'max-tokens', 1, 100_000),
    tokenizer,
    vocabSize: intValue(values, 'vocab-size', tokenizer === 'bpe' ? 16 : 5, 10_000_000),
    minFreq: intValue(values, 'min-freq', 1, 1_000_000) ?? 1,
  };

  const optimizer = choiceValue(values, 'optimizer', OPTIMIZERS) ?? 'adam';
  onlyFor(['momentum'], 'applies only to --optimizer sgd', optimizer === 'sgd');
  const schedule = choiceValue(values, 'schedule', SCHEDULES) ?? 'constant';
  const maxSteps = intValue(values, 'max-steps', 1, 1e12);
  const timeBudget = numberValue(values, 'time-budget', 0, 1e9, true);
  const epochs = intValue(values, 'epochs', 1, 1e9) ?? (maxSteps || timeBudget ? undefined : 10);
  const metric = stringValue(values, 'metric') ?? METRICS[task][0]!;
  if (!METRICS[task].includes(metric))
    throw new UsageError(`--metric must be one of ${METRICS[task].join(', ')} for ${task}, got '${metric}'`);
  const training: OptimSettings = {
    epochs,
    maxSteps,
    timeBudget,
    batchSize: intValue(values, 'batch-size', 1, 65_536) ?? 64,
    lr: numberValue(values, 'lr', 0, 10, true) ?? 1e-3,
    optimizer,
    weightDecay: numberValue(values, 'weight-decay', 0, 10) ?? (optimizer === 'adamw' ? 0.01 : 0),
    momentum: numberValue(values, 'momentum', 0, 0.999) ?? 0.9,
    schedule,
    warmup: intValue(values, 'warmup', 0, 1e9) ?? (schedule === 'inverse-sqrt' ? 400 : 0),
    clip: numberValue(values, 'clip', 0, 1e6) ?? 1,
    labelSmoothing: numberValue(values, 'label-smoothing', 0, 0.99) ?? 0,
    seed: intValue(values, 'seed', 0, 2 ** 31 - 1) ?? 0,
    evalEvery: intValue(values, 'eval-every', 1, 1e12),
    checkpointEvery: intValue(values, 'checkpoint-every', 1, 1e12),
    keep: intValue(values, 'keep', 1, 1000) ?? 2,
    patience: intValue(values, 'patience', 1, 1e6),
    metric,
    logEvery: intValue(values, 'log-every', 1, 1e9) ?? 10,
  };
  if (schedule === 'inverse-sqrt' && training.warmup < 1)
    throw new UsageError('--schedule inverse-sqrt needs --warmup of at least 1');
  if (schedule === 'cosine' && training.maxSteps === undefined && training.epochs === undefined)
    throw new UsageError('--schedule cosine needs --max-steps or --epochs to know where it ends');
  return { task, architecture, model: modelSettings(values, architecture), data, training };
}

/** Settings a resumed run may change: they extend or bound it without changing what it trains. */
const RESUMABLE_FIELDS = new Set(['epochs', 'maxSteps', 'timeBudget']);

/**
 * How the settings of a resumed run (the saved options with the ones given now on top) differ from the saved
 * run's, other than in RESUMABLE_FIELDS: one "name: now, saved" line per difference, for the error that
 * refuses to resume.
 */
export function settingsConflicts(now: TrainSettings, saved: TrainSettings): string[] {
  const flat = (s: TrainSettings): Record<string, unknown> => ({
    task: s.task,
    arch: s.architecture,
    ...s.model,
    ...s.data,
    ...s.training,
  });
  const a = flat(now);
  const b = flat(saved);
  const conflicts: string[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (RESUMABLE_FIELDS.has(key) || JSON.stringify(a[key]) === JSON.stringify(b[key])) continue;
    conflicts.push(
      `${key} ${JSON.stringify(a[key] ?? null)} (the run has ${JSON.stringify(b[key] ?? null)})`,
    );
  }
  return conflicts;
}
