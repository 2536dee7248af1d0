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
 * `logEvery` steps, and a progress display. The run ends after `epochs` epochs, `maxSteps` steps or its
 * `timeBudget` seconds (whichever comes first; status 'time-budget' for the last), on early stopping, or when
 * stopped (a signal through `signals`, or `abortSignal`): the step under way finishes, a checkpoint is written
 * and fit() returns with status 'interrupted'.
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
import { clipGradNorm } from '../optim/clip.js';
import { AttnError, fail } from '../tensor/errors.js';
import { defaultGenerator, type Generator, type GeneratorState } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/tidy.js';
import { CHECKPOINT_FILES } from './checkpoint-codec.js';
import { checkEarlyStopping } from './early-stopping.js';
import { epochGenerator } from './epoch-generator.js';
import { FitRun } from './fit-run.js';
import type { FitStatus } from './log-record.js';
import type { CheckpointStore, TrainerState, TrainingSnapshot } from './snapshot.js';
import type { BatchLoss, EvalMetrics, TaskAdapter } from './task.js';
import type { FitResult, TrainerOptions } from './trainer-options.js';

export type { Evaluation, FitResult, SignalInstaller, StepInfo, TrainerOptions } from './trainer-options.js';

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
  /** When the fit() under way started (performance.now()), for the time budget. */
  private fitStarted = 0;

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
    // Read only for a budget, so that a run without one reads its `now` as before.
    this.fitStarted = this.options.timeBudget !== undefined ? this.clock() : 0;
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

  /** The loop: epochs of steps until a stop condition, then the end of the run (see FitRun.end). */
  private async run(): Promise<FitResult> {
    const run = new FitRun(this, this.state);
    if (this.pendingResume) {
      const { source } = this.pendingResume;
      this.pendingResume = null;
      await run.resumed(source);
    }
    let status: FitStatus | null = this.state.earlyStopped ? 'early-stopped' : null;
    this.options.task.model.train();
    while (status === null) {
      status = this.runDone() ? 'completed' : await this.trainEpoch(run);
    }
    return run.end(status, this.stopReason);
  }

  /** Milliseconds on the run's clock (`now`, default performance.now). */
  private clock(): number {
    return this.options.now ? this.options.now() : performance.now();
  }

  /** Whether the run has made its epochs or its steps. */
  private runDone(): boolean {
    const { epochs, maxSteps } = this.options;
    const st = this.state;
    return (epochs !== undefined && st.epoch >= epochs) || (maxSteps !== undefined && st.step >= maxSteps);
  }

  /**
   * Trains the rest of the epoch under way, one step per batch, with evaluations and checkpoints on their
   * schedules; the epoch's end evaluates and moves to the next epoch. Returns how the run ended, or null when
   * it goes on.
   */
  private async trainEpoch(run: FitRun<B>): Promise<FitStatus | null> {
    const o = this.options;
    const st = this.state;
    const epoch = st.epoch;
    const { iterator, epochLength, done } = this.openEpoch(epoch);
    let produced = done;
    while (true) {
      if (this.stopReason !== null) return 'interrupted';
      const next = iterator.next();
      if (next.done) break;
      produced++;
      const info = this.trainStep(next.value);
      st.step++;
      st.position = produced;
      st.tokens += info.tokens;
      await run.recordStep({ step: st.step, epoch, ...info }, epochLength);
      if (o.evalEvery !== undefined && st.step % o.evalEvery === 0 && (await run.evaluate())) {
        return 'early-stopped';
      }
      if (o.timeBudget !== undefined && (this.clock() - this.fitStarted) / 1000 >= o.timeBudget) {
        return 'time-budget';
      }
      if (run.hitStepLimit) return 'completed';
      if (o.checkpointEvery !== undefined && st.step % o.checkpointEvery === 0) await run.save();
      await yieldToEventLoop();
    }
    if (produced === 0) fail(OP, `task.trainBatches gave no batches for epoch ${epoch}`);
    const stop = (o.evalEveryEpoch ?? true) && (await run.evaluate());
    st.epoch++;
    st.position = 0;
    run.dirty = true;
    return stop ? 'early-stopped' : null;
  }

  /**
   * The batches of `epoch`, past the ones a resumed run trained on: always drawn from the start of the epoch's
   * stream (the same generator draws), after which the generator picks up exactly where the checkpoint left it.
   */
  private openEpoch(epoch: number): { iterator: Iterator<B>; epochLength: number | undefined; done: number } {
    const st = this.state;
    const generator = epochGenerator(st.seed, epoch);
    this.dataGenerator = generator;
    this.dataEpoch = epoch;
    const batches = this.options.task.trainBatches(epoch, generator);
    const epochLength = typeof batches.length === 'number' ? batches.length : undefined;
    const iterator = batches[Symbol.iterator]();
    let done = 0;
    while (done < st.position && !iterator.next().done) done++;
    if (done < st.position) {
      fail(OP, `resuming epoch ${epoch} at batch ${st.position}, but the task gave only ${done} batches`);
    }
    if (this.pendingDataState) {
      generator.setState(this.pendingDataState);
      this.pendingDataState = null;
    }
    return { iterator, epochLength, done };
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
  if (o.epochs === undefined && o.maxSteps === undefined && o.timeBudget === undefined)
    fail(OP, 'give epochs or maxSteps (or both), or a timeBudget');
  const positive = ['epochs', 'maxSteps', 'evalEvery', 'checkpointEvery', 'logEvery'] as const;
  for (const key of positive) {
    const v = o[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
      fail(OP, `${key} must be an integer >= 1, got ${String(v)}`);
    }
  }
  if (
    o.timeBudget !== undefined &&
    !(typeof o.timeBudget === 'number' && o.timeBudget > 0 && o.timeBudget < Infinity)
  ) {
    fail(OP, `timeBudget must be a finite number of seconds > 0, got ${String(o.timeBudget)}`);
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
