/**
 * What TransformerEncoderLayer and TransformerDecoderLayer share: their resolved options, their attention
 * blocks' construction, and the feed-forward block both end with,
 *
 *   ff(x) = outputDropout(linear2(dropout(activation(linear1(x)))))
 *
 * (dropout2 in the encoder layer, dropout3 in the decoder layer). Each layer creates and registers its modules
 * itself, in torch's state-dict order, and keeps its own forward.
 */
import { MultiHeadAttention } from '../../attention/multihead.js';
import type { Dropout } from '../../nn/dropout.js';
import type { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { linear } from '../../tensor/ops/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { activationFunction, type ResolvedLayerOptions, type TransformerActivation } from './common.js';

export abstract class TransformerLayerBase extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly dimFeedforward: number;
  readonly activation: TransformerActivation;
  readonly layerNormEps: number;
  readonly batchFirst: boolean;
  readonly normFirst: boolean;
  abstract readonly linear1: Linear;
  /** Dropout between the two feed-forward projections. */
  abstract readonly dropout: Dropout;
  abstract readonly linear2: Linear;
  private readonly activationFn: (x: Tensor) => Tensor;

  protected constructor(o: ResolvedLayerOptions) {
    super();
    this.dModel = o.dModel;
    this.nhead = o.nhead;
    this.dimFeedforward = o.dimFeedforward;
    this.activation = o.activation;
    this.activationFn = activationFunction(o.activation);
    this.layerNormEps = o.layerNormEps;
    this.batchFirst = o.batchFirst;
    this.normFirst = o.normFirst;
  }

  /**
   * A new attention block of the layer: dModel wide, nhead heads, with the layer's dropout and layout, and for
   * self-attention the layer's positions (cross-attention takes none).
   */
  protected newAttention(o: ResolvedLayerOptions, self = true): MultiHeadAttention {
    return new MultiHeadAttention({
      embedDim: o.dModel,
      numHeads: o.nhead,
      dropout: o.dropout,
      batchFirst: o.batchFirst,
      generator: o.generator,
      ...(self && o.positions !== 'none'
        ? { positions: o.positions, maxRelativeDistance: o.maxRelativeDistance }
        : {}),
      // Only a non-softmax normaliser is passed on: a softmax layer is built exactly as before.
      ...(o.normalizer === 'softmax' ? {} : { normalizer: o.normalizer, alpha: o.alpha }),
    });
  }

  /** ff(x) above, `outputDropout` being the layer's dropout on the feed-forward output. */
  protected feedForward(x: Tensor, outputDropout: Dropout): Tensor {
    // ReLU is applied in place on linear1's product (one pass, no second 4·dModel-wide activation).
    const projected =
      this.activation === 'relu'
        ? linear(x, this.linear1.weight, this.linear1.bias, { activation: 'relu' })
        : this.activationFn(this.linear1.forward(x));
    const hidden = this.dropout.forward(projected);
    return outputDropout.forward(this.linear2.forward(hidden));
  }
}
