/**
 * Early stopping: stop when a metric has not improved for `patience` evaluations in a row. An improvement is a
 * value below best − minDelta ('min', e.g. loss) or above best + minDelta ('max', e.g. BLEU).
 */
import { fail } from '../tensor/errors.js';

export interface EarlyStoppingOptions {
  /** The evaluation metric to watch, e.g. 'loss' or 'bleu'. */
  metric: string;
  /** 'min' when lower is better (loss), 'max' when higher is better (accuracy, BLEU). */
  mode: 'min' | 'max';
  /** Evaluations without improvement before stopping (an integer >= 1). */
  patience: number;
  /** The smallest change that counts as an improvement; default 0. */
  minDelta?: number;
}

/** The part of the trainer's state early stopping reads and updates. */
export interface EarlyStoppingState {
  bestValue: number | null;
  bestStep: number;
  badEvaluations: number;
}

export function checkEarlyStopping(options: EarlyStoppingOptions): void {
  const op = 'Trainer';
  if (typeof options !== 'object' || options === null) fail(op, 'earlyStopping must be an object');
  if (typeof options.metric !== 'string' || options.metric === '') {
    fail(op, 'earlyStopping.metric must name an evaluation metric');
  }
  if (options.mode !== 'min' && options.mode !== 'max') {
    fail(op, `earlyStopping.mode must be 'min' or 'max', got ${String(options.mode)}`);
  }
  if (!Number.isInteger(options.patience) || options.patience < 1) {
    fail(op, `earlyStopping.patience must be an integer >= 1, got ${String(options.patience)}`);
  }
  const delta = options.minDelta ?? 0;
  if (typeof delta !== 'number' || !Number.isFinite(delta) || delta < 0) {
    fail(op, `earlyStopping.minDelta must be a finite number >= 0, got ${String(delta)}`);
  }
}

/**
 * Records one evaluation in `state` (in place) and says whether the metric improved and whether to stop. A
 * missing or NaN metric is an error: silently never improving would stop a run for the wrong reason.
 */
export function updateEarlyStopping(
  options: EarlyStoppingOptions,
  state: EarlyStoppingState,
  metrics: Record<string, number>,
  step: number,
): { improved: boolean; stop: boolean } {
  const value = metrics[options.metric];
  if (typeof value !== 'number' || Number.isNaN(value)) {
    fail(
      'Trainer',
      `early stopping watches '${options.metric}', but the evaluation gave ${
        value === undefined ? `no such metric (it gave ${Object.keys(metrics).join(', ') || 'none'})` : value
      }`,
    );
  }
  const delta = options.minDelta ?? 0;
  const best = state.bestValue;
  const improved = best === null || (options.mode === 'min' ? value < best - delta : value > best + delta);
  if (improved) {
    state.bestValue = value;
    state.bestStep = step;
    state.badEvaluations = 0;
  } else {
    state.badEvaluations++;
  }
  return { improved, stop: state.badEvaluations >= options.patience };
}
