/**
 * Incremental (one token at a time) evaluation of a batch-first TransformerDecoderLayer with a key/value cache.
 *
 * Decoding step t feeds only the newest token x_t [R, 1, E] (R rows) through each layer:
 *
 *   self-attention:  k_t = x_t·W_kᵀ + b_k, v_t = x_t·W_vᵀ + b_v are appended to the layer's cache [R, H, t+1, d];
 *                    q_t attends over all cached positions (they are all in the past, so no causal mask)
 *   cross-attention: the memory's keys and values [R, H, S, d] were projected once, before the first step;
 *                    q_t attends over them with the memory's padding mask
 *   feed-forward, residuals and norms as the layer's forward.
 *
 * Every product is the one TransformerDecoderLayer.forward computes for that position (same parameters, same
 * ops: the packed in_proj_weight sliced into W_q, W_k, W_v, scaledDotProductAttention, out_proj, norm1–3,
 * linear1/linear2), so a step costs O(t) instead of O(t²) and gives the full forward's values. Dropout is
 * applied by the layer's own Dropout modules, so decode in eval() mode.
 */
import type { MultiHeadAttention } from '../../attention/multihead.js';
import { scaledDotProductAttention } from '../../attention/scaled-dot-product.js';
import { add, concat, matmul, permute, reshape, slice } from '../../tensor/ops/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { activationFunction } from '../transformer/common.js';
import type { TransformerDecoderLayer } from '../transformer/decoder-layer.js';

/** What one decoder layer keeps between steps. Every tensor has the rows on axis 0. */
export interface DecoderLayerCache {
  /** Self-attention keys of the positions so far, [R, H, t, d]; null before the first step. */
  selfKeys: Tensor | null;
  /** Self-attention values of the positions so far, [R, H, t, d]; null before the first step. */
  selfValues: Tensor | null;
  /** Cross-attention keys of the memory, [R, H, S, d], computed once. */
  crossKeys: Tensor;
  /** Cross-attention values of the memory, [R, H, S, d], computed once. */
  crossValues: Tensor;
  /**
   * The cross-attention's query projection W_q [E, E] and b_q, sliced out of in_proj_weight once per decoding
   * run (memoryKeysValues) instead of at every step; without it each step slices them again.
   */
  crossQuery?: { weight: Tensor; bias: Tensor | null };
}

/** W_q, W_k, W_v and b_q, b_k, b_v of a MultiHeadAttention, as its forward slices them. */
function projections(attn: MultiHeadAttention): { weights: Tensor[]; biases: (Tensor | null)[] } {
  const E = attn.embedDim;
  const w = attn.inProjWeight;
  const weights = w
    ? [slice(w, 0, 0, E), slice(w, 0, E, 2 * E), slice(w, 0, 2 * E, 3 * E)]
    : [attn.qProjWeight!, attn.kProjWeight!, attn.vProjWeight!];
  const b = attn.inProjBias;
  const biases = [0, 1, 2].map((i) => (b ? slice(b, 0, i * E, (i + 1) * E) : null));
  return { weights, biases };
}

/** x·Wᵀ + b for x [R, T, ·], split into heads: [R, H, T, d]. */
function projectHeads(attn: MultiHeadAttention, x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [r, t] = x.shape as [number, number];
  let y = matmul(x, weight, { transB: true });
  if (bias) y = add(y, bias);
  return permute(reshape(y, [r, t, attn.numHeads, attn.headDim]), [0, 2, 1, 3]);
}

/** q [R, H, 1, d] over keys/values [R, H, n, d] → the attention's output [R, 1, E] and weights [R, H, 1, n]. */
function attend(
  attn: MultiHeadAttention,
  q: Tensor,
  keys: Tensor,
  values: Tensor,
  keyPaddingMask: Tensor | null,
): { output: Tensor; weights: Tensor } {
  const r = q.shape[0]!;
  const { output: heads, weights } = scaledDotProductAttention(q, keys, values, { keyPaddingMask });
  const merged = reshape(permute(heads, [0, 2, 1, 3]), [r, 1, attn.embedDim]);
  return { output: attn.outProj.forward(merged), weights };
}

/**
 * The memory's cross-attention keys and values, [B, H, S, d] each, for a batch-first memory [B, S, E], and the
 * query projection that every step will apply (see DecoderLayerCache.crossQuery).
 */
export function memoryKeysValues(
  layer: TransformerDecoderLayer,
  memory: Tensor,
): { keys: Tensor; values: Tensor; query: { weight: Tensor; bias: Tensor | null } } {
  const attn = layer.multiheadAttn;
  const { weights, biases } = projections(attn);
  return {
    keys: projectHeads(attn, memory, weights[1]!, biases[1]!),
    values: projectHeads(attn, memory, weights[2]!, biases[2]!),
    query: { weight: weights[0]!, bias: biases[0]! },
  };
}

function queryProjection(attn: MultiHeadAttention): { weight: Tensor; bias: Tensor | null } {
  const { weights, biases } = projections(attn);
  return { weight: weights[0]!, bias: biases[0]! };
}

/**
 * q, k, v of the newest position for self-attention, [R, H, 1, d] each. With a packed in_proj_weight this is
 * one product with all of it and a split of the small [R, 1, 3E] result: slicing W_q, W_k and W_v out of the
 * weight at every step copied 3·E² floats per layer and token, more than the step's arithmetic reads.
 */
function selfProjections(attn: MultiHeadAttention, h: Tensor): [Tensor, Tensor, Tensor] {
  const w = attn.inProjWeight;
  if (!w) {
    const { weights, biases } = projections(attn);
    return [0, 1, 2].map((i) => projectHeads(attn, h, weights[i]!, biases[i]!)) as [Tensor, Tensor, Tensor];
  }
  const [r, t] = h.shape as [number, number];
  const E = attn.embedDim;
  let y = matmul(h, w, { transB: true });
  if (attn.inProjBias) y = add(y, attn.inProjBias);
  const heads = (i: number) =>
    permute(reshape(slice(y, 2, i * E, (i + 1) * E), [r, t, attn.numHeads, attn.headDim]), [0, 2, 1, 3]);
  return [heads(0), heads(1), heads(2)];
}

export interface DecoderLayerStepResult {
  /** [R, 1, E]: the layer's output for the newest position. */
  output: Tensor;
  /** The cache with this position's self-attention keys and values appended. */
  cache: DecoderLayerCache;
  /** Cross-attention weights of the newest position per head, [R, H, S]. */
  crossWeights: Tensor;
}

/**
 * One decoding step of a batch-first decoder layer: x [R, 1, E] (the newest position of every row) with the
 * cache of the previous positions → that position's output, as the layer's forward with a causal mask gives it.
 * memoryKeyPaddingMask is bool [R, S] (true = memory padding) or null.
 */
export function decoderLayerStep(
  layer: TransformerDecoderLayer,
  x: Tensor,
  cache: DecoderLayerCache,
  memoryKeyPaddingMask: Tensor | null,
): DecoderLayerStepResult {
  const selfAttn = layer.selfAttn;
  const cross = layer.multiheadAttn;
  let selfKeys = cache.selfKeys;
  let selfValues = cache.selfValues;
  let crossWeights: Tensor | null = null;

  const selfAttention = (h: Tensor): Tensor => {
    const [q, k, v] = selfProjections(selfAttn, h);
    selfKeys = selfKeys ? concat([selfKeys, k], 2) : k;
    selfValues = selfValues ? concat([selfValues, v], 2) : v;
    return layer.dropout1.forward(attend(selfAttn, q, selfKeys, selfValues, null).output);
  };
  const crossAttention = (h: Tensor): Tensor => {
    const query = cache.crossQuery ?? queryProjection(cross);
    const q = projectHeads(cross, h, query.weight, query.bias);
    const result = attend(cross, q, cache.crossKeys, cache.crossValues, memoryKeyPaddingMask);
    const [r, heads, , s] = result.weights.shape as [number, number, number, number];
    crossWeights = reshape(result.weights, [r, heads, s]);
    return layer.dropout2.forward(result.output);
  };
  const activation = activationFunction(layer.activation);
  const feedForward = (h: Tensor): Tensor => {
    const hidden = layer.dropout.forward(activation(layer.linear1.forward(h)));
    return layer.dropout3.forward(layer.linear2.forward(hidden));
  };

  let y = x;
  if (layer.normFirst) {
    y = add(y, selfAttention(layer.norm1.forward(y)));
    y = add(y, crossAttention(layer.norm2.forward(y)));
    y = add(y, feedForward(layer.norm3.forward(y)));
  } else {
    y = layer.norm1.forward(add(y, selfAttention(y)));
    y = layer.norm2.forward(add(y, crossAttention(y)));
    y = layer.norm3.forward(add(y, feedForward(y)));
  }
  return {
    output: y,
    cache: {
      selfKeys,
      selfValues,
      crossKeys: cache.crossKeys,
      crossValues: cache.crossValues,
      crossQuery: cache.crossQuery,
    },
    crossWeights: crossWeights!,
  };
}
