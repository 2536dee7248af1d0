/**
 * Attention pooling with a learned query (Yang et al. 2016, "Hierarchical Attention Networks"): a weighted mean
 * of a sequence's vectors, the weights scored by an additive (Bahdanau) attention whose query is a learned
 * vector rather than a decoder state:
 *
 *   score_j = vᵀ tanh(W h_j + b)        (the learned query folded into b: AdditiveAttention with a fixed query)
 *   α = softmax(score) over the tokens that are not padding (α_j = 0 at padding; or another normaliser)
 *   pooled = Σ_j α_j h_j
 *
 * Shapes: h [B, T, D], paddingMask bool [B, T] (true = padding) → pooled [B, D], weights [B, T]. A sequence with
 * no token left gets zero weights and a zero vector.
 *
 * Parameters: `W.weight` [units, D], `W.bias` [units], `v.weight` [1, units] (no bias: it would shift every score
 * alike). The single learned query attends through pipeline.ts's `attend`, as every attention layer does.
 */
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { fail, requirePositiveIntegers } from '../tensor/errors.js';
import { reshape, squeeze, tanh } from '../tensor/ops/index.js';
import type { Generator } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkNormalizer, type Normalizer } from './normalizers.js';
import { attend } from './pipeline.js';

const OP = 'AttentionPooling';

export interface AttentionPoolingResult {
  /** [B, D]. */
  pooled: Tensor;
  /** [B, T]: each row sums to 1 over its tokens, 0 at padding. */
  weights: Tensor;
}

export interface AttentionPoolingOptions {
  generator?: Generator;
  /** How the scores become weights (default 'softmax'; see normalizers.ts). */
  normalizer?: Normalizer;
  /** α > 1 of the 'entmax' normaliser (default 1.5). */
  alpha?: number;
}

export class AttentionPooling extends Module {
  readonly W: Linear;
  readonly v: Linear;
  readonly normalizer: Normalizer;
  private readonly alpha: number | undefined;
  private readonly generator: Generator | undefined;

  constructor(
    readonly inputDim: number,
    readonly units: number = inputDim,
    options: AttentionPoolingOptions = {},
  ) {
    super();
    requirePositiveIntegers(OP, { inputDim, units });
    this.normalizer = options.normalizer ?? 'softmax';
    checkNormalizer(OP, this.normalizer, options.alpha);
    this.alpha = options.alpha;
    this.generator = options.generator;
    this.W = this.registerModule('W', new Linear(inputDim, units, { generator: options.generator }));
    this.v = this.registerModule('v', new Linear(units, 1, { bias: false, generator: options.generator }));
  }

  forward(h: Tensor, paddingMask: Tensor | null = null): AttentionPoolingResult {
    if (!(h instanceof Tensor) || h.dtype !== 'float32' || h.ndim !== 3 || h.shape[2] !== this.inputDim)
      fail(
        OP,
        `input must be float32 [B, T, ${this.inputDim}], got ${h instanceof Tensor ? `${h.dtype} ${formatShape(h.shape)}` : String(h)}`,
      );
    const [b, t] = h.shape as [number, number];
    if (
      paddingMask &&
      !(
        paddingMask instanceof Tensor &&
        paddingMask.dtype === 'bool' &&
        paddingMask.ndim === 2 &&
        paddingMask.shape[0] === b &&
        paddingMask.shape[1] === t
      )
    )
      fail(
        OP,
        `paddingMask must be bool [${b}, ${t}], got ${paddingMask instanceof Tensor ? `${paddingMask.dtype} ${formatShape(paddingMask.shape)}` : String(paddingMask)}`,
      );
    // One query per sequence: scores [B, 1, T].
    const scores = reshape(squeeze(this.v.forward(tanh(this.W.forward(h))), -1), [b, 1, t]);
    const { context, weights } = attend(scores, h, {
      keyPaddingMask: paddingMask,
      normalizer: this.normalizer,
      normalize: { alpha: this.alpha, generator: this.generator, training: this.training },
    });
    return { pooled: reshape(context, [b, this.inputDim]), weights: reshape(weights, [b, t]) };
  }
}
