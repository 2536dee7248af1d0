/**
 * Adam (Kingma & Ba, 2015), as PyTorch 1.13's single-tensor `torch.optim.Adam`. For each parameter p with
 * gradient g, at its t-th update (t counts from 1, per parameter):
 *
 * ```
 * g ← g + weightDecay · p                       (L2 penalty, Adam only; AdamW decays p instead, see adamw.ts)
 * m ← β1 · m + (1 − β1) · g
 * v ← β2 · v + (1 − β2) · g²
 * v̂ ← max(v̂, v) with amsgrad, else v
 * p ← p − (lr / (1 − β1^t)) · m / (√v̂ / √(1 − β2^t) + ε)
 * ```
 *
 * (`maximize` negates the gradient first.) Arithmetic is float32, one rounding per operation in PyTorch's order;
 * m, v, v̂ and p are stored as float32, and the stored moments are what the update reads, as in PyTorch.
 */
import { getBackend } from '../backend/registry.js';
import { fail } from '../tensor/errors.js';
import {
  Optimizer,
  checkBoolean,
  checkNonNegative,
  loadBuffer,
  loadStep,
  type OptimizerOptions,
  type ParamStateEntry,
  type ParamsInput,
} from './optimizer.js';

export interface AdamOptions extends OptimizerOptions {
  /** Learning rate; default 1e-3. */
  lr: number;
  /** Decay rates of the first and second moment averages; default [0.9, 0.999]. */
  betas: readonly [number, number];
  /** Added to the denominator for stability; default 1e-8. */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay rate (default 1e-2). */
  weightDecay: number;
  /** Use the maximum of past second moments (Reddi et al., 2018); default false. */
  amsgrad: boolean;
  /** Maximise the objective instead of minimising it; default false. */
  maximize: boolean;
}

interface AdamState {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
  maxExpAvgSq: Float32Array | null;
}

/** Adam and AdamW: they differ only in how weight decay is applied. */
export abstract class AdamBase extends Optimizer<AdamOptions, AdamState> {
  protected constructor(
    name: string,
    params: ParamsInput<AdamOptions>,
    options: Partial<AdamOptions>,
    defaultWeightDecay: number,
    /** Decay the parameter (AdamW) instead of adding the L2 gradient (Adam). */
    private readonly decoupled: boolean,
  ) {
    if (typeof options !== 'object' || options === null) fail(name, 'options must be an object');
    super(name, params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? defaultWeightDecay,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(o: AdamOptions, where: string): void {
    checkNonNegative(this.name, 'lr', o.lr, where);
    checkNonNegative(this.name, 'eps', o.eps, where);
    checkNonNegative(this.name, 'weightDecay', o.weightDecay, where);
    checkBoolean(this.name, 'amsgrad', o.amsgrad, where);
    checkBoolean(this.name, 'maximize', o.maximize, where);
    if (!Array.isArray(o.betas) || o.betas.length !== 2) {
      fail(this.name, `${where}invalid betas: must be a pair [beta1, beta2], got ${String(o.betas)}`);
    }
    o.betas.forEach((beta, i) => {
      if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) {
        fail(this.name, `${where}invalid betas[${i}]: must be in [0, 1), got ${String(beta)}`);
      }
    });
  }

  protected update(p: Float32Array, g: Float32Array, index: number, o: AdamOptions): void {
    const n = p.length;
    const { lr, eps, weightDecay } = o;
    const [beta1, beta2] = o.betas;
    let state = this.state[index];
    if (state === undefined) {
      state = { step: 0, expAvg: new Float32Array(n), expAvgSq: new Float32Array(n), maxExpAvgSq: null };
      this.state[index] = state;
    }
    if (o.amsgrad && state.maxExpAvgSq === null) state.maxExpAvgSq = new Float32Array(n);
    const step = ++state.step;
    const { expAvg: m, expAvgSq: v } = state;
    const vMax = o.amsgrad ? state.maxExpAvgSq : null;
    const stepSize = lr / (1 - beta1 ** step);
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
    // One fused kernel per parameter (native: threaded, same bits as the JavaScript reference).
    getBackend().adam({
      p,
      g,
      m,
      v,
      vMax,
      beta1,
      beta2,
      stepSize,
      biasCorrection2Sqrt,
      eps,
      l2: this.decoupled ? 0 : weightDecay,
      decay: this.decoupled ? 1 - lr * weightDecay : 1,
      sign: o.maximize ? -1 : 1,
    });
  }

  protected saveState(s: AdamState): ParamStateEntry {
    const entry: ParamStateEntry = {
      step: s.step,
      exp_avg: s.expAvg.slice(),
      exp_avg_sq: s.expAvgSq.slice(),
    };
    if (s.maxExpAvgSq !== null) entry.max_exp_avg_sq = s.maxExpAvgSq.slice();
    return entry;
  }

  protected loadState(entry: ParamStateEntry, size: number, where: string): AdamState {
    return {
      step: loadStep(entry, where),
      expAvg: loadBuffer(entry, 'exp_avg', size, where),
      expAvgSq: loadBuffer(entry, 'exp_avg_sq', size, where),
      maxExpAvgSq: entry.max_exp_avg_sq == null ? null : loadBuffer(entry, 'max_exp_avg_sq', size, where),
    };
  }
}

/** Adam with L2 weight decay added to the gradient (`new Adam(model.parameters(), { lr: 1e-3 })`). */
export class Adam extends AdamBase {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('Adam', params, options, 0, false);
  }
}
