/**
 * The training loop, for any model: a `TaskAdapter` says what a batch is, how to get an epoch's batches and
 * how to compute a loss and evaluate; the trainer does the rest. Each step:
 *
 * ```
 * zero the gradients → loss = task.loss(batch) → loss.backward() → clipGradNorm (if maxGradNorm)
 *   → optimizer.step() → scheduler.step()
 * ```
 *
 * Around the steps: evaluation on a split at the end of every epoch and/or every `evalEvery` steps, early
 * stopping on a named metric, checkpoints every `checkpointEvery` steps and at the end, a log record every
 * `logEvery` steps, and a progress display. The run ends after `epochs` epochs or `maxSteps` steps (whichever
 * comes first), on early stopping, or when stopped (a signal through `signals`, or `abortSignal`): the step under
 * way finishes, a checkpoint is written and fit() returns with status 'interrupted'.
 *
 * Resuming is exact: the data order of epoch e is drawn from `epochGenerator(seed, e)`, the checkpoint records
 * how many of the epoch's batches were trained on, and it holds the weights, the optimiser and scheduler state
 * and the state of the generators the model draws dropout from. A run resumed from a checkpoint computes the
 * same losses, bit for bit, as the uninterrupted run (on the same backend and thread count).
 *
 * Browser-safe: files, signals and terminals come in through interfaces (`CheckpointStore`, `signals`, the
 * progress stream); `attn/node` has the Node implementations (`DirectoryCheckpoints`, `processSignals`,
 * `jsonlLog`, `process.stderr`).
 *
 * ```ts
 * const trainer = new Trainer({
 *   task, optimizer, scheduler, maxGradNorm: 1, epochs: 10,
 *   earlyStopping: { metric: 'bleu', mode: 'max', patience: 3 },
 *   checkpoints: new DirectoryCheckpoints('runs/demo', { keep: 3 }), checkpointEvery: 500,
 *   log: jsonlLog('runs/demo/metrics.jsonl'), progress: process.stderr, signals: processSignals,
 *   config: modelOptions, tokenizers: { source: srcTok, target: tgtTok },
 * });
 * if (await trainer.options.checkpoints!.exists()) await trainer.resume();
 * const result = await trainer.fit();
 * ```
 */
import type { Optimizer, OptimizerOptions } from '../optim/optimizer.js';
import { clipGradNorm } from '../optim/clip.js';
import type { LRScheduler } from '../optim/schedules.js';
import { AttnError, fail } from '../tensor/errors.js';
import { defaultGenerator, type Generator, type GeneratorState } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/tidy.js';
import { CHECKPOINT_FILES } from './checkpoint-codec.js';
import { checkEarlyStopping, updateEarlyStopping, type EarlyStoppingOptions } from './early-stopping.js';
import { epochGenerator } from './epoch-generator.js';
import type { FitStatus, LogSink, TrainerLogRecord } from './log-record.js';
import { formatDuration, ProgressReporter, type ProgressStream } from './progress.js';
import type { CheckpointStore, TrainerState, TrainingSnapshot } from './snapshot.js';
import type { BatchLoss, EvalMetrics, TaskAdapter } from './task.js';

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
  /** Epochs to train (the run ends at whichever of epochs and maxSteps comes first; give at least one). */
  epochs?: number;
  /** Updates to make in the whole run (resumed runs count from where they left off). */
  maxSteps?: number;
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

const OP = 'Trainer';

export class Trainer<B> {
  readonly options: TrainerOptions<B>;
  private state: TrainerState;
  /** The data-order generator of the epoch under way, while (and after) fit runs. */
  private dataGenerator: Generator | null = null;
  /** The epoch `dataGenerator` belongs to. */
  private dataEpoch = -1;
  /** A restored data-generator state, applied after the resumed epoch's done batches are drawn again. */
  private pendingDataState: GeneratorState | null = null;
  private pendingResume: { source: string | null } | null = null;
  private stopReason: string | null = null;
  private running = false;

  constructor(options: TrainerOptions<B>) {
    checkOptions(options);
    this.options = options;
    this.state = {
      step: 0,
      epoch: 0,
      position: 0,
      seed: options.seed ?? 0,
      bestValue: null,
      bestStep: 0,
      badEvaluations: 0,
      lastEvalStep: -1,
      earlyStopped: false,
      elapsedSeconds: 0,
      tokens: 0,
    };
  }

  /** A copy of where the run is. */
  get trainerState(): TrainerState {
    return { ...this.state };
  }

  /** Asks a running fit() to stop after the step under way (as a signal does). */
  stop(reason = 'stop'): void {
    this.stopReason ??= reason;
  }

  /** Everything a checkpoint holds, as of now (copies). */
  snapshot(): TrainingSnapshot {
    const o = this.options;
    const weights = new Map<string, Tensor>();
    for (const [name, p] of o.task.model.namedParameters()) {
      weights.set(name, new Tensor(p.data.slice(), p.shape, p.dtype));
    }
    const generators: Record<string, GeneratorState> = {};
    for (const [name, g] of Object.entries(this.generators())) generators[name] = g.getState();
    const tokenizers: Record<string, unknown> = {};
    for (const [name, t] of Object.entries(o.tokenizers ?? {})) tokenizers[name] = t.toJSON();
    return {
      weights,
      config: o.config === undefined ? null : structuredCloneJson(o.config),
      optimizer: { name: o.optimizer.name, state: o.optimizer.stateDict() },
      scheduler: o.scheduler?.stateDict() ?? null,
      rng: { data: this.dataState(), generators },
      tokenizers,
      trainer: { ...this.state },
    };
  }

  /**
   * Restores a snapshot: weights, optimiser, scheduler, generators and the position in the run; the next fit()
   * continues from there. A snapshot that does not fit (other parameter names or shapes, another optimiser,
   * a scheduler where there is none, a missing generator) is an error naming the checkpoint file, and leaves the
   * trainer as it was.
   */
  restore(snapshot: TrainingSnapshot): void {
    if (this.running) fail(`${OP}.restore`, 'cannot restore while fit() is running');
    const backup = this.snapshot();
    try {
      this.apply(snapshot);
    } catch (err) {
      this.apply(backup);
      throw err;
    }
    this.pendingResume = { source: snapshot.source ?? null };
  }

  /** Restores the latest checkpoint of `from` (default: the `checkpoints` store) or a snapshot; see restore(). */
  async resume(from?: CheckpointStore | TrainingSnapshot): Promise<TrainerState> {
    const source = from ?? this.options.checkpoints;
    if (source === undefined)
      fail(`${OP}.resume`, 'no checkpoint store: pass one, or set options.checkpoints');
    const snapshot = 'load' in source ? await source.load() : source;
    this.restore(snapshot);
    return this.trainerState;
  }

  /** Evaluates the task on `split` (default the evalSplit option) with the model in evaluation mode. */
  async evaluate(split = this.options.evalSplit ?? 'dev'): Promise<EvalMetrics> {
    const { task } = this.options;
    if (!task.evaluate) fail(`${OP}.evaluate`, 'the task has no evaluate()');
    const model = task.model;
    const wasTraining = model.training;
    model.eval();
    try {
      return await task.evaluate(split);
    } finally {
      model.train(wasTraining);
    }
  }

  /** Trains until the run ends (see the module comment); resolves with how it ended. */
  async fit(): Promise<FitResult> {
    if (this.running) fail(`${OP}.fit`, 'fit() is already running');
    this.running = true;
    this.stopReason = null;
    const onAbort = (): void => this.stop('abort');
    const abort = this.options.abortSignal;
    if (abort?.aborted) onAbort();
    abort?.addEventListener('abort', onAbort);
    const uninstall = this.options.signals?.((reason) => this.stop(reason));
    try {
      return await this.run();
    } finally {
      uninstall?.();
      abort?.removeEventListener('abort', onAbort);
      this.running = false;
    }
  }

  private async run(): Promise<FitResult> {
    const o = this.options;
    const st = this.state;
    const model = o.task.model;
    const now = o.now ?? (() => performance.now());
    const logEvery = o.logEvery ?? 10;
    const progress = o.progress
      ? new ProgressReporter(o.progress, { every: logEvery, refreshMs: o.progressRefreshMs, now })
      : null;
    const start = now();
    const elapsedBefore = st.elapsedSeconds;
    const elapsed = (): number => elapsedBefore + (now() - start) / 1000;
    const losses: number[] = [];
    const evaluations: Evaluation[] = [];
    let checkpoint: string | null = null;
    let dirty = false;
    let fitSteps = 0;
    let fitTokens = 0;
    let window = { loss: 0, tokens: 0, examples: 0, steps: 0, start, lr: 0 };

    const log = async (record: TrainerLogRecord): Promise<void> => {
      if (o.log) await o.log(record);
    };
    const stamp = (): { step: number; epoch: number; elapsed: number; time: string } => ({
      step: st.step,
      epoch: st.epoch,
      elapsed: (st.elapsedSeconds = elapsed()),
      time: new Date().toISOString(),
    });

    if (this.pendingResume) {
      const { source } = this.pendingResume;
      this.pendingResume = null;
      await log({ kind: 'resume', ...stamp(), source });
      progress?.message(
        `resumed at step ${st.step} (epoch ${st.epoch + 1})${source ? ` from ${source}` : ''}`,
      );
    }

    /** Evaluates unless already done at this step; true when early stopping says stop. */
    const evaluate = async (): Promise<boolean> => {
      if (!o.task.evaluate || st.lastEvalStep === st.step) return false;
      const split = o.evalSplit ?? 'dev';
      const t0 = now();
      const metrics = await this.evaluate(split);
      const seconds = (now() - t0) / 1000;
      st.lastEvalStep = st.step;
      dirty = true;
      evaluations.push({ step: st.step, epoch: st.epoch, metrics: { ...metrics } });
      let stop = false;
      let note = '';
      if (o.earlyStopping) {
        const r = updateEarlyStopping(o.earlyStopping, st, metrics, st.step);
        stop = r.stop;
        note = r.improved
          ? ` (best ${o.earlyStopping.metric})`
          : ` (no improvement ${st.badEvaluations}/${o.earlyStopping.patience})`;
      }
      await log({ kind: 'eval', ...stamp(), split, metrics: { ...metrics }, seconds });
      progress?.message(
        `eval ${split} @ step ${st.step} (epoch ${st.epoch + 1}): ${formatMetrics(metrics)}${note}`,
      );
      return stop;
    };

    const save = async (): Promise<void> => {
      if (!o.checkpoints) return;
      st.elapsedSeconds = elapsed();
      checkpoint = await o.checkpoints.save(this.snapshot());
      dirty = false;
      await log({ kind: 'checkpoint', ...stamp(), path: checkpoint });
      progress?.message(`checkpoint step ${st.step} → ${checkpoint}`);
    };

    const flushWindow = async (): Promise<void> => {
      if (window.steps === 0) return;
      const seconds = Math.max(1e-9, (now() - window.start) / 1000);
      await log({
        kind: 'train',
        ...stamp(),
        loss: window.loss / window.steps,
        lr: window.lr,
        tokensPerSecond: window.tokens / seconds,
        examplesPerSecond: window.examples / seconds,
        steps: window.steps,
      });
      window = { loss: 0, tokens: 0, examples: 0, steps: 0, start: now(), lr: 0 };
    };

    let status: FitStatus | null = st.earlyStopped ? 'early-stopped' : null;
    let hitLimit = false;
    model.train();
    while (status === null) {
      if (
        (o.epochs !== undefined && st.epoch >= o.epochs) ||
        (o.maxSteps !== undefined && st.step >= o.maxSteps)
      ) {
        status = 'completed';
        break;
      }
      const epoch = st.epoch;
      // Always from the start of the epoch's stream: a resumed epoch draws its done batches again.
      const generator = epochGenerator(st.seed, epoch);
      this.dataGenerator = generator;
      this.dataEpoch = epoch;
      const batches = o.task.trainBatches(epoch, generator);
      const epochLength = typeof batches.length === 'number' ? batches.length : undefined;
      const iterator = batches[Symbol.iterator]();
      // Draw the batches trained on before the checkpoint again (same generator draws), then pick up the
      // generator exactly where the checkpoint left it.
      let produced = 0;
      while (produced < st.position && !iterator.next().done) produced++;
      if (produced < st.position) {
        fail(
          OP,
          `resuming epoch ${epoch} at batch ${st.position}, but the task gave only ${produced} batches`,
        );
      }
      if (this.pendingDataState) {
        generator.setState(this.pendingDataState);
        this.pendingDataState = null;
      }
      while (true) {
        if (this.stopReason !== null) {
          status = 'interrupted';
          break;
        }
        const next = iterator.next();
        if (next.done) break;
        produced++;
        const info = this.trainStep(next.value);
        st.step++;
        st.position = produced;
        st.tokens += info.tokens;
        dirty = true;
        fitSteps++;
        fitTokens += info.tokens;
        losses.push(info.loss);
        window.loss += info.loss;
        window.tokens += info.tokens;
        window.examples += info.examples;
        window.steps++;
        window.lr = info.lr;
        o.onStep?.({ step: st.step, epoch, ...info });

        if (progress) {
          const seconds = (now() - start) / 1000;
          const total = totalSteps(o, st, epochLength);
          progress.update({
            step: st.step,
            totalSteps: total,
            epoch,
            epochs: o.epochs,
            loss: window.steps > 0 ? window.loss / window.steps : info.loss,
            lr: info.lr,
            tokensPerSecond: seconds > 0 ? fitTokens / seconds : 0,
            etaSeconds:
              total !== undefined && fitSteps > 0 ? ((total - st.step) * seconds) / fitSteps : undefined,
          });
        }
        if (st.step % logEvery === 0) await flushWindow();

        hitLimit = o.maxSteps !== undefined && st.step >= o.maxSteps;
        if (o.evalEvery !== undefined && st.step % o.evalEvery === 0 && (await evaluate())) {
          status = 'early-stopped';
          break;
        }
        if (hitLimit) {
          status = 'completed';
          break;
        }
        if (o.checkpointEvery !== undefined && st.step % o.checkpointEvery === 0) await save();
        await yieldToEventLoop();
      }
      if (status !== null) break;
      if (produced === 0) fail(OP, `task.trainBatches gave no batches for epoch ${epoch}`);
      // The epoch is done.
      const stop = (o.evalEveryEpoch ?? true) && (await evaluate());
      st.epoch++;
      st.position = 0;
      dirty = true;
      if (stop) status = 'early-stopped';
    }

    await flushWindow();
    // A run cut short by maxSteps mid-epoch gets a last evaluation (one ending at an epoch's end had it).
    if (status === 'completed' && hitLimit && ((o.evalEveryEpoch ?? true) || o.evalEvery !== undefined)) {
      if (await evaluate()) status = 'early-stopped';
    }
    st.earlyStopped = status === 'early-stopped';
    st.elapsedSeconds = elapsed();
    if (o.checkpoints && dirty && ((o.checkpointAtEnd ?? true) || status === 'interrupted')) await save();
    await log({ kind: 'end', ...stamp(), status });
    const stopReason = status === 'interrupted' ? (this.stopReason ?? 'stop') : undefined;
    const where = st.position > 0 ? `epoch ${st.epoch + 1}, batch ${st.position}` : `${st.epoch} epochs done`;
    progress?.finish(
      `${status}${stopReason ? ` (${stopReason})` : ''} at step ${st.step} (${where}), ` +
        `${formatDuration(elapsed())} of training${checkpoint ? `; checkpoint ${checkpoint}` : ''}`,
    );
    const es = o.earlyStopping;
    return {
      status,
      step: st.step,
      epoch: st.epoch,
      losses,
      evaluations,
      best:
        es && st.bestValue !== null ? { metric: es.metric, value: st.bestValue, step: st.bestStep } : null,
      checkpoint,
      ...(stopReason !== undefined ? { stopReason } : {}),
    };
  }

  // In a tidy scope: the step's activations go back to the storage pool when it returns (it returns numbers).
  private trainStep(batch: B): { loss: number; lr: number; tokens: number; examples: number } {
    return tidy(() => this.trainStepBody(batch));
  }

  private trainStepBody(batch: B): { loss: number; lr: number; tokens: number; examples: number } {
    const { task, optimizer, scheduler, maxGradNorm } = this.options;
    optimizer.zeroGrad();
    const out: BatchLoss = task.loss(batch);
    if (!out || !(out.loss instanceof Tensor) || out.loss.size !== 1 || out.loss.dtype !== 'float32') {
      fail(OP, 'task.loss(batch) must return { loss: a one-element float32 Tensor, tokens, examples }');
    }
    const loss = out.loss.item();
    if (!Number.isFinite(loss)) {
      fail(
        OP,
        `the loss is ${loss} at step ${this.state.step + 1} (epoch ${this.state.epoch + 1}); not updating`,
      );
    }
    out.loss.backward();
    if (maxGradNorm !== undefined) clipGradNorm(optimizer.parameters(), maxGradNorm);
    const lr = optimizer.lr;
    optimizer.step();
    optimizer.zeroGrad();
    scheduler?.step();
    return { loss, lr, tokens: out.tokens, examples: out.examples };
  }

  private generators(): Record<string, Generator> {
    const g = this.options.generators;
    if (g === undefined) return { default: defaultGenerator() };
    return typeof g === 'function' ? g() : g;
  }

  /** The data generator's state for a checkpoint: after the batches of the epoch done so far were drawn. */
  private dataState(): GeneratorState {
    if (this.pendingDataState) return this.pendingDataState;
    if (this.dataGenerator !== null && this.dataEpoch === this.state.epoch)
      return this.dataGenerator.getState();
    return epochGenerator(this.state.seed, this.state.epoch).getState();
  }

  private apply(s: TrainingSnapshot): void {
    const o = this.options;
    const file = (name: string): string => (s.source ? `${s.source}/${name}` : name);
    const wrap = <T>(name: string, what: string, fn: () => T): T => {
      try {
        return fn();
      } catch (err) {
        if (err instanceof AttnError) fail(`${OP}.restore`, `${file(name)} ${what}: ${err.message}`);
        throw err;
      }
    };
    const generators = this.generators();
    for (const name of Object.keys(generators)) {
      if (s.rng.generators[name] === undefined) {
        fail(
          `${OP}.restore`,
          `${file(CHECKPOINT_FILES.rng)} has no state for generator '${name}' (it has ${Object.keys(s.rng.generators).join(', ') || 'none'})`,
        );
      }
    }
    if (s.optimizer.name !== o.optimizer.name) {
      fail(
        `${OP}.restore`,
        `${file(CHECKPOINT_FILES.optimizer)} holds ${s.optimizer.name} state, but the optimiser is ${o.optimizer.name}`,
      );
    }
    if ((s.scheduler === null) !== (o.scheduler === undefined)) {
      fail(
        `${OP}.restore`,
        s.scheduler === null
          ? `${file(CHECKPOINT_FILES.scheduler)} holds no scheduler state, but the trainer has a scheduler`
          : `${file(CHECKPOINT_FILES.scheduler)} holds scheduler state, but the trainer has no scheduler`,
      );
    }
    wrap(CHECKPOINT_FILES.model, 'does not match the model', () => o.task.model.loadStateDict(s.weights));
    wrap(CHECKPOINT_FILES.optimizer, 'does not match the optimiser', () =>
      o.optimizer.loadStateDict(s.optimizer.state),
    );
    if (s.scheduler !== null) {
      wrap(CHECKPOINT_FILES.scheduler, 'does not match the scheduler', () =>
        o.scheduler!.loadStateDict(s.scheduler!),
      );
    }
    for (const [name, g] of Object.entries(generators)) {
      wrap(CHECKPOINT_FILES.rng, `(generator '${name}')`, () => g.setState(s.rng.generators[name]!));
    }
    this.state = { ...s.trainer };
    this.dataGenerator = null;
    this.dataEpoch = -1;
    this.pendingDataState = s.trainer.position > 0 ? s.rng.data : null;
  }
}

function checkOptions<B>(o: TrainerOptions<B>): void {
  if (typeof o !== 'object' || o === null) fail(OP, 'options must be an object');
  const task = o.task as Partial<TaskAdapter<B>> | undefined;
  if (!task || typeof task.trainBatches !== 'function' || typeof task.loss !== 'function' || !task.model) {
    fail(
      OP,
      'task must be a TaskAdapter { model, trainBatches(epoch, generator), loss(batch), evaluate?(split) }',
    );
  }
  if (!o.optimizer || typeof o.optimizer.step !== 'function') fail(OP, 'optimizer is required');
  if (o.epochs === undefined && o.maxSteps === undefined) fail(OP, 'give epochs or maxSteps (or both)');
  const positive = ['epochs', 'maxSteps', 'evalEvery', 'checkpointEvery', 'logEvery'] as const;
  for (const key of positive) {
    const v = o[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
      fail(OP, `${key} must be an integer >= 1, got ${String(v)}`);
    }
  }
  if (o.maxGradNorm !== undefined && !(typeof o.maxGradNorm === 'number' && o.maxGradNorm > 0)) {
    fail(OP, `maxGradNorm must be a number > 0, got ${String(o.maxGradNorm)}`);
  }
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) {
    fail(OP, `seed must be a safe integer, got ${String(o.seed)}`);
  }
  if (o.earlyStopping !== undefined) {
    checkEarlyStopping(o.earlyStopping);
    if (!task.evaluate) fail(OP, 'earlyStopping needs a task with evaluate()');
  }
  if (o.checkpointEvery !== undefined && !o.checkpoints)
    fail(OP, 'checkpointEvery needs a checkpoints store');
}

/** The step the run will end at, when it can be known (for the bar and the ETA). */
function totalSteps<B>(
  o: TrainerOptions<B>,
  st: TrainerState,
  epochLength: number | undefined,
): number | undefined {
  let total: number | undefined;
  if (o.epochs !== undefined && epochLength !== undefined) {
    total = st.step - st.position + (o.epochs - st.epoch) * epochLength;
  }
  if (o.maxSteps !== undefined) total = total === undefined ? o.maxSteps : Math.min(total, o.maxSteps);
  return total;
}

function formatMetrics(metrics: EvalMetrics): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(' ');
}

/** A deep copy through JSON: the config is saved as JSON, so what cannot go there fails now, with a clear error. */
function structuredCloneJson(value: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    fail(OP, `config must be JSON-serialisable: ${(err as Error).message}`);
  }
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

/**
 * Lets pending events run (signal handlers, abort listeners, I/O): the training loop is synchronous work, and
 * without this a SIGINT would wait for the whole run. setImmediate where there is one (Node: a few µs), else
 * a zero timeout at most every 50 ms (browsers clamp those to ≥ 4 ms).
 */
let lastTimeout = 0;
function yieldToEventLoop(): Promise<void> | undefined {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (typeof immediate === 'function') return new Promise((resolve) => immediate(resolve));
  const t = Date.now();
  if (t - lastTimeout < 50) return undefined;
  lastTimeout = t;
  return new Promise((resolve) => setTimeout(resolve, 0));
}
