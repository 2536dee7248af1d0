/**
 * One training run of the `attn` command (shared by `attn train` and `attn demo`): data, model, optimiser,
 * schedule and task from the settings, the Trainer with checkpoints and a JSONL log in the run directory,
 * SIGINT/SIGTERM handling, a time budget, and resuming from the directory's latest checkpoint when there is one.
 *
 * The run directory:
 *   latest.json, step-NNNNNNNN/   checkpoints (model.safetensors, config.json, tokenizers.json, ...)
 *   log.jsonl                     the trainer's log: train, eval, checkpoint, resume and end records
 */
import { join, resolve } from 'node:path';
import { Generator } from '../tensor/random.js';
import { AttnError, fail } from '../tensor/errors.js';
import { ClassificationTask } from '../train/classification-task.js';
import { DirectoryCheckpoints } from '../train/node/checkpoint-dir.js';
import { jsonlLog } from '../train/node/jsonl-log.js';
import { processSignals } from '../train/node/signals.js';
import type { TrainingSnapshot } from '../train/snapshot.js';
import type { EvalMetrics, TaskAdapter } from '../train/task.js';
import { Trainer, type FitResult } from '../train/trainer.js';
import { TranslationTask } from '../train/translation-task.js';
import { Adam } from '../optim/adam.js';
import { AdamW } from '../optim/adamw.js';
import type { Optimizer, OptimizerOptions } from '../optim/optimizer.js';
import { constant, cosineWithWarmup, LRScheduler, warmupInverseSqrt } from '../optim/schedules.js';
import { SGD } from '../optim/sgd.js';
import {
  MODEL_CONFIG_FORMAT,
  MODEL_CONFIG_VERSION,
  type ModelCheckpointConfig,
} from '../inference/model-config.js';
import {
  buildModel,
  validateConfig,
  type BuiltModel,
  type ModelConfig,
  type ModelSizes,
} from '../models/registry.js';
import { estimateModelBytes, estimateParameterCount, formatBytes } from '../models/memory-estimate.js';
import { availableMemoryBytes } from '../train/node/available-memory.js';
import type { OptionValues } from './options.js';
import { prepareData, type PreparedData, type SavedVocabulary } from './training-data.js';
import type { TrainSettings } from './train-settings.js';
import { UsageError } from './usage.js';

export const LOG_FILE = 'log.jsonl';

export interface RunOptions {
  /** The run directory. */
  out: string;
  /** The option values the settings came from (saved so that a resumed run reads them back). */
  options: OptionValues;
  /** A checkpoint of this directory to resume from, with its tokenizers and labels. */
  resume?: { snapshot: TrainingSnapshot; vocabulary: SavedVocabulary };
  /** Progress on stderr (default true). */
  progress?: boolean;
  /** Stops the run (with the returned reason) after an evaluation whose metrics satisfy it. */
  stopWhen?: (metrics: EvalMetrics) => string | null;
  /** Notes about the data (skipped lines, dropped examples) go here. */
  note: (message: string) => void;
}

export interface RunOutcome {
  result: FitResult;
  /** Metrics on the dev split after the run (the last evaluation, or one made now). */
  metrics: EvalMetrics;
  built: BuiltModel;
  data: PreparedData;
  config: ModelCheckpointConfig;
  /** Why a stopped run stopped: a stopWhen reason, 'SIGINT', ... (a spent time budget is its own status) */
  stopReason?: string;
}

function makeOptimizer(settings: TrainSettings, built: BuiltModel): Optimizer<OptimizerOptions> {
  const t = settings.training;
  const params = built.model.parameters();
  switch (t.optimizer) {
    case 'adam':
      return new Adam(params, { lr: t.lr, weightDecay: t.weightDecay });
    case 'adamw':
      return new AdamW(params, { lr: t.lr, weightDecay: t.weightDecay });
    case 'sgd':
      return new SGD(params, { lr: t.lr, momentum: t.momentum, weightDecay: t.weightDecay });
  }
}

/** The model's hyper-parameters, checked: a value out of its range or a mismatch between two is a usage error. */
function modelOptions(settings: TrainSettings): ModelConfig {
  try {
    return validateConfig(settings.architecture, settings.model, 'model options');
  } catch (err) {
    if (err instanceof AttnError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * Refuses, before anything is allocated, a model whose training needs more memory than the machine has (the
 * weights, their gradients and Adam's moments: see memory-estimate.ts). Called before the data is read (the
 * vocabularies counted as empty) and again once the vocabularies are known.
 */
function checkTrainingMemory(settings: TrainSettings, hyper: ModelConfig, sizes: ModelSizes): void {
  const parameters = estimateParameterCount(settings.architecture, hyper, sizes);
  const bytes = estimateModelBytes(parameters, 'training');
  const available = availableMemoryBytes();
  if (bytes > available) {
    throw new UsageError(
      `the ${settings.architecture} model these options describe has about ${parameters} parameters; training ` +
        `it needs at least ${formatBytes(bytes)} (weights, gradients and optimizer state), more than the ` +
        `${formatBytes(available)} of memory this machine has. Choose smaller sizes (--hidden-size, --layers, ...)`,
    );
  }
}

/**
 * The longest pair (in tokens, with the end token) the model takes, beyond which training drops a pair: a
 * Transformer's maxLen, the location score's maxSourceLength (it scores that many source positions), no limit
 * otherwise.
 */
function longestPair(modelConfig: ModelConfig): number {
  if ('maxLen' in modelConfig) return modelConfig.maxLen;
  if ('score' in modelConfig && modelConfig.score === 'location') return modelConfig.maxSourceLength;
  return Infinity;
}

export async function runTraining(settings: TrainSettings, options: RunOptions): Promise<RunOutcome> {
  const t = settings.training;
  const modelConfig = modelOptions(settings);
  checkTrainingMemory(settings, modelConfig, {});
  const maxLength = longestPair(modelConfig);
  const data = await prepareData(settings.task, settings.data, t.seed, maxLength, options.resume?.vocabulary);
  for (const note of data.notes) options.note(note);

  const generator = new Generator(t.seed);
  const sizes = modelSizes(data);
  checkTrainingMemory(settings, modelConfig, sizes);
  const built = buildModel(settings.architecture, modelConfig, sizes, generator);
  const config = savedConfig(settings, modelConfig, data, options.options);
  const task = makeTask(settings, built, data);
  const optimizer = makeOptimizer(settings, built);
  const scheduler = new LRScheduler(optimizer, makeSchedule(t, task));

  const log = jsonlLog(join(options.out, LOG_FILE));
  let stopReason: string | undefined;
  const trainer: Trainer<unknown> = new Trainer<unknown>({
    task,
    optimizer,
    scheduler,
    maxGradNorm: t.clip > 0 ? t.clip : undefined,
    // Without epochs the run is bounded by max-steps or the time budget (train-settings sees to one of them).
    epochs: t.epochs,
    maxSteps: t.maxSteps,
    timeBudget: t.timeBudget,
    seed: t.seed,
    generators: { model: generator },
    evalEvery: t.evalEvery,
    earlyStopping:
      t.patience !== undefined
        ? { metric: t.metric, mode: t.metric === 'loss' ? 'min' : 'max', patience: t.patience }
        : undefined,
    checkpoints: new DirectoryCheckpoints(options.out, { keep: t.keep }),
    checkpointEvery: t.checkpointEvery,
    config,
    tokenizers: { ...data.tokenizers },
    log: async (record) => {
      await log(record);
      if (record.kind === 'eval' && options.stopWhen) {
        const reason = options.stopWhen(record.metrics);
        if (reason !== null) {
          stopReason ??= reason;
          trainer.stop(reason);
        }
      }
    },
    logEvery: t.logEvery,
    progress: options.progress === false ? undefined : process.stderr,
    signals: processSignals,
  });
  if (options.resume) {
    try {
      await trainer.resume(options.resume.snapshot);
    } catch (err) {
      if (err instanceof AttnError) fail('attn train', `cannot resume from ${options.out}: ${err.message}`);
      throw err;
    }
  }
  const result = await trainer.fit();
  stopReason ??= result.stopReason;
  const last = result.evaluations[result.evaluations.length - 1];
  const metrics = last && last.step === result.step ? last.metrics : await trainer.evaluate('dev');
  return { result, metrics, built, data, config, stopReason };
}

/** The vocabulary sizes (and classes) the data's tokenizers and labels give the model. */
function modelSizes(data: PreparedData): ModelSizes {
  return data.task === 'translate'
    ? {
        srcVocabSize: data.tokenizers.source.vocabulary.size,
        tgtVocabSize: data.tokenizers.target.vocabulary.size,
      }
    : { vocabSize: data.tokenizers.text.vocabulary.size, numClasses: data.labels.length };
}

/** The checkpoints' config.json: the model's config and, under `training`, how to resume the run. */
function savedConfig(
  settings: TrainSettings,
  model: ModelConfig,
  data: PreparedData,
  values: OptionValues,
): ModelCheckpointConfig {
  return {
    format: MODEL_CONFIG_FORMAT,
    version: MODEL_CONFIG_VERSION,
    task: settings.task,
    architecture: settings.architecture,
    model,
    ...(data.task === 'translate'
      ? // Translations longer than twice the longest training target are runaways: stop them there.
        {
          sourceEos: true,
          maxDecodeLength: 2 * data.train.reduce((m, e) => Math.max(m, e.target.length), 0) + 10,
        }
      : { labels: data.labels }),
    training: { options: savedOptions(values), settings: JSON.parse(JSON.stringify(settings)) },
  };
}

/** The task adapter of the data: translation (with the run's label smoothing) or classification. */
function makeTask(settings: TrainSettings, built: BuiltModel, data: PreparedData): TaskAdapter<unknown> {
  const t = settings.training;
  const task =
    data.task === 'translate' && built.task === 'translate'
      ? new TranslationTask({
          model: built.model,
          train: data.train,
          splits: { dev: data.dev },
          batching: { batchSize: t.batchSize, sourceEos: true },
          evalBatchSize: Math.max(t.batchSize, 64),
          targetTokenizer: data.tokenizers.target,
          labelSmoothing: t.labelSmoothing,
        })
      : data.task === 'classify' && built.task === 'classify'
        ? new ClassificationTask({
            model: built.model,
            train: data.train,
            splits: { dev: data.dev },
            batching: { batchSize: t.batchSize },
            evalBatchSize: Math.max(t.batchSize, 64),
            labelSmoothing: t.labelSmoothing,
            numClasses: data.labels.length,
          })
        : fail('attn train', `the ${settings.architecture} model does not fit the ${data.task} data`);
  return task as TaskAdapter<unknown>;
}

/** The learning-rate schedule: cosine and inverse-sqrt as named, else constant after an optional linear warm-up. */
function makeSchedule(t: TrainSettings['training'], task: TaskAdapter<unknown>): (step: number) => number {
  const batchesPerEpoch = task.trainBatches(0, new Generator(0)).length ?? 1;
  const totalSteps = t.maxSteps ?? (t.epochs !== undefined ? t.epochs * batchesPerEpoch : undefined);
  if (t.schedule === 'cosine') return cosineWithWarmup(Math.min(t.warmup, totalSteps! - 1), totalSteps!);
  if (t.schedule === 'inverse-sqrt') return warmupInverseSqrt(t.warmup);
  return t.warmup > 0 ? (step: number) => Math.min(1, step / t.warmup) : constant();
}

/** The option values worth saving: data paths made absolute, without the run's own bookkeeping. */
function savedOptions(values: OptionValues): OptionValues {
  const out: OptionValues = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || ['config', 'out', 'quiet', 'help'].includes(name)) continue;
    out[name] = (name === 'data' || name === 'dev') && typeof value === 'string' ? resolve(value) : value;
  }
  return out;
}
