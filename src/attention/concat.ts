/**
 * Concat scores (Luong et al. 2015, "concat"):   score(q, k) = vᵀ tanh(W [q; k])
 * W: Linear(dq + dk, units) with bias, v: Linear(units, 1, bias=false). W [q; k] is computed as W_q q + W_k k
 * with W split by columns, so the [Tq·Tk, dq + dk] concatenation is never built. The key half W_k k + b is the
 * prepared key (once per set of keys); the query half W_q is sliced out of W once per run (`prepareWeights`).
 */
import { Linear } from '../nn/linear.js';
import { fail } from '../tensor/errors.js';
import { add, matmul, slice, squeeze, tanh, unsqueeze } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Attention, type AttentionOptions } from './attention.js';

export class ConcatAttention extends Attention {
  readonly W: Linear;
  readonly v: Linear;

  constructor(
    queryDim: number,
    keyDim: number = queryDim,
    units: number = queryDim,
    options: AttentionOptions = {},
  ) {
    super(queryDim, keyDim, options);
    if (!Number.isInteger(units) || units <= 0)
      fail('ConcatAttention', `units must be a positive integer, got ${units}`);
    this.W = this.registerModule('W', new Linear(queryDim + keyDim, units, { generator: options.generator }));
    this.v = this.registerModule('v', new Linear(units, 1, { bias: false, generator: options.generator }));
  }

  /** W_k k + b: [B, Tk, dk] → [B, Tk, units]. */
  override prepareKeys(keys: Tensor): Tensor {
    const fromKeys = matmul(keys, slice(this.W.weight, 1, this.queryDim), { transB: true });
    return this.W.bias ? add(fromKeys, this.W.bias) : fromKeys;
  }

  /** [W_q]: the query half of W, [units, dq]. */
  override prepareWeights(): readonly Tensor[] {
    return [slice(this.W.weight, 1, 0, this.queryDim)];
  }

  scorePrepared(query: Tensor, preparedKeys: Tensor, weights = this.prepareWeights()): Tensor {
    const wq = weights[0];
    if (!wq) fail('ConcatAttention', 'scoreWeights must be what prepareWeights() returns: [W_q]');
    const fromQuery = matmul(query, wq, { transB: true });
    const hidden = tanh(add(unsqueeze(fromQuery, 2), unsqueeze(preparedKeys, 1)));
    return squeeze(this.v.forward(hidden), -1);
  }
}
