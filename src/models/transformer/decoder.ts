/**
 * A stack of Transformer decoder layers with an optional final LayerNorm, as torch.nn.TransformerDecoder: each
 * layer's output feeds the next, all attending over the same memory with the same masks, then `norm` (if any).
 *
 * Shapes as TransformerDecoderLayer: tgt [T, B, E] and memory [S, B, E] ([B, T, E] and [B, S, E] with
 * batchFirst) → tgt's shape. Per-layer weights: self-attention [B, H, T, T], cross-attention [B, H, T, S].
 *
 * Parameter names as torch: `layers.0.self_attn.in_proj_weight`, …, `layers.0.multihead_attn.…`, then
 * `norm.weight` and `norm.bias` when there is a final norm. Each layer draws its own initial weights (torch
 * deep-copies one layer, so all its layers start equal).
 */
import type { LayerNorm } from '../../nn/layer-norm.js';
import type { Tensor } from '../../tensor/tensor.js';
import {
  TransformerDecoderLayer,
  type TransformerDecoderLayerForwardOptions,
  type TransformerDecoderLayerOptions,
} from './decoder-layer.js';
import { LayerStack } from './layer-stack.js';

const OP = 'TransformerDecoder';

export interface TransformerDecoderOptions {
  /**
   * Final LayerNorm: `true` builds LayerNorm(dModel) with the layers' eps; a LayerNorm is used as given; false
   * or null (default) means none.
   */
  norm?: LayerNorm | boolean | null;
}

/** The same masks as TransformerDecoderLayer, given to every layer. */
export type TransformerDecoderForwardOptions = TransformerDecoderLayerForwardOptions;

export interface TransformerDecoderResult {
  output: Tensor;
  /** Self-attention weights per layer, each [B, H, T, T] ([H, T, T] unbatched). */
  selfWeights: Tensor[];
  /** Cross-attention weights per layer, each [B, H, T, S] ([H, T, S] unbatched). */
  crossWeights: Tensor[];
}

export class TransformerDecoder extends LayerStack<TransformerDecoderLayer, TransformerDecoderLayerOptions> {
  /**
   * @param layer the options of every layer, or a factory called with each index 0 … numLayers − 1
   * @param numLayers number of layers
   */
  constructor(
    layer: TransformerDecoderLayerOptions | ((index: number) => TransformerDecoderLayer),
    numLayers: number,
    options: TransformerDecoderOptions = {},
  ) {
    super(OP, TransformerDecoderLayer, layer, numLayers, options.norm);
  }

  forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderForwardOptions = {}): Tensor {
    let x = tgt;
    for (const layer of this.layers) x = layer.forward(x, memory, options);
    return this.finalOutput(x);
  }

  /** The output and every layer's self- and cross-attention weights per head. */
  forwardWithWeights(
    tgt: Tensor,
    memory: Tensor,
    options: TransformerDecoderForwardOptions = {},
  ): TransformerDecoderResult {
    let x = tgt;
    const selfWeights: Tensor[] = [];
    const crossWeights: Tensor[] = [];
    for (const layer of this.layers) {
      const result = layer.forwardWithWeights(x, memory, options);
      x = result.output;
      selfWeights.push(result.selfWeights);
      crossWeights.push(result.crossWeights);
    }
    return { output: this.finalOutput(x), selfWeights, crossWeights };
  }
}
