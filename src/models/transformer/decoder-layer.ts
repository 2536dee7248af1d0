/**
 * One Transformer decoder layer, as torch.nn.TransformerDecoderLayer (PyTorch 1.13): masked self-attention,
 * cross-attention over the encoder's memory and a feed-forward block, each with dropout, a residual connection
 * and a LayerNorm.
 *
 *   sa(x)  = dropout1(self_attn(x, x, x, tgtMask))
 *   mha(x) = dropout2(multihead_attn(x, memory, memory, memoryMask))
 *   ff(x)  = dropout3(linear2(dropout(activation(linear1(x)))))
 *   post-norm (default):  x = norm1(x + sa(x));  x = norm2(x + mha(x));  x = norm3(x + ff(x))
 *   pre-norm (normFirst): x = x + sa(norm1(x));  x = x + mha(norm2(x));  x = x + ff(norm3(x))
 *
 * Shapes (E = dModel, T = target length, S = memory length, B = batch, H = nhead): tgt [T, B, E] and memory
 * [S, B, E], or [B, T, E] and [B, S, E] with batchFirst, or unbatched [T, E] and [S, E]; the output has tgt's
 * shape. Weights per head: self-attention [B, H, T, T], cross-attention [B, H, T, S] (without B unbatched),
 * after attention dropout.
 *
 * Masks as torch: tgtMask bool [T, T] or [B·H, T, T], memoryMask [T, S] or [B·H, T, S] (true = may not attend)
 * or additive float; tgtKeyPaddingMask bool [B, T] and memoryKeyPaddingMask bool [B, S] (true = padding).
 * tgtIsCausal masks future target positions (what autoregressive decoding needs) without building a mask.
 *
 * Incremental decoding: with `cache` (from `cacheMemory`), tgt is the newest position only [B, 1, E]; its
 * self-attention keys and values are appended to the cache's and the cross-attention reads the memory's keys and
 * values projected once (`memory` itself is not read). forwardWithWeights returns the updated cache. The same
 * forward as above runs, so a step gives the full forward's values at that position.
 *
 * Parameters, in torch's state-dict order: self_attn.{in_proj_weight, in_proj_bias, out_proj.weight,
 * out_proj.bias}, multihead_attn.{same}, linear1.weight [F, E], linear1.bias [F], linear2.weight [E, F],
 * linear2.bias [E], norm1/norm2/norm3.{weight, bias} [E]. Dropout is active in training mode only.
 */
import { MultiHeadAttention, type MultiHeadAttentionCache } from '../../attention/multihead.js';
import { Dropout } from '../../nn/dropout.js';
import { LayerNorm } from '../../nn/layer-norm.js';
import { Linear } from '../../nn/linear.js';
import { add } from '../../tensor/ops/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkSequence, resolveLayerOptions, type TransformerLayerOptions } from './common.js';
import { TransformerLayerBase } from './layer-base.js';

const OP = 'TransformerDecoderLayer';

export type TransformerDecoderLayerOptions = TransformerLayerOptions;

export interface TransformerDecoderLayerForwardOptions {
  /** Self-attention mask: bool (true = may not attend) or additive float, [T, T] or [B·H, T, T]. */
  tgtMask?: Tensor | null;
  /** Cross-attention mask: bool or additive float, [T, S] or [B·H, T, S]. */
  memoryMask?: Tensor | null;
  /** Bool [B, T]: true marks target padding, ignored as a self-attention key. */
  tgtKeyPaddingMask?: Tensor | null;
  /** Bool [B, S]: true marks memory padding, ignored as a cross-attention key. */
  memoryKeyPaddingMask?: Tensor | null;
  /** Self-attention masks key j for query i when j > i (combined with tgtMask). */
  tgtIsCausal?: boolean;
  /** Cross-attention masks memory position j for target i when j > i (combined with memoryMask). */
  memoryIsCausal?: boolean;
  /** Incremental decoding (batchFirst): the keys and values of the positions before tgt (see the header). */
  cache?: TransformerDecoderLayerCache | null;
}

/** What a decoder layer keeps between incremental decoding steps. */
export interface TransformerDecoderLayerCache {
  /** Self-attention: the keys and values of the target positions so far, [B, H, t, d]. */
  readonly self: MultiHeadAttentionCache;
  /** Cross-attention: the memory's keys and values, [B, H, S, d], projected once. */
  readonly cross: MultiHeadAttentionCache;
}

export interface TransformerDecoderLayerResult {
  /** Same shape as tgt. */
  output: Tensor;
  /** Self-attention weights per head, [B, H, T, T] ([H, T, T] unbatched). */
  selfWeights: Tensor;
  /** Cross-attention weights per head, [B, H, T, S] ([H, T, S] unbatched). */
  crossWeights: Tensor;
  /** With options.cache: the cache including tgt's positions. */
  cache?: TransformerDecoderLayerCache;
}

export class TransformerDecoderLayer extends TransformerLayerBase {
  readonly selfAttn: MultiHeadAttention;
  /** Cross-attention: queries from the target, keys and values from the memory. */
  readonly multiheadAttn: MultiHeadAttention;
  readonly linear1: Linear;
  /** Dropout between the two feed-forward projections. */
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;
  /** Dropout on the self-attention output. */
  readonly dropout1: Dropout;
  /** Dropout on the cross-attention output. */
  readonly dropout2: Dropout;
  /** Dropout on the feed-forward output. */
  readonly dropout3: Dropout;

  constructor(options: TransformerDecoderLayerOptions) {
    const o = resolveLayerOptions(OP, options);
    super(o);
    const { generator } = o;
    const norm = () => new LayerNorm(o.dModel, { eps: o.layerNormEps });
    // Registered in torch's order, so that namedParameters() lists them as torch's state_dict does.
    this.selfAttn = this.registerModule('self_attn', this.newAttention(o));
    this.multiheadAttn = this.registerModule('multihead_attn', this.newAttention(o, false));
    this.linear1 = this.registerModule('linear1', new Linear(o.dModel, o.dimFeedforward, { generator }));
    this.dropout = this.registerModule('dropout', new Dropout(o.dropout, generator));
    this.linear2 = this.registerModule('linear2', new Linear(o.dimFeedforward, o.dModel, { generator }));
    this.norm1 = this.registerModule('norm1', norm());
    this.norm2 = this.registerModule('norm2', norm());
    this.norm3 = this.registerModule('norm3', norm());
    this.dropout1 = this.registerModule('dropout1', new Dropout(o.dropout, generator));
    this.dropout2 = this.registerModule('dropout2', new Dropout(o.dropout, generator));
    this.dropout3 = this.registerModule('dropout3', new Dropout(o.dropout, generator));
  }

  /** The cache before the first decoding step: no target positions yet, and memory [B, S, E]'s keys and values. */
  cacheMemory(memory: Tensor): TransformerDecoderLayerCache {
    return { self: this.selfAttn.emptyCache(), cross: this.multiheadAttn.cacheMemory(memory) };
  }

  /** The layer's output, with tgt's shape. */
  forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderLayerForwardOptions = {}): Tensor {
    return this.run(tgt, memory, options, false).output;
  }

  /** The output and the self- and cross-attention weights of every head. */
  forwardWithWeights(
    tgt: Tensor,
    memory: Tensor,
    options: TransformerDecoderLayerForwardOptions = {},
  ): TransformerDecoderLayerResult {
    const { output, selfWeights, crossWeights, cache } = this.run(tgt, memory, options, true);
    return { output, selfWeights: selfWeights!, crossWeights: crossWeights!, ...(cache ? { cache } : {}) };
  }

  private run(
    tgt: Tensor,
    memory: Tensor,
    options: TransformerDecoderLayerForwardOptions,
    needWeights: boolean,
  ): {
    output: Tensor;
    selfWeights: Tensor | null;
    crossWeights: Tensor | null;
    cache: TransformerDecoderLayerCache | null;
  } {
    checkSequence(OP, 'tgt', tgt, this.dModel, this.batchFirst);
    checkSequence(OP, 'memory', memory, this.dModel, this.batchFirst);
    const cache = options.cache ?? null;
    let selfWeights: Tensor | null = null;
    let crossWeights: Tensor | null = null;
    let selfCache = cache?.self;
    const selfAttention = (x: Tensor): Tensor => {
      const result = this.selfAttn.forward(x, x, x, {
        attnMask: options.tgtMask ?? null,
        keyPaddingMask: options.tgtKeyPaddingMask ?? null,
        isCausal: options.tgtIsCausal ?? false,
        needWeights,
        averageAttnWeights: false,
        cache: selfCache,
      });
      selfWeights = result.weights;
      selfCache = result.cache;
      return this.dropout1.forward(result.output);
    };
    const crossAttention = (x: Tensor): Tensor => {
      const result = this.multiheadAttn.forward(x, memory, memory, {
        attnMask: options.memoryMask ?? null,
        keyPaddingMask: options.memoryKeyPaddingMask ?? null,
        isCausal: options.memoryIsCausal ?? false,
        needWeights,
        averageAttnWeights: false,
        cache: cache?.cross,
      });
      crossWeights = result.weights;
      return this.dropout2.forward(result.output);
    };
    let x = tgt;
    if (this.normFirst) {
      x = add(x, selfAttention(this.norm1.forward(x)));
      x = add(x, crossAttention(this.norm2.forward(x)));
      x = add(x, this.feedForward(this.norm3.forward(x), this.dropout3));
    } else {
      x = this.norm1.forward(add(x, selfAttention(x)));
      x = this.norm2.forward(add(x, crossAttention(x)));
      x = this.norm3.forward(add(x, this.feedForward(x, this.dropout3)));
    }
    const next = cache && selfCache ? { self: selfCache, cross: cache.cross } : null;
    return { output: x, selfWeights, crossWeights, cache: next };
  }
}
