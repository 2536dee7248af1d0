/**
 * General (bilinear) scores (Luong et al. 2015, "general"):   score(q, k) = qᵀ W k
 * W [dq, dk] is `W.weight` of a Linear(dk, dq, bias=false), as in the PyTorch formulation h_t · (W h_s). Lets
 * query and keys live in different spaces, at the cost of dq·dk parameters. W k is the prepared key (once per
 * set of keys), so a decoder step costs one [dq]·[dq, Tk] product.
 */
import { Linear } from '../nn/linear.js';
import { matmul } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Attention, type AttentionOptions } from './attention.js';

export class GeneralAttention extends Attention {
  readonly W: Linear;

  constructor(queryDim: number, keyDim: number = queryDim, options: AttentionOptions = {}) {
    super(queryDim, keyDim, options);
    this.W = this.registerModule(
      'W',
      new Linear(keyDim, queryDim, { bias: false, generator: options.generator }),
    );
  }

  /** W k: [B, Tk, dk] → [B, Tk, dq]. */
  override prepareKeys(keys: Tensor): Tensor {
    return this.W.forward(keys);
  }

  scorePrepared(query: Tensor, projectedKeys: Tensor): Tensor {
    return matmul(query, projectedKeys, { transB: true });
  }
}

/** Another name for the same mechanism. */
export const BilinearAttention = GeneralAttention;
