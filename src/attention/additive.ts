/**
 * Additive (Bahdanau, "MLP") scores (Bahdanau, Cho & Bengio 2015):
 *   score(q, k) = Vᵀ tanh(W1 k + W2 q)
 * W1: Linear(dk, units), W2: Linear(dq, units), V: Linear(units, 1), all with biases — the parameter names of the
 * classic PyTorch/TensorFlow tutorial (`W1.weight`, `W2.bias`, `V.weight`, ...). The decoder's previous hidden
 * state is the query. W1 k + b1 is the prepared key (once per source sentence, reused at every decoder step).
 * Costs a [B, Tq, Tk, units] intermediate, so it suits one decoder step at a time.
 */
import { Linear } from '../nn/linear.js';
import { fail } from '../tensor/errors.js';
import { add, squeeze, tanh, unsqueeze } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Attention, type AttentionOptions } from './attention.js';

export class AdditiveAttention extends Attention {
  readonly W1: Linear;
  readonly W2: Linear;
  readonly V: Linear;

  constructor(queryDim: number, keyDim: number, units: number, options: AttentionOptions = {}) {
    super(queryDim, keyDim, options);
    if (!Number.isInteger(units) || units <= 0)
      fail('AdditiveAttention', `units must be a positive integer, got ${units}`);
    const generator = options.generator;
    this.W1 = this.registerModule('W1', new Linear(keyDim, units, { generator }));
    this.W2 = this.registerModule('W2', new Linear(queryDim, units, { generator }));
    this.V = this.registerModule('V', new Linear(units, 1, { generator }));
  }

  /** W1 k + b1: [B, Tk, dk] → [B, Tk, units]. */
  override prepareKeys(keys: Tensor): Tensor {
    return this.W1.forward(keys);
  }

  /** Scores from keys projected by W1: [B, Tq, dq] × [B, Tk, units] → [B, Tq, Tk]. */
  scorePrepared(query: Tensor, projectedKeys: Tensor): Tensor {
    const hidden = tanh(add(unsqueeze(projectedKeys, 1), unsqueeze(this.W2.forward(query), 2)));
    return squeeze(this.V.forward(hidden), -1);
  }
}

/** The same mechanism under its inventor's name. */
export const BahdanauAttention = AdditiveAttention;
