/**
 * Learning-rate schedules. A `Schedule` maps the number t of the update about to be made (1 for the first update,
 * the same count as Adam's step) to a multiplier of the base learning rate; `LRScheduler` applies one to an
 * optimiser, setting each group's `lr = baseLr · schedule(t)` before update t.
 */
import { fail } from '../tensor/errors.js';
import type { Optimizer, OptimizerOptions } from './optimizer.js';

/** Update number t (1, 2, ...) → learning-rate multiplier. */
export type Schedule = (step: number) => number;

/** The base learning rate throughout: m(t) = 1. */
export function constant(): Schedule {
  return () => 1;
}

/**
 * Linear warm-up, then decay with the inverse square root of the step (Vaswani et al., 2017, §5.3):
 *
 * ```
 * m(t) = min(t / w, √(w / t))        w = warmupSteps
 * ```
 *
 * It rises linearly to 1 at t = w and decays as 1/√t after; both pieces equal 1 at t = w, so it is continuous.
 * The paper's `lrate = d_model^−0.5 · min(t^−0.5, t · w^−1.5)` is this multiplier with base learning rate
 * `1 / √(d_model · w)` (7.0e-4 for d_model = 512, w = 4000).
 */
export function warmupInverseSqrt(warmupSteps: number): Schedule {
  checkSteps('warmupInverseSqrt', 'warmupSteps', warmupSteps, 1);
  const w = warmupSteps;
  return (t) => (t <= 0 ? 0 : Math.min(t / w, Math.sqrt(w / t)));
}

/**
 * Linear warm-up, then a half cosine down to `minLrRatio` at `totalSteps`, constant after:
 *
 * ```
 * m(t) = t / w                                          for t ≤ w
 * m(t) = r + (1 − r) · ½ · (1 + cos(π · (t − w) / (T − w)))   for w < t ≤ T
 * m(t) = r                                              for t > T
 * ```
 *
 * with w = warmupSteps (0 for none), T = totalSteps and r = minLrRatio (default 0).
 */
export function cosineWithWarmup(warmupSteps: number, totalSteps: number, minLrRatio = 0): Schedule {
  const op = 'cosineWithWarmup';
  checkSteps(op, 'warmupSteps', warmupSteps, 0);
  checkSteps(op, 'totalSteps', totalSteps, 1);
  if (warmupSteps >= totalSteps) {
    fail(op, `warmupSteps (${warmupSteps}) must be less than totalSteps (${totalSteps})`);
  }
  if (typeof minLrRatio !== 'number' || !(minLrRatio >= 0 && minLrRatio <= 1)) {
    fail(op, `minLrRatio must be in [0, 1], got ${String(minLrRatio)}`);
  }
  const w = warmupSteps;
  const r = minLrRatio;
  return (t) => {
    if (t <= 0) return 0;
    if (t <= w) return t / w;
    const progress = Math.min(1, (t - w) / (totalSteps - w));
    return r + (1 - r) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

function checkSteps(op: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) fail(op, `${name} must be an integer >= ${min}, got ${value}`);
}

/** Serialisable state of an `LRScheduler`. */
export interface LRSchedulerState {
  /** Updates made so far (the next update is number step + 1). */
  step: number;
  /** Base learning rate of each parameter group. */
  baseLrs: number[];
}

/**
 * Sets the optimiser's learning rates from a schedule. Create it before the first update (it sets the rates for
 * update 1) and call `step()` after each `optimizer.step()`:
 *
 * ```ts
 * const sched = new LRScheduler(opt, warmupInverseSqrt(4000), { baseLr: 7e-4 });
 * for (...) { loss.backward(); opt.step(); opt.zeroGrad(); sched.step(); }
 * ```
 *
 * The base learning rates are the groups' rates at construction unless `baseLr` is given (one number for every
 * group, or one per group).
 */
export class LRScheduler {
  private readonly optimizer: Optimizer<OptimizerOptions>;
  private baseLrs: number[];
  private done = 0;

  constructor(
    optimizer: Optimizer<OptimizerOptions>,
    readonly schedule: Schedule,
    options: { baseLr?: number | readonly number[] } = {},
  ) {
    if (typeof schedule !== 'function') fail('LRScheduler', 'schedule must be a function of the step');
    this.optimizer = optimizer;
    const groups = optimizer.paramGroups.length;
    const base = options.baseLr ?? optimizer.paramGroups.map((g) => g.lr);
    this.baseLrs = typeof base === 'number' ? new Array<number>(groups).fill(base) : [...base];
    checkBaseLrs(this.baseLrs, groups);
    this.apply();
  }

  /** Updates made so far. */
  get stepCount(): number {
    return this.done;
  }

  /** The learning rate of the first group for the next update. */
  get lr(): number {
    return this.optimizer.paramGroups[0]!.lr;
  }

  /** Records one update and sets the learning rates for the next. */
  step(): void {
    this.done++;
    this.apply();
  }

  stateDict(): LRSchedulerState {
    return { step: this.done, baseLrs: [...this.baseLrs] };
  }

  /** Restores a saved state and sets the optimiser's learning rates from it. */
  loadStateDict(state: LRSchedulerState): void {
    if (typeof state !== 'object' || state === null || !Number.isInteger(state.step) || state.step < 0) {
      fail('LRScheduler.loadStateDict', 'expected { step: integer >= 0, baseLrs: number[] }');
    }
    const baseLrs = Array.isArray(state.baseLrs) ? [...state.baseLrs] : [];
    checkBaseLrs(baseLrs, this.optimizer.paramGroups.length, 'LRScheduler.loadStateDict');
    this.done = state.step;
    this.baseLrs = baseLrs;
    this.apply();
  }

  private apply(): void {
    const factor = this.schedule(this.done + 1);
    if (!Number.isFinite(factor) || factor < 0) {
      fail(
        'LRScheduler',
        `schedule gave ${factor} for step ${this.done + 1}; it must be a finite number >= 0`,
      );
    }
    this.optimizer.paramGroups.forEach((group, g) => {
      group.lr = this.baseLrs[g]! * factor;
    });
  }
}

function checkBaseLrs(baseLrs: number[], groups: number, op = 'LRScheduler'): void {
  if (baseLrs.length !== groups) {
    fail(op, `baseLr has ${baseLrs.length} values for ${groups} parameter groups`);
  }
  for (const lr of baseLrs) {
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      fail(op, `baseLr must be finite numbers >= 0, got ${String(lr)}`);
    }
  }
}
