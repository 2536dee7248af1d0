/**
 * What a Trainer is given (`TrainerOptions`) and what it reports: after each step (`StepInfo`), per evaluation
 * (`Evaluation`) and when fit() returns (`FitResult`). See trainer.ts for the loop itself.
 */
import type { Optimizer, OptimizerOptions } from '../optim/optimizer.js';
import type { LRScheduler } from '../optim/schedules.js';
import type { Generator } from '../tensor/random.js';
import type { EarlyStoppingOptions } from './early-stopping.js';
import type { FitStatus, LogSink } from './log-record.js';
import type { ProgressStream } from './progress.js';
import type { CheckpointStore } from './snapshot.js';
import type { EvalMetrics, TaskAdapter } from './task.js';

/**
 * Installs handlers that call `stop` (with a reason such as 'SIGINT') and returns a function removing them. The
 * trainer installs them when fit() starts and removes them when it returns. `processSignals` (attn/node)
 * handles SIGINT and SIGTERM.
 */
export type SignalInstaller = (stop: (reason: string) => void) => () => void;

export interface TrainerOptions<B> {
  task: TaskAdapter<B>;
  optimizer: Optimizer<OptimizerOptions>;
  /** Sets the learning rate before each update; stepped after each. */
  scheduler?: LRScheduler;
  /** Clip the gradients' total 2-norm to this before each update (clipGradNorm); default: no clipping. */
  maxGradNorm?: number;
  /**
   * Epochs to train (the run ends at whichever of epochs, maxSteps and timeBudget comes first; give at least
   * one of the three).
   */
  epochs?: number;
  /** Updates to make in the whole run (resumed runs count from where they left off). */
  maxSteps?: number;
  /**
   * Seconds of training one fit() call may take: after the step that spends it, the run is evaluated,
   * checkpointed and ends with status 'time-budget'. Measured with `now` when given.
   */
  timeBudget?: number;
  /** Seed of the data order (default 0): epoch e's batches are drawn with `epochGenerator(seed, e)`. */
  seed?: number;
  /**
   * The generators the model draws from during training (dropout), saved in checkpoints and restored on resume.
   * Default: `{ default: defaultGenerator() }` (looked up when used, so `manualSeed` is followed). Give the ones
   * passed to the model's Dropout / RNN options when it has its own.
   */
  generators?: Record<string, Generator> | (() => Record<string, Generator>);
  /** The split evaluated (default 'dev'). */
  evalSplit?: string;
  /** Evaluate at the end of every epoch (default true, when the task can evaluate). */
  evalEveryEpoch?: boolean;
  /** Also evaluate every this many steps. */
  evalEvery?: number;
  earlyStopping?: EarlyStoppingOptions;
  /** Where checkpoints go; without it none are written. */
  checkpoints?: CheckpointStore;
  /** Write a checkpoint every this many steps. */
  checkpointEvery?: number;
  /** Write a checkpoint when fit() ends (default true; an interrupted run always writes one). */
  checkpointAtEnd?: boolean;
  /** The model's configuration (JSON-serialisable), saved in config.json so that the model can be rebuilt. */
  config?: unknown;
  /** Tokenizers or vocabularies to save with the checkpoints (anything with toJSON), by name. */
  tokenizers?: Record<string, { toJSON(): unknown }>;
  /** Receives the log records (`jsonlLog(path)` in attn/node writes them as JSON lines). */
  log?: LogSink;
  /** A train log record (and a plain progress line) every this many steps; default 10. */
  logEvery?: number;
  /** Where progress goes (e.g. process.stderr); a terminal gets one updating line. Default: nowhere. */
  progress?: ProgressStream;
  /** Terminal progress: redraw at most this often (ms); default 100. */
  progressRefreshMs?: number;
  /** Stop handlers to install during fit() (`processSignals` in attn/node for SIGINT/SIGTERM). */
  signals?: SignalInstaller;
  /** Aborting it stops the run as a signal does. */
  abortSignal?: AbortSignal;
  /** Called after every step (e.g. to collect losses). */
  onStep?: (info: StepInfo) => void;
  /** Clock in milliseconds for timings (default performance.now). */
  now?: () => number;
}

export interface StepInfo {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  tokens: number;
  examples: number;
}

export interface Evaluation {
  step: number;
  /** The 0-based epoch under way (an end-of-epoch evaluation belongs to the epoch it ends). */
  epoch: number;
  metrics: EvalMetrics;
}

export interface FitResult {
  status: FitStatus;
  /** Steps made in the whole run. */
  step: number;
  /** The epoch under way (= epochs completed when the run ended at an epoch's end). */
  epoch: number;
  /** The loss of every step this fit() made, in order. */
  losses: number[];
  /** The evaluations this fit() ran. */
  evaluations: Evaluation[];
  /** The early-stopping metric's best value and its step, when early stopping is on and something was evaluated. */
  best: { metric: string; value: number; step: number } | null;
  /** Where the last checkpoint went, if one was written. */
  checkpoint: string | null;
  /** Why an interrupted run stopped ('SIGINT', 'abort', ...). */
  stopReason?: string;
}
