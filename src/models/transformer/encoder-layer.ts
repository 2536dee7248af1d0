/**
 * One Transformer encoder layer, as torch.nn.TransformerEncoderLayer (PyTorch 1.13): self-attention and a
 * feed-forward block, each with dropout, a residual connection and a LayerNorm.
 *
 *   sa(x) = dropout1(self_attn(x, x, x))
 *   ff(x) = dropout2(linear2(dropout(activation(linear1(x)))))
 *   post-norm (default):  x = norm1(x + sa(x));  x = norm2(x + ff(x))
 *   pre-norm (normFirst): x = x + sa(norm1(x));  x = x + ff(norm2(x))
 *
 * Shapes (E = dModel, T = length, B = batch, H = nhead): src [T, B, E], or [B, T, E] with batchFirst, or
 * unbatched [T, E]; the output has src's shape. Self-attention weights per head: [B, H, T, T] ([H, T, T]
 * unbatched), after attention dropout (as torch's MultiheadAttention returns them).
 *
 * Masks as torch: srcMask bool [T, T] or [B·H, T, T] (true = may not attend) or additive float;
 * srcKeyPaddingMask bool [B, T] (true = padding, ignored as a key). A query whose keys are all masked gets zero
 * attention rather than NaN.
 *
 * Parameters, in torch's state-dict order: self_attn.in_proj_weight [3E, E], self_attn.in_proj_bias [3E],
 * self_attn.out_proj.weight [E, E], self_attn.out_proj.bias [E], linear1.weight [F, E], linear1.bias [F],
 * linear2.weight [E, F], linear2.bias [E], norm1.weight, norm1.bias, norm2.weight, norm2.bias [E]
 * (F = dimFeedforward). Dropout is active in training mode only: call eval() for inference.
 */
import { MultiHeadAttention } from '../../attention/multihead.js';
import { Dropout } from '../../nn/dropout.js';
import { LayerNorm } from '../../nn/layer-norm.js';
import { Linear } from '../../nn/linear.js';
import { add } from '../../tensor/ops/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkSequence, resolveLayerOptions, type TransformerLayerOptions } from './common.js';
import { TransformerLayerBase } from './layer-base.js';

const OP = 'TransformerEncoderLayer';

export type TransformerEncoderLayerOptions = TransformerLayerOptions;

export interface TransformerEncoderLayerForwardOptions {
  /** Bool (true = may not attend) or additive float mask, [T, T] or [B·H, T, T]. */
  srcMask?: Tensor | null;
  /** Bool [B, T] ([T] unbatched): true marks padding positions, ignored as keys. */
  srcKeyPaddingMask?: Tensor | null;
  /** Also mask key j for query i when j > i (combined with srcMask). */
  isCausal?: boolean;
}

export interface TransformerEncoderLayerResult {
  /** Same shape as src. */
  output: Tensor;
  /** Self-attention weights per head, [B, H, T, T] ([H, T, T] unbatched). */
  weights: Tensor;
}

export class TransformerEncoderLayer extends TransformerLayerBase {
  readonly selfAttn: MultiHeadAttention;
  readonly linear1: Linear;
  /** Dropout between the two feed-forward projections. */
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  /** Dropout on the self-attention output. */
  readonly dropout1: Dropout;
  /** Dropout on the feed-forward output. */
  readonly dropout2: Dropout;

  constructor(options: TransformerEncoderLayerOptions) {
    const o = resolveLayerOptions(OP, options);
    super(o);
    const { generator } = o;
    // Registered in torch's order, so that namedParameters() lists them as torch's state_dict does.
    this.selfAttn = this.registerModule('self_attn', this.newAttention(o));
    this.linear1 = this.registerModule('linear1', new Linear(o.dModel, o.dimFeedforward, { generator }));
    this.dropout = this.registerModule('dropout', new Dropout(o.dropout, generator));
    this.linear2 = this.registerModule('linear2', new Linear(o.dimFeedforward, o.dModel, { generator }));
    this.norm1 = this.registerModule('norm1', new LayerNorm(o.dModel, { eps: o.layerNormEps }));
    this.norm2 = this.registerModule('norm2', new LayerNorm(o.dModel, { eps: o.layerNormEps }));
    this.dropout1 = this.registerModule('dropout1', new Dropout(o.dropout, generator));
    this.dropout2 = this.registerModule('dropout2', new Dropout(o.dropout, generator));
  }

  /** The layer's output, with src's shape. */
  forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    return this.run(src, options, false).output;
  }

  /** The output and the self-attention weights of every head (for pictures of what the layer attends to). */
  forwardWithWeights(
    src: Tensor,
    options: TransformerEncoderLayerForwardOptions = {},
  ): TransformerEncoderLayerResult {
    const { output, weights } = this.run(src, options, true);
    return { output, weights: weights! };
  }

  private run(
    src: Tensor,
    options: TransformerEncoderLayerForwardOptions,
    needWeights: boolean,
  ): { output: Tensor; weights: Tensor | null } {
    checkSequence(OP, 'src', src, this.dModel, this.batchFirst);
    let weights: Tensor | null = null;
    const selfAttention = (x: Tensor): Tensor => {
      const result = this.selfAttn.forward(x, x, x, {
        attnMask: options.srcMask ?? null,
        keyPaddingMask: options.srcKeyPaddingMask ?? null,
        isCausal: options.isCausal ?? false,
        needWeights,
        averageAttnWeights: false,
      });
      weights = result.weights;
      return this.dropout1.forward(result.output);
    };
    let x = src;
    if (this.normFirst) {
      x = add(x, selfAttention(this.norm1.forward(x)));
      x = add(x, this.feedForward(this.norm2.forward(x), this.dropout2));
    } else {
      x = this.norm1.forward(add(x, selfAttention(x)));
      x = this.norm2.forward(add(x, this.feedForward(x, this.dropout2)));
    }
    return { output: x, weights };
  }
}
