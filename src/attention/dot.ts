/**
 * Dot-product scores (Luong et al. 2015, "dot"):          score(q, k) = qᵀk
 * Scaled dot-product scores (Vaswani et al. 2017):        score(q, k) = qᵀk / √d
 * No parameters (the keys are used as they are): query and keys must have the same size d. Reach for the scaled
 * form when d is large, where unscaled dot products grow like √d and saturate the softmax.
 */
import { fail } from '../tensor/errors.js';
import { matmul, mul } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Attention, type AttentionOptions } from './attention.js';

export class DotAttention extends Attention {
  constructor(dim: number, options: AttentionOptions = {}) {
    super(dim, dim, options);
  }

  scorePrepared(query: Tensor, keys: Tensor): Tensor {
    return matmul(query, keys, { transB: true });
  }
}

export class ScaledDotAttention extends Attention {
  readonly scale: number;

  constructor(dim: number, options: AttentionOptions & { scale?: number } = {}) {
    super(dim, dim, options);
    this.scale = options.scale ?? 1 / Math.sqrt(dim);
    if (!Number.isFinite(this.scale)) fail('ScaledDotAttention', `scale must be finite, got ${this.scale}`);
  }

  scorePrepared(query: Tensor, keys: Tensor): Tensor {
    return mul(matmul(query, keys, { transB: true }), this.scale);
  }
}
