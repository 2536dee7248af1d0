/**
 * Location-based scores (Luong et al. 2015, "location"), the third score beside dot/general/concat: the weights
 * come from the query (the decoder state) alone, one score per source position,
 *
 *   a_t = softmax(W_a h_t),   W_a [N, dq],  N = maxSourceLength
 *
 * so the layer covers sources of at most N positions: for Tk keys the scores are the first Tk entries of W_a h_t
 * (positions j ≥ Tk do not exist in this batch and are dropped), padding keys are masked as for every score, and
 * more than N keys is an error naming both lengths. The keys themselves are never read, only their count; the
 * values are mixed as usual (c_t = Σ_j a_tj v_j). W_a is `W.weight` of a Linear(dq, N, bias=false), as the
 * paper's formula has no bias. The normaliser (softmax in the paper) and local windows work as for any score.
 */
import { Linear } from '../nn/linear.js';
import { fail, requirePositiveIntegers } from '../tensor/errors.js';
import { slice } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Attention, type AttentionOptions } from './attention.js';

export class LocationAttention extends Attention {
  readonly W: Linear;

  constructor(
    queryDim: number,
    keyDim: number,
    readonly maxSourceLength: number,
    options: AttentionOptions = {},
  ) {
    super(queryDim, keyDim, options);
    requirePositiveIntegers('LocationAttention', { maxSourceLength });
    this.W = this.registerModule(
      'W',
      new Linear(queryDim, maxSourceLength, { bias: false, generator: options.generator }),
    );
  }

  /** e_tj = (W_a h_t)_j for j < Tk: [B, Tq, dq] → [B, Tq, Tk]. */
  scorePrepared(query: Tensor, keys: Tensor): Tensor {
    const tk = keys.shape[1]!;
    if (tk > this.maxSourceLength)
      fail(
        'LocationAttention',
        `the source has ${tk} positions, more than maxSourceLength ${this.maxSourceLength} (the positions W_a scores)`,
      );
    const scores = this.W.forward(query);
    return tk === this.maxSourceLength ? scores : slice(scores, 2, 0, tk);
  }
}
