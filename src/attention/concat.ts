/**
 * Concat scores (Luong et al. 2015, "concat"):   score(q, k) = vᵀ tanh(W [q; k])
 * W: Linear(dq + dk, units) with bias, v: Linear(units, 1, bias=false). W [q; k] is computed as W_q q + W_k k
 * with W split by columns, so the [Tq·Tk, dq + dk] concatenation is never built.
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

  score(query: Tensor, keys: Tensor): Tensor {
    const dq = this.queryDim;
    const fromQuery = matmul(query, slice(this.W.weight, 1, 0, dq), { transB: true });
    const fromKeys = matmul(keys, slice(this.W.weight, 1, dq), { transB: true });
    let hidden = add(unsqueeze(fromQuery, 2), unsqueeze(fromKeys, 1));
    if (this.W.bias) hidden = add(hidden, this.W.bias);
    return squeeze(this.v.forward(tanh(hidden)), -1);
  }
}
