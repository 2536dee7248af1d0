/**
 * A stack of Transformer encoder layers with an optional final LayerNorm, as torch.nn.TransformerEncoder:
 * each layer's output feeds the next, with the same masks, then `norm` (if any).
 *
 * Shapes as TransformerEncoderLayer: src [T, B, E] ([B, T, E] with batchFirst, [T, E] unbatched) → the same
 * shape. Per-layer weights: one [B, H, T, T] tensor per layer.
 *
 * Parameter names as torch: `layers.0.self_attn.in_proj_weight`, …, `layers.{N-1}.norm2.bias`, then
 * `norm.weight` and `norm.bias` when there is a final norm.
 *
 * Unlike torch, which deep-copies one layer (so every layer starts with the same weights), each layer here is
 * built afresh from the options (or by the factory), drawing its own initial weights.
 */
import type { LayerNorm } from '../../nn/layer-norm.js';
import type { Tensor } from '../../tensor/tensor.js';
import { TransformerEncoderLayer, type TransformerEncoderLayerOptions } from './encoder-layer.js';
import { LayerStack } from './layer-stack.js';

const OP = 'TransformerEncoder';

export interface TransformerEncoderOptions {
  /**
   * Final LayerNorm: `true` builds LayerNorm(dModel) with the layers' eps (what torch.nn.Transformer uses,
   * and what pre-norm stacks need); a LayerNorm is used as given; false or null (default) means none.
   */
  norm?: LayerNorm | boolean | null;
}

export interface TransformerEncoderForwardOptions {
  /** Bool (true = may not attend) or additive float mask, [T, T] or [B·H, T, T], given to every layer. */
  mask?: Tensor | null;
  /** Bool [B, T]: true marks padding positions, ignored as keys. */
  srcKeyPaddingMask?: Tensor | null;
  /** Every layer also masks key j for query i when j > i. */
  isCausal?: boolean;
}

export interface TransformerEncoderResult {
  output: Tensor;
  /** Self-attention weights per layer, each [B, H, T, T] ([H, T, T] unbatched). */
  weights: Tensor[];
}

export class TransformerEncoder extends LayerStack<TransformerEncoderLayer, TransformerEncoderLayerOptions> {
  /**
   * @param layer the options of every layer, or a factory called with each index 0 … numLayers − 1
   * @param numLayers number of layers
   */
  constructor(
    layer: TransformerEncoderLayerOptions | ((index: number) => TransformerEncoderLayer),
    numLayers: number,
    options: TransformerEncoderOptions = {},
  ) {
    super(OP, TransformerEncoderLayer, layer, numLayers, options.norm);
  }

  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    let x = src;
    for (const layer of this.layers) x = layer.forward(x, layerOptions(options));
    return this.finalOutput(x);
  }

  /** The output and every layer's self-attention weights per head. */
  forwardWithWeights(src: Tensor, options: TransformerEncoderForwardOptions = {}): TransformerEncoderResult {
    let x = src;
    const weights: Tensor[] = [];
    for (const layer of this.layers) {
      const result = layer.forwardWithWeights(x, layerOptions(options));
      x = result.output;
      weights.push(result.weights);
    }
    return { output: this.finalOutput(x), weights };
  }
}

function layerOptions(options: TransformerEncoderForwardOptions) {
  return {
    srcMask: options.mask ?? null,
    srcKeyPaddingMask: options.srcKeyPaddingMask ?? null,
    isCausal: options.isCausal ?? false,
  };
}
