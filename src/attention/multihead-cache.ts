/**
 * MultiHeadAttention with a key/value cache, for incremental (one token at a time) decoding, batch-first:
 *
 *   self-attention ('self' cache):   k_t = x_t·W_kᵀ + b_k, v_t = x_t·W_vᵀ + b_v are appended to the cached
 *                                    [B, H, t, d]; q_t attends over all t + 1 positions (all in the past, so
 *                                    no causal mask)
 *   cross-attention ('memory' cache): the memory's keys and values [B, H, S, d] were projected once
 *                                    (`cacheMemory`); q_t attends over them with the memory's padding mask
 *   output = concat(heads)·W_oᵀ + b_o   (out_proj)
 *
 * Every product is the one MultiHeadAttention.forward computes for that position (same parameters, sliced the
 * same way, scaledDotProductAttention over the heads), so a step costs O(t) instead of re-running the prefix.
 *
 * With positions (positions.ts) the new queries and keys sit at the positions t, t + 1, … after the t cached:
 * RoPE rotates them there (the cache keeps rotated keys, never rotated again), and ALiBi's bias and Shaw's
 * relative terms take p_i = t + i. A memory cache has no positions (cross-attention takes none).
 */
import { fail } from '../tensor/errors.js';
import { concat, linear, mean, permute, reshape, slice } from '../tensor/ops/index.js';
import type { Generator } from '../tensor/random.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type {
  MultiHeadAttention,
  MultiHeadAttentionForwardOptions,
  MultiHeadAttentionResult,
} from './multihead.js';
import { rotary } from '../tensor/ops/rotary.js';
import { scaledDotProductAttention } from './scaled-dot-product.js';

const OP = 'MultiHeadAttention';

/** Keys and values kept between calls, split into heads: [B, H, t, d] (t = positions so far, or S). */
export interface MultiHeadAttentionCache {
  /** 'self': each call's key and value are appended; 'memory': fixed, projected once by `cacheMemory`. */
  readonly kind: 'self' | 'memory';
  /** Null before the first call of a self-attention cache. */
  readonly keys: Tensor | null;
  readonly values: Tensor | null;
  /** A memory cache's W_q and b_q, sliced out of in_proj_weight once instead of at every call. */
  readonly query?: { readonly weight: Tensor; readonly bias: Tensor | null };
}

/** A memory cache: memory [B, S, kdim] projected once into keys and values [B, H, S, d], and W_q, b_q. */
export function cacheMemory(mha: MultiHeadAttention, memory: Tensor): MultiHeadAttentionCache {
  checkInput('memory', memory, mha.kdim);
  const [wq, wk, wv] = mha.projectionWeights();
  const [bq, bk, bv] = projectionBiases(mha);
  return {
    kind: 'memory',
    keys: projectHeads(mha, memory, wk, bk),
    values: projectHeads(mha, memory, wv, bv),
    query: { weight: wq, bias: bq },
  };
}

/**
 * MultiHeadAttention.forward with a cache: query [B, L, E] (L = 1 when decoding), and for a self-attention
 * cache key [B, L, kdim] and value [B, L, vdim], the new positions; a memory cache reads neither. The result
 * carries the cache after this call.
 */
export function attendCached(
  mha: MultiHeadAttention,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  cache: MultiHeadAttentionCache,
  options: MultiHeadAttentionForwardOptions,
  generator: Generator | undefined,
): MultiHeadAttentionResult {
  if (!mha.batchFirst) fail(OP, 'a cache needs batchFirst inputs [B, L, E]');
  if (options.attnMask) fail(OP, 'attnMask is not supported with a cache (keyPaddingMask is)');
  checkInput('query', query, mha.embedDim);
  const [B, L] = query.shape as [number, number];
  if (options.isCausal && L !== 1 && cache.kind === 'self')
    fail(OP, `isCausal with a cache takes one query position per call, got ${L}`);
  let q: Tensor;
  let keys: Tensor;
  let values: Tensor;
  /** Position of the first query: the keys cached before this call. */
  let queryOffset = 0;
  if (cache.kind === 'memory') {
    if (mha.positions !== 'none')
      fail(OP, `a memory cache takes no positions (this attention has positions '${mha.positions}')`);
    if (!cache.keys || !cache.values) fail(OP, 'a memory cache needs its keys and values (cacheMemory)');
    const wq = cache.query ?? { weight: mha.projectionWeights()[0], bias: projectionBiases(mha)[0] };
    q = projectHeads(mha, query, wq.weight, wq.bias);
    keys = cache.keys;
    values = cache.values;
  } else {
    checkInput('key', key, mha.kdim);
    checkInput('value', value, mha.vdim);
    let k: Tensor;
    let v: Tensor;
    [q, k, v] = selfProjections(mha, query, key, value);
    queryOffset = cache.keys ? cache.keys.shape[2]! : 0;
    if (mha.positions === 'rope') {
      q = rotary(q, { offset: queryOffset, base: mha.rotaryBase });
      k = rotary(k, { offset: queryOffset, base: mha.rotaryBase });
    }
    keys = cache.keys ? concat([cache.keys, k], 2) : k;
    values = cache.values ? concat([cache.values, v], 2) : v;
  }
  const kpm = options.keyPaddingMask ?? null;
  if (kpm && (kpm.dtype !== 'bool' || !shapesEqual(kpm.shape, [B, keys.shape[2]!])))
    fail(
      OP,
      `keyPaddingMask must be bool [${B}, ${keys.shape[2]}] with a cache, got ${kpm.dtype} ${formatShape(kpm.shape)}`,
    );
  const { output: heads, weights } =
    mha.positions === 'alibi' || mha.positions === 'relative'
      ? mha.attendPositioned(q, keys, values, queryOffset, { keyPaddingMask: kpm })
      : scaledDotProductAttention(q, keys, values, {
          keyPaddingMask: kpm,
          dropout: mha.dropout,
          training: mha.training,
          generator,
          ...mha.normalizerOptions(),
        });
  const merged = reshape(permute(heads, [0, 2, 1, 3]), [B, L, mha.embedDim]);
  const output = mha.outProj.forward(merged);
  const next = cache.kind === 'memory' ? cache : { kind: 'self' as const, keys, values };
  if (!(options.needWeights ?? true)) return { output, weights: null, cache: next };
  const returned = (options.averageAttnWeights ?? true) ? mean(weights, 1) : weights;
  return { output, weights: returned, cache: next };
}

/**
 * Self-attention's new q, k and v, [B, H, L, d] each. With the packed in_proj_weight and query === key ===
 * value: one product with all of it and a split of the small [B, L, 3E] result (slicing W_q, W_k and W_v out of
 * the weight at every step would copy 3·E² floats, more than the step's arithmetic).
 */
function selfProjections(
  mha: MultiHeadAttention,
  query: Tensor,
  key: Tensor,
  value: Tensor,
): [Tensor, Tensor, Tensor] {
  const w = mha.inProjWeight;
  if (w && query === key && key === value) {
    const E = mha.embedDim;
    const y = linear(query, w, mha.inProjBias);
    const [B, L] = query.shape as [number, number];
    const heads = (i: number) =>
      permute(reshape(slice(y, 2, i * E, (i + 1) * E), [B, L, mha.numHeads, mha.headDim]), [0, 2, 1, 3]);
    return [heads(0), heads(1), heads(2)];
  }
  const [wq, wk, wv] = mha.projectionWeights();
  const [bq, bk, bv] = projectionBiases(mha);
  return [projectHeads(mha, query, wq, bq), projectHeads(mha, key, wk, bk), projectHeads(mha, value, wv, bv)];
}

/** x·Wᵀ + b (one linear op) for batch-first x [B, T, ·], split into heads: [B, H, T, d]. */
function projectHeads(mha: MultiHeadAttention, x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [b, t] = x.shape as [number, number];
  const y = linear(x, weight, bias);
  return permute(reshape(y, [b, t, mha.numHeads, mha.headDim]), [0, 2, 1, 3]);
}

/** b_q, b_k, b_v: thirds of in_proj_bias, or nulls without bias. */
function projectionBiases(mha: MultiHeadAttention): [Tensor | null, Tensor | null, Tensor | null] {
  const b = mha.inProjBias;
  const E = mha.embedDim;
  if (!b) return [null, null, null];
  return [slice(b, 0, 0, E), slice(b, 0, E, 2 * E), slice(b, 0, 2 * E, 3 * E)];
}

function checkInput(name: string, t: Tensor, features: number): void {
  if (!(t instanceof Tensor) || t.dtype !== 'float32' || t.ndim !== 3 || t.shape[2] !== features)
    fail(
      OP,
      `with a cache, ${name} must be float32 [B, T, ${features}], got ${t instanceof Tensor ? `${t.dtype} ${formatShape(t.shape)}` : String(t)}`,
    );
}
