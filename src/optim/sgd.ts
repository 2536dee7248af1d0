/**
 * Stochastic gradient descent with momentum, as `torch.optim.SGD`. For each parameter p with gradient g:
 *
 * ```
 * g ← g + weightDecay · p                       (L2 penalty, when weightDecay ≠ 0)
 * b ← g on the first step, else momentum · b + (1 − dampening) · g     (when momentum ≠ 0)
 * g ← g + momentum · b if nesterov, else b
 * p ← p − lr · g
 * ```
 *
 * (`maximize` negates the gradient first.) Arithmetic is float64 per element; the buffer and the parameter are
 * stored as float32, and the stored buffer is what the update reads, as in PyTorch.
 */
import { fail } from '../tensor/errors.js';
import {
  Optimizer,
  checkBoolean,
  checkNonNegative,
  loadBuffer,
  type OptimizerOptions,
  type ParamStateEntry,
  type ParamsInput,
} from './optimizer.js';

export interface SGDOptions extends OptimizerOptions {
  /** Learning rate (required, as in PyTorch). */
  lr: number;
  /** Momentum factor; 0 (the default) is plain SGD. */
  momentum: number;
  /** Dampening of the gradient's contribution to the momentum buffer; default 0. */
  dampening: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0. */
  nesterov: boolean;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay: number;
  /** Maximise the objective instead of minimising it; default false. */
  maximize: boolean;
}

interface SGDState {
  momentumBuffer: Float32Array;
}

export class SGD extends Optimizer<SGDOptions, SGDState> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    if (typeof options !== 'object' || options === null || options.lr === undefined) {
      fail('SGD', 'option lr is required');
    }
    super('SGD', params, {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      nesterov: options.nesterov ?? false,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(o: SGDOptions, where: string): void {
    checkNonNegative('SGD', 'lr', o.lr, where);
    checkNonNegative('SGD', 'momentum', o.momentum, where);
    if (typeof o.dampening !== 'number' || !Number.isFinite(o.dampening)) {
      fail('SGD', `${where}invalid dampening: must be a finite number, got ${String(o.dampening)}`);
    }
    checkNonNegative('SGD', 'weightDecay', o.weightDecay, where);
    checkBoolean('SGD', 'nesterov', o.nesterov, where);
    checkBoolean('SGD', 'maximize', o.maximize, where);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      fail('SGD', `${where}nesterov momentum requires momentum > 0 and dampening 0`);
    }
  }

  protected update(p: Float32Array, g: Float32Array, index: number, o: SGDOptions): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = o;
    const sign = o.maximize ? -1 : 1;
    const n = p.length;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) {
        const d = weightDecay !== 0 ? sign * g[i]! + weightDecay * p[i]! : sign * g[i]!;
        p[i] = p[i]! - lr * d;
      }
      return;
    }
    let state = this.state[index];
    const first = state === undefined;
    if (state === undefined) {
      state = { momentumBuffer: new Float32Array(n) };
      this.state[index] = state;
    }
    const buf = state.momentumBuffer;
    const keep = 1 - dampening;
    for (let i = 0; i < n; i++) {
      const d = weightDecay !== 0 ? sign * g[i]! + weightDecay * p[i]! : sign * g[i]!;
      buf[i] = first ? d : momentum * buf[i]! + keep * d;
      p[i] = p[i]! - lr * (nesterov ? d + momentum * buf[i]! : buf[i]!);
    }
  }

  protected saveState(s: SGDState): ParamStateEntry {
    return { momentum_buffer: s.momentumBuffer.slice() };
  }

  protected loadState(entry: ParamStateEntry, size: number, where: string): SGDState | undefined {
    // PyTorch saves momentum_buffer: None for parameters that never had momentum.
    if (entry.momentum_buffer == null) return undefined;
    return { momentumBuffer: loadBuffer(entry, 'momentum_buffer', size, where) };
  }
}
