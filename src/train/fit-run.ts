/**
 * The bookkeeping of one Trainer.fit() call: what it reports (losses, evaluations, the last checkpoint), the
 * train log's window of steps, the progress display, and the pieces the loop is made of besides the update
 * itself — record a step, evaluate (with early stopping), checkpoint, and end. The trainer's position in the run
 * (`TrainerState`) is shared with the trainer, which owns it; this updates its counters and timings.
 */
import { updateEarlyStopping } from './early-stopping.js';
import type { FitStatus, TrainerLogRecord } from './log-record.js';
import { formatDuration, ProgressReporter } from './progress.js';
import type { TrainerState, TrainingSnapshot } from './snapshot.js';
import type { EvalMetrics } from './task.js';
import type { Evaluation, FitResult, StepInfo, TrainerOptions } from './trainer-options.js';

/** What a fit run needs of its trainer. */
export interface FitHost<B> {
  readonly options: TrainerOptions<B>;
  /** Evaluates `split` with the model in evaluation mode. */
  evaluate(split: string): Promise<EvalMetrics>;
  snapshot(): TrainingSnapshot;
}

/** Steps since the last train log record: their summed loss, tokens and examples, and the last rate. */
interface LogWindow {
  loss: number;
  tokens: number;
  examples: number;
  steps: number;
  start: number;
  lr: number;
}

export class FitRun<B> {
  readonly losses: number[] = [];
  readonly evaluations: Evaluation[] = [];
  /** Where the last checkpoint went. */
  checkpoint: string | null = null;
  /** Whether the run moved since the last checkpoint. */
  dirty = false;
  /** Whether the last step reached maxSteps (a run cut short there gets a last evaluation). */
  hitStepLimit = false;
  readonly logEvery: number;
  private readonly options: TrainerOptions<B>;
  private readonly progress: ProgressReporter | null;
  private readonly now: () => number;
  private readonly start: number;
  private readonly elapsedBefore: number;
  private fitSteps = 0;
  private fitTokens = 0;
  private window: LogWindow;

  constructor(
    private readonly host: FitHost<B>,
    private readonly st: TrainerState,
  ) {
    const o = host.options;
    this.options = o;
    this.now = o.now ?? (() => performance.now());
    this.logEvery = o.logEvery ?? 10;
    this.progress = o.progress
      ? new ProgressReporter(o.progress, {
          every: this.logEvery,
          refreshMs: o.progressRefreshMs,
          now: this.now,
        })
      : null;
    this.start = this.now();
    this.elapsedBefore = st.elapsedSeconds;
    this.window = this.emptyWindow();
  }

  /** Seconds of training in the whole run, this fit included. */
  elapsed(): number {
    return this.elapsedBefore + (this.now() - this.start) / 1000;
  }

  /** Logs and shows where a resumed run picks up. */
  async resumed(source: string | null): Promise<void> {
    const st = this.st;
    await this.log({ kind: 'resume', ...this.stamp(), source });
    this.progress?.message(
      `resumed at step ${st.step} (epoch ${st.epoch + 1})${source ? ` from ${source}` : ''}`,
    );
  }

  /** Counts a step made in `epoch` (of `epochLength` batches, when known): losses, log window, progress. */
  async recordStep(info: StepInfo, epochLength: number | undefined): Promise<void> {
    const { st, options: o, window } = this;
    this.dirty = true;
    this.fitSteps++;
    this.fitTokens += info.tokens;
    this.losses.push(info.loss);
    window.loss += info.loss;
    window.tokens += info.tokens;
    window.examples += info.examples;
    window.steps++;
    window.lr = info.lr;
    o.onStep?.(info);
    this.showProgress(info, epochLength);
    if (st.step % this.logEvery === 0) await this.flushWindow();
    this.hitStepLimit = o.maxSteps !== undefined && st.step >= o.maxSteps;
  }

  /** Evaluates unless already done at this step; true when early stopping says stop. */
  async evaluate(): Promise<boolean> {
    const { st, options: o } = this;
    if (!o.task.evaluate || st.lastEvalStep === st.step) return false;
    const split = o.evalSplit ?? 'dev';
    const t0 = this.now();
    const metrics = await this.host.evaluate(split);
    const seconds = (this.now() - t0) / 1000;
    st.lastEvalStep = st.step;
    this.dirty = true;
    this.evaluations.push({ step: st.step, epoch: st.epoch, metrics: { ...metrics } });
    let stop = false;
    let note = '';
    if (o.earlyStopping) {
      const r = updateEarlyStopping(o.earlyStopping, st, metrics, st.step);
      stop = r.stop;
      note = r.improved
        ? ` (best ${o.earlyStopping.metric})`
        : ` (no improvement ${st.badEvaluations}/${o.earlyStopping.patience})`;
    }
    await this.log({ kind: 'eval', ...this.stamp(), split, metrics: { ...metrics }, seconds });
    this.progress?.message(
      `eval ${split} @ step ${st.step} (epoch ${st.epoch + 1}): ${formatMetrics(metrics)}${note}`,
    );
    return stop;
  }

  /** Writes a checkpoint (when there is a store). */
  async save(): Promise<void> {
    const o = this.options;
    if (!o.checkpoints) return;
    this.st.elapsedSeconds = this.elapsed();
    this.checkpoint = await o.checkpoints.save(this.host.snapshot());
    this.dirty = false;
    await this.log({ kind: 'checkpoint', ...this.stamp(), path: this.checkpoint });
    this.progress?.message(`checkpoint step ${this.st.step} → ${this.checkpoint}`);
  }

  /** The train log record of the steps since the last one. */
  async flushWindow(): Promise<void> {
    const window = this.window;
    if (window.steps === 0) return;
    const seconds = Math.max(1e-9, (this.now() - window.start) / 1000);
    await this.log({
      kind: 'train',
      ...this.stamp(),
      loss: window.loss / window.steps,
      lr: window.lr,
      tokensPerSecond: window.tokens / seconds,
      examplesPerSecond: window.examples / seconds,
      steps: window.steps,
    });
    this.window = this.emptyWindow();
  }

  /**
   * Ends the run with `status`: the last log window, a last evaluation for a run cut short by maxSteps or its
   * time budget, the final checkpoint (when the run moved: always for an interrupted run or a spent budget, else
   * unless checkpointAtEnd is false),
   * the end record, and the result.
   */
  async end(ended: FitStatus, stopRequest: string | null): Promise<FitResult> {
    const { st, options: o } = this;
    let status = ended;
    await this.flushWindow();
    // A run ending at an epoch's end was evaluated there.
    const evaluates = (o.evalEveryEpoch ?? true) || o.evalEvery !== undefined;
    if (status === 'completed' && this.hitStepLimit && evaluates) {
      if (await this.evaluate()) status = 'early-stopped';
    }
    // A spent budget ends the run where it is, evaluated once there.
    if (status === 'time-budget' && evaluates && this.evaluations.at(-1)?.step !== st.step)
      await this.evaluate();
    st.earlyStopped = status === 'early-stopped';
    st.elapsedSeconds = this.elapsed();
    const mustSave = status === 'interrupted' || status === 'time-budget';
    if (o.checkpoints && this.dirty && ((o.checkpointAtEnd ?? true) || mustSave)) await this.save();
    await this.log({ kind: 'end', ...this.stamp(), status });
    const stopReason = status === 'interrupted' ? (stopRequest ?? 'stop') : undefined;
    const where = st.position > 0 ? `epoch ${st.epoch + 1}, batch ${st.position}` : `${st.epoch} epochs done`;
    this.progress?.finish(
      `${status}${stopReason ? ` (${stopReason})` : ''} at step ${st.step} (${where}), ` +
        `${formatDuration(this.elapsed())} of training${this.checkpoint ? `; checkpoint ${this.checkpoint}` : ''}`,
    );
    const es = o.earlyStopping;
    return {
      status,
      step: st.step,
      epoch: st.epoch,
      losses: this.losses,
      evaluations: this.evaluations,
      best:
        es && st.bestValue !== null ? { metric: es.metric, value: st.bestValue, step: st.bestStep } : null,
      checkpoint: this.checkpoint,
      ...(stopReason !== undefined ? { stopReason } : {}),
    };
  }

  /**
   * The progress line follows whichever bound ends the run first: the step bound (from maxSteps or epochs, the
   * ETA at this fit's pace: steps left × seconds per step) or the time budget (the ETA its remaining seconds,
   * the bar elapsed / budget, and no step total, which the budget does not fix).
   */
  private showProgress(info: StepInfo, epochLength: number | undefined): void {
    if (!this.progress) return;
    const { st, options: o, window } = this;
    const seconds = (this.now() - this.start) / 1000;
    const total = totalSteps(o, st, epochLength);
    const stepsEta =
      total !== undefined && this.fitSteps > 0 ? ((total - st.step) * seconds) / this.fitSteps : undefined;
    const budgetLeft = o.timeBudget !== undefined ? Math.max(0, o.timeBudget - seconds) : undefined;
    const byBudget = budgetLeft !== undefined && (stepsEta === undefined || budgetLeft < stepsEta);
    this.progress.update({
      step: st.step,
      ...(byBudget
        ? { fraction: Math.min(1, seconds / o.timeBudget!), etaSeconds: budgetLeft }
        : { totalSteps: total, etaSeconds: stepsEta }),
      epoch: info.epoch,
      epochs: o.epochs,
      loss: window.steps > 0 ? window.loss / window.steps : info.loss,
      lr: info.lr,
      tokensPerSecond: seconds > 0 ? this.fitTokens / seconds : 0,
    });
  }

  private async log(record: TrainerLogRecord): Promise<void> {
    if (this.options.log) await this.options.log(record);
  }

  /** The position and time every log record carries (and the elapsed time it brings up to date). */
  private stamp(): { step: number; epoch: number; elapsed: number; time: string } {
    const st = this.st;
    return {
      step: st.step,
      epoch: st.epoch,
      elapsed: (st.elapsedSeconds = this.elapsed()),
      time: new Date().toISOString(),
    };
  }

  private emptyWindow(): LogWindow {
    return { loss: 0, tokens: 0, examples: 0, steps: 0, start: this.now(), lr: 0 };
  }
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
