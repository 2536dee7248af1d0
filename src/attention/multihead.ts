/**
 * Multi-head attention, as torch.nn.MultiheadAttention (PyTorch 1.13): same options, parameter names, shapes,
 * initialisation, mask semantics and returned weights.
 *
 *   q = query·W_qᵀ + b_q,  k = key·W_kᵀ + b_k,  v = value·W_vᵀ + b_v        (each [B, T, E])
 *   split heads: [B, T, E] → [B, H, T, E/H]
 *   headᵢ = softmax(qᵢ·kᵢᵀ/√(E/H) + mask)·vᵢ                               (scaledDotProductAttention)
 *   output = concat(head₁ … head_H)·W_oᵀ + b_o                              (out_proj)
 *
 * Shapes (E = embedDim, L = target length, S = source length, B = batch):
 *   query [L, B, E], key [S, B, kdim], value [S, B, vdim] → output [L, B, E]   (batchFirst false, the default)
 *   query [B, L, E], key [B, S, kdim], value [B, S, vdim] → output [B, L, E]   (batchFirst true)
 *   unbatched: query [L, E], key [S, kdim], value [S, vdim] → output [L, E]
 *   weights: [B, L, S] averaged over heads, [B, H, L, S] per head (averageAttnWeights false), null when
 *   needWeights is false; without the batch axis for unbatched inputs.
 *
 * `normalizer` replaces the softmax of every head (sparsemax, entmax15, α-entmax, …; see normalizers.ts). Such a
 * layer always takes the readable path (projections, scaledDotProductAttention's composed path, out_proj): the
 * fused kernel's online softmax has no threshold τ to find. With softmax, the default, nothing changes.
 *
 * Masks follow PyTorch: in a bool mask `true` means "may not attend"; a float mask is added to the scores.
 *   keyPaddingMask [B, S] (unbatched [S]): keys of each batch element to ignore.
 *   attnMask [L, S], or [B·H, L, S] (unbatched [H, L, S]) with one mask per batch element and head (b·H + h).
 * Unlike PyTorch, a query whose keys are all masked gets zero weights and a zero output, never NaN.
 *
 * Incremental decoding (batchFirst only): pass a `cache`. A self-attention cache (`emptyCache()`) appends each
 * call's projected keys and values k_t, v_t [B, H, 1, d] to those of the positions before, and the query attends
 * all of them (all in the past: no causal mask needed); a memory cache (`cacheMemory(memory)`) holds the keys and
 * values of a fixed memory, projected once, and the call reads only its query. The result carries the updated
 * cache; a step then costs O(t) instead of re-running the prefix (O(t²)), with the same products as the full
 * forward at that position.
 *
 * Positions (`positions`, see positions.ts; default 'none': whatever positions the inputs carry):
 *   'rope'      q and k of each head rotated by their positions before the scores (the rotary op), the
 *               attention itself as above (fused where it can be); a self-attention cache keeps rotated keys
 *   'alibi'     scores + (−m_h·|i − j|), the slopes m_h of alibiSlopes
 *   'relative'  Shaw's clipped relative positions: scores (q_i·(k_j + a^K_ij))/√d, outputs Σ_j α_ij (v_j + a^V_ij)
 * ALiBi and relative layers take the readable path (scores, then pipeline.ts's `attend`), never the fused kernel.
 * With a cache, the query of a self-attention call sits at the position of the keys cached so far.
 *
 * Parameters (state-dict names as torch): `in_proj_weight` [3E, E] when kdim = vdim = E, otherwise
 * `q_proj_weight` [E, E], `k_proj_weight` [E, kdim], `v_proj_weight` [E, vdim]; `in_proj_bias` [3E] when bias;
 * `out_proj.weight` [E, E] and `out_proj.bias` [E]; with 'relative' positions `relative_key` and
 * `relative_value` [2k + 1, E/H] (a^K and a^V, shared by the heads).
 */
import { Linear } from '../nn/linear.js';
import { constant, xavierUniform } from '../nn/init.js';
import { Module } from '../nn/module.js';
import { zeros } from '../tensor/creation.js';
import { isGradEnabled } from '../tensor/autograd.js';
import { fail, requirePositiveIntegers } from '../tensor/errors.js';
import {
  add,
  linear,
  maskedFill,
  mean,
  permute,
  reshape,
  slice,
  squeeze,
  unsqueeze,
} from '../tensor/ops/index.js';
import { multiHeadAttentionCore } from '../fused/multi-head-attention.js';
import type { Generator } from '../tensor/random.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkNormalizer, type Normalizer } from './normalizers.js';
import { attendCached, cacheMemory, type MultiHeadAttentionCache } from './multihead-cache.js';
import { rotary } from '../tensor/ops/rotary.js';
import {
  alibiSlopes,
  ATTENTION_POSITIONS,
  attendWithPositions,
  type AttentionPositions,
} from './positions.js';

export type { MultiHeadAttentionCache };
import { scaledDotProductAttention } from './scaled-dot-product.js';

const OP = 'MultiHeadAttention';

export interface MultiHeadAttentionOptions {
  /** Model dimension E (query features and output features). */
  embedDim: number;
  /** Number of heads H; E must be divisible by H. */
  numHeads: number;
  /** Dropout probability on the attention weights, in training mode only (default 0). */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Features of key (default embedDim). */
  kdim?: number;
  /** Features of value (default embedDim). */
  vdim?: number;
  /** Inputs and output are [B, T, E] when true, [T, B, E] when false (default false, as torch). */
  batchFirst?: boolean;
  /** Source of randomness for initialisation and dropout (the global seeded generator by default). */
  generator?: Generator;
  /** Positions applied inside the attention (default 'none'; see the header and positions.ts). */
  positions?: AttentionPositions;
  /** Largest relative distance k of 'relative' positions (default 16): r_ij = clip(j − i, −k, k). */
  maxRelativeDistance?: number;
  /** Base of RoPE's frequencies θ_c = base^(−2c/d) (default 10000). */
  rotaryBase?: number;
  /** How each head's scores become weights (default 'softmax'); any other takes the readable path. */
  normalizer?: Normalizer;
  /** α > 1 of the 'entmax' normaliser (default 1.5); an error with any other normaliser. */
  alpha?: number;
}

export interface MultiHeadAttentionForwardOptions {
  /** Bool [B, S] (true = ignore that key) or an additive float [B, S] mask. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true); `weights` is null otherwise. */
  needWeights?: boolean;
  /** Bool (true = not allowed) or additive float mask, [L, S] or [B·H, L, S]. */
  attnMask?: Tensor | null;
  /** Average the returned weights over heads (default true): [B, L, S] rather than [B, H, L, S]. */
  averageAttnWeights?: boolean;
  /** Also mask key j for query i when j > i (combined with attnMask if both are given). */
  isCausal?: boolean;
  /** Incremental decoding: the keys and values of earlier calls or of a memory (see the header). */
  cache?: MultiHeadAttentionCache | null;
}

export interface MultiHeadAttentionResult {
  /** [B, L, E] (batchFirst) or [L, B, E]. */
  output: Tensor;
  /** [B, L, S], [B, H, L, S] (averageAttnWeights false) or null (needWeights false); after dropout, as torch. */
  weights: Tensor | null;
  /** With a cache: the cache after this call (a self-attention cache with this call's keys and values). */
  cache?: MultiHeadAttentionCache;
}

export class MultiHeadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  /** Packed [3E, E] projection (rows: query, key, value), when kdim = vdim = embedDim; null otherwise. */
  readonly inProjWeight: Tensor | null;
  /** Separate projections [E, E], [E, kdim], [E, vdim], when kdim or vdim differ from embedDim. */
  readonly qProjWeight: Tensor | null;
  readonly kProjWeight: Tensor | null;
  readonly vProjWeight: Tensor | null;
  /** [3E] (query, key, value biases), or null without bias. */
  readonly inProjBias: Tensor | null;
  readonly outProj: Linear;
  /** Positions applied inside the attention ('none', 'rope', 'alibi' or 'relative'). */
  readonly positions: AttentionPositions;
  /** k of 'relative' positions (their tables have 2k + 1 rows). */
  readonly maxRelativeDistance: number;
  readonly rotaryBase: number;
  /** 'relative' positions' tables a^K and a^V [2k + 1, E/H]; null otherwise. */
  readonly relativeKey: Tensor | null;
  readonly relativeValue: Tensor | null;
  /** ALiBi's slope of every head; null unless 'alibi'. */
  readonly alibiSlopes: readonly number[] | null;
  /** The normaliser of every head, and its α (entmax only). */
  readonly normalizer: Normalizer;
  readonly alpha: number | undefined;
  private readonly generator: Generator | undefined;

  constructor(options: MultiHeadAttentionOptions) {
    super();
    if (typeof options !== 'object' || options === null)
      fail(OP, `needs an options object { embedDim, numHeads, ... }, got ${String(options)}`);
    const { embedDim, numHeads } = options;
    const kdim = options.kdim ?? embedDim;
    const vdim = options.vdim ?? embedDim;
    requirePositiveIntegers(OP, { embedDim, numHeads, kdim, vdim });
    if (embedDim % numHeads !== 0)
      fail(OP, `embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    const p = options.dropout ?? 0;
    if (!(p >= 0 && p <= 1)) fail(OP, `dropout must be in [0, 1], got ${p}`);
    const bias = options.bias ?? true;
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.kdim = kdim;
    this.vdim = vdim;
    this.dropout = p;
    this.batchFirst = options.batchFirst ?? false;
    this.generator = options.generator;
    this.normalizer = options.normalizer ?? 'softmax';
    checkNormalizer(OP, this.normalizer, options.alpha);
    this.alpha = options.alpha;

    const matrix = (rows: number, cols: number) => new Tensor(new Float32Array(rows * cols), [rows, cols]);
    const packed = kdim === embedDim && vdim === embedDim;
    // Registered in torch's order, so that namedParameters() lists them as torch's state_dict does.
    this.inProjWeight = this.registerParameter(
      'in_proj_weight',
      packed ? matrix(3 * embedDim, embedDim) : null,
    );
    this.qProjWeight = this.registerParameter('q_proj_weight', packed ? null : matrix(embedDim, embedDim));
    this.kProjWeight = this.registerParameter('k_proj_weight', packed ? null : matrix(embedDim, kdim));
    this.vProjWeight = this.registerParameter('v_proj_weight', packed ? null : matrix(embedDim, vdim));
    this.inProjBias = this.registerParameter(
      'in_proj_bias',
      bias ? new Tensor(new Float32Array(3 * embedDim), [3 * embedDim]) : null,
    );
    // As torch: out_proj is built (drawing its default Linear init) before _reset_parameters runs.
    this.outProj = this.registerModule(
      'out_proj',
      new Linear(embedDim, embedDim, { bias, generator: options.generator }),
    );
    for (const w of [this.inProjWeight, this.qProjWeight, this.kProjWeight, this.vProjWeight]) {
      if (w) xavierUniform(w, 1, options.generator);
    }
    if (this.inProjBias) constant(this.inProjBias, 0);
    if (this.outProj.bias) constant(this.outProj.bias, 0);

    const positions = options.positions ?? 'none';
    if (!(ATTENTION_POSITIONS as readonly string[]).includes(positions))
      fail(
        OP,
        `positions must be one of ${ATTENTION_POSITIONS.join(', ')}, got ${JSON.stringify(positions)}`,
      );
    const maxRelativeDistance = options.maxRelativeDistance ?? 16;
    requirePositiveIntegers(OP, { maxRelativeDistance });
    const rotaryBase = options.rotaryBase ?? 10000;
    if (!(Number.isFinite(rotaryBase) && rotaryBase > 1))
      fail(OP, `rotaryBase must be > 1, got ${rotaryBase}`);
    if (positions === 'rope' && this.headDim % 2 !== 0)
      fail(OP, `positions 'rope' needs an even head width, got embedDim ${embedDim} / numHeads ${numHeads}`);
    if ((positions === 'alibi' || positions === 'relative') && this.normalizer !== 'softmax') {
      // Their scores go through positions.ts's own softmax pipeline.
      fail(
        OP,
        `positions '${positions}' take the softmax normaliser only, got normalizer '${this.normalizer}'`,
      );
    }
    this.positions = positions;
    this.maxRelativeDistance = maxRelativeDistance;
    this.rotaryBase = rotaryBase;
    this.alibiSlopes = positions === 'alibi' ? alibiSlopes(numHeads) : null;
    // Drawn after every other parameter, so that the other schemes' initial weights stay those of torch.
    const table = () =>
      positions === 'relative'
        ? xavierUniform(matrix(2 * maxRelativeDistance + 1, this.headDim), 1, options.generator)
        : null;
    this.relativeKey = this.registerParameter('relative_key', table());
    this.relativeValue = this.registerParameter('relative_value', table());
  }

  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: MultiHeadAttentionForwardOptions = {},
  ): MultiHeadAttentionResult {
    for (const [name, t] of [
      ['query', query],
      ['key', key],
      ['value', value],
    ] as const) {
      if (!(t instanceof Tensor)) fail(OP, `${name} must be a Tensor, got ${String(t)}`);
    }
    if (options.cache) return attendCached(this, query, key, value, options.cache, options, this.generator);
    if (query.ndim === 2) return this.forwardUnbatched(query, key, value, options);
    const E = this.embedDim;
    const layout = this.batchFirst ? 'B, T' : 'T, B';
    const checkInput = (name: string, t: Tensor, features: number) => {
      if (t.ndim !== 3 || t.dtype !== 'float32' || t.shape[2] !== features) {
        fail(
          OP,
          `${name} must be float32 [${layout}, ${features}] (batchFirst ${this.batchFirst}), got ` +
            `${t.dtype} ${formatShape(t.shape)}`,
        );
      }
    };
    checkInput('query', query, E);
    checkInput('key', key, this.kdim);
    checkInput('value', value, this.vdim);
    const batchAxis = this.batchFirst ? 0 : 1;
    const timeAxis = 1 - batchAxis;
    const B = query.shape[batchAxis]!;
    const L = query.shape[timeAxis]!;
    const S = key.shape[timeAxis]!;
    if (key.shape[batchAxis] !== B || value.shape[batchAxis] !== B) {
      fail(
        OP,
        `query, key and value must have the same batch size (axis ${batchAxis}): query ` +
          `${formatShape(query.shape)}, key ${formatShape(key.shape)}, value ${formatShape(value.shape)}`,
      );
    }
    if (value.shape[timeAxis] !== S) {
      fail(
        OP,
        `key and value must have the same length (axis ${timeAxis}): key ${formatShape(key.shape)}, ` +
          `value ${formatShape(value.shape)}`,
      );
    }
    const mask = this.attentionMask(options, B, L, S);
    const needWeights = options.needWeights ?? true;
    const dropping = this.training && this.dropout > 0;
    // The fused kernel reads the heads in place and writes them merged: no copies, one in-projection GEMM for
    // self-attention. It takes a bool key padding mask and the causal mask; its weights are outside the graph. Its
    // online softmax is the only normaliser it has.
    if (
      this.positions === 'none' &&
      this.normalizer === 'softmax' &&
      mask.additive === null &&
      !dropping &&
      !(needWeights && this.recordsGradient(query, key, value))
    )
      return this.forwardFused(query, key, value, mask.keyPadding, options, needWeights);

    // Projections and head split: [.., .., E] → [B, H, T, E/H].
    const [wq, wk, wv] = this.projectionWeights();
    const bias = (i: number) => (this.inProjBias ? slice(this.inProjBias, 0, i * E, (i + 1) * E) : null);
    let q = this.splitHeads(project(query, wq, bias(0)));
    let k = this.splitHeads(project(key, wk, bias(1)));
    const v = this.splitHeads(project(value, wv, bias(2)));
    // RoPE: q_i ← R(i)·q_i, k_j ← R(j)·k_j, then attention as without positions.
    if (this.positions === 'rope') {
      q = rotary(q, { base: this.rotaryBase });
      k = rotary(k, { base: this.rotaryBase });
    }

    // torch returns the weights after dropout (the ones that multiplied v).
    const attended =
      this.positions === 'alibi' || this.positions === 'relative'
        ? this.attendPositioned(q, k, v, 0, {
            mask: mask.additive,
            keyPaddingMask: mask.keyPadding,
            causal: options.isCausal ?? false,
          })
        : scaledDotProductAttention(q, k, v, {
            mask: mask.additive,
            keyPaddingMask: mask.keyPadding,
            causal: options.isCausal ?? false,
            needWeights: needWeights || dropping,
            dropout: dropping ? this.dropout : 0,
            training: dropping,
            generator: this.generator,
            ...this.normalizerOptions(),
          });
    const heads = attended.output;
    const weights = attended.droppedWeights ?? attended.weights;

    // Merge heads: [B, H, L, d] → [B, L, E] or [L, B, E], then the output projection.
    const merged = permute(heads, this.batchFirst ? [0, 2, 1, 3] : [2, 0, 1, 3]);
    const output = this.outProj.forward(reshape(merged, this.batchFirst ? [B, L, E] : [L, B, E]));
    if (!needWeights || !weights) return { output, weights: null };
    return { output, weights: (options.averageAttnWeights ?? true) ? mean(weights, 1) : weights };
  }

  /**
   * ALiBi or Shaw's relative positions (positions.ts): q [B, H, L, d] at positions queryOffset … over k, v
   * [B, H, S, d] at 0 … S − 1, through the readable pipeline. Dropout on the weights in training, as the other
   * paths.
   */
  attendPositioned(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    queryOffset: number,
    masks: { mask?: Tensor | null; keyPaddingMask?: Tensor | null; causal?: boolean },
  ): { output: Tensor; weights: Tensor; droppedWeights?: Tensor } {
    const dropping = this.training && this.dropout > 0;
    const { context, weights, mixed } = attendWithPositions(q, k, v, {
      positions: this.positions as 'alibi' | 'relative',
      queryOffset,
      slopes: this.alibiSlopes,
      relativeKey: this.relativeKey,
      relativeValue: this.relativeValue,
      maxDistance: this.maxRelativeDistance,
      ...masks,
      dropout: dropping ? { p: this.dropout, generator: this.generator } : null,
    });
    return { output: context, weights, ...(dropping ? { droppedWeights: mixed } : {}) };
  }

  /**
   * The normaliser options of scaledDotProductAttention: none for softmax (its call stays as it was); otherwise
   * the normaliser, its α, and the training mode ('gumbel' samples only in training; dropout is passed as 0 when
   * it does not apply, so this does not turn it on).
   */
  normalizerOptions(): { normalizer?: Normalizer; alpha?: number; training?: boolean } {
    if (this.normalizer === 'softmax') return {};
    return {
      normalizer: this.normalizer,
      training: this.training,
      ...(this.alpha === undefined ? {} : { alpha: this.alpha }),
    };
  }

  /** Whether this call records a graph that the returned weights would have to be part of. */
  private recordsGradient(query: Tensor, key: Tensor, value: Tensor): boolean {
    if (!isGradEnabled()) return false;
    if (query.requiresGrad || key.requiresGrad || value.requiresGrad) return true;
    return this.parameters().some((p) => p.requiresGrad);
  }

  /**
   * Projections, then every head at once through multiHeadAttentionCore, then out_proj. Self-attention with the
   * packed in_proj_weight projects once into [.., .., 3E] (q, k, v side by side); cross-attention with
   * key === value projects key and value together into [.., .., 2E].
   */
  private forwardFused(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    keyPadding: Tensor | null,
    options: MultiHeadAttentionForwardOptions,
    needWeights: boolean,
  ): MultiHeadAttentionResult {
    const E = this.embedDim;
    const w = this.inProjWeight;
    const b = this.inProjBias;
    const rows = (t: Tensor, from: number, to: number) => slice(t, 0, from * E, to * E);
    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    let offsets: [number, number, number];
    if (w && query === key && key === value) {
      q = k = v = project(query, w, b);
      offsets = [0, E, 2 * E];
    } else if (w && key === value) {
      q = project(query, rows(w, 0, 1), b ? rows(b, 0, 1) : null);
      k = v = project(key, rows(w, 1, 3), b ? rows(b, 1, 3) : null);
      offsets = [0, 0, E];
    } else {
      const [wq, wk, wv] = this.projectionWeights();
      q = project(query, wq, b ? rows(b, 0, 1) : null);
      k = project(key, wk, b ? rows(b, 1, 2) : null);
      v = project(value, wv, b ? rows(b, 2, 3) : null);
      offsets = [0, 0, 0];
    }
    const { output: heads, weights } = multiHeadAttentionCore(q, k, v, {
      heads: this.numHeads,
      embedDim: E,
      batchFirst: this.batchFirst,
      qOffset: offsets[0],
      kOffset: offsets[1],
      vOffset: offsets[2],
      keyPaddingMask: keyPadding,
      causal: options.isCausal ?? false,
      needWeights,
    });
    const output = this.outProj.forward(heads);
    if (!needWeights || !weights) return { output, weights: null };
    return { output, weights: (options.averageAttnWeights ?? true) ? mean(weights, 1) : weights };
  }

  /** A self-attention cache before the first position (see multihead-cache.ts). */
  emptyCache(): MultiHeadAttentionCache {
    return { kind: 'self', keys: null, values: null };
  }

  /** A memory cache: memory [B, S, kdim] projected once into keys and values [B, H, S, d] (multihead-cache.ts). */
  cacheMemory(memory: Tensor): MultiHeadAttentionCache {
    return cacheMemory(this, memory);
  }

  /** Unbatched inputs ([L, E] etc.), as torch: run with a batch of one and drop its axis. */
  private forwardUnbatched(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: MultiHeadAttentionForwardOptions,
  ): MultiHeadAttentionResult {
    if (key.ndim !== 2 || value.ndim !== 2) {
      fail(
        OP,
        `for an unbatched query ${formatShape(query.shape)}, key and value must be 2-D too, got key ` +
          `${formatShape(key.shape)}, value ${formatShape(value.shape)}`,
      );
    }
    const kpm = options.keyPaddingMask;
    if (kpm && (!(kpm instanceof Tensor) || kpm.ndim !== 1)) {
      fail(
        OP,
        `keyPaddingMask must be [${key.shape[0]}] for unbatched inputs, got ` +
          `${kpm instanceof Tensor ? formatShape(kpm.shape) : String(kpm)}`,
      );
    }
    const axis = this.batchFirst ? 0 : 1;
    const { output, weights } = this.forward(
      unsqueeze(query, axis),
      unsqueeze(key, axis),
      unsqueeze(value, axis),
      { ...options, keyPaddingMask: kpm ? unsqueeze(kpm, 0) : null },
    );
    return { output: squeeze(output, axis), weights: weights ? squeeze(weights, 0) : null };
  }

  /**
   * W_q, W_k, W_v: rows of the packed in_proj_weight, or the separate matrices. With gradients off (decoding)
   * the rows are views of the packed weight instead of copies: a decoder projects its memory with them once per
   * sentence, and copying them would move 3·E² floats per layer for that (19 MB per sentence at E = 512, six
   * layers). A view shows later in-place updates of the weight, which a copy would not; nothing here keeps one.
   */
  projectionWeights(): [Tensor, Tensor, Tensor] {
    const w = this.inProjWeight;
    if (w) {
      const E = this.embedDim;
      const rows = (i: number) =>
        isGradEnabled()
          ? slice(w, 0, i * E, (i + 1) * E)
          : new Tensor(w.data.subarray(i * E * E, (i + 1) * E * E), [E, E], w.dtype);
      return [rows(0), rows(1), rows(2)];
    }
    return [this.qProjWeight!, this.kProjWeight!, this.vProjWeight!];
  }

  /** [B, T, E] or [T, B, E] → [B, H, T, E/H]. */
  private splitHeads(x: Tensor): Tensor {
    const [a, b] = x.shape as [number, number, number];
    const split = reshape(x, [a, b, this.numHeads, this.headDim]);
    return permute(split, this.batchFirst ? [0, 2, 1, 3] : [1, 2, 0, 3]);
  }

  /**
   * Validates the masks and turns them into what scaledDotProductAttention takes: a bool key padding mask
   * [B, S] as is, and one mask broadcastable to [B, H, L, S] (bool, or float when any mask is additive).
   */
  private attentionMask(
    options: MultiHeadAttentionForwardOptions,
    B: number,
    L: number,
    S: number,
  ): { additive: Tensor | null; keyPadding: Tensor | null } {
    const H = this.numHeads;
    let mask: Tensor | null = null;
    const attnMask = options.attnMask ?? null;
    if (attnMask !== null) {
      const ok2 = [L, S];
      const ok3 = [B * H, L, S];
      if (!(attnMask instanceof Tensor)) fail(OP, `attnMask must be a Tensor, got ${String(attnMask)}`);
      checkMaskDtype('attnMask', attnMask);
      if (shapesEqual(attnMask.shape, ok2)) mask = attnMask;
      else if (shapesEqual(attnMask.shape, ok3)) mask = reshape(attnMask, [B, H, L, S]);
      else {
        fail(
          OP,
          `attnMask must be ${formatShape(ok2)} or ${formatShape(ok3)} (B·numHeads, L, S), got ` +
            `${formatShape(attnMask.shape)}`,
        );
      }
    }
    const kpm = options.keyPaddingMask ?? null;
    if (kpm === null) return { additive: mask, keyPadding: null };
    if (!(kpm instanceof Tensor)) fail(OP, `keyPaddingMask must be a Tensor, got ${String(kpm)}`);
    checkMaskDtype('keyPaddingMask', kpm);
    if (!shapesEqual(kpm.shape, [B, S]))
      fail(OP, `keyPaddingMask must be [${B}, ${S}] (B, S), got ${formatShape(kpm.shape)}`);
    if (kpm.dtype === 'bool') return { additive: mask, keyPadding: kpm };
    // A float key padding mask is added to the scores, as is a float attnMask; a bool attnMask becomes -∞/0.
    const padding = reshape(kpm, [B, 1, 1, S]);
    if (mask === null) return { additive: padding, keyPadding: null };
    const additive = mask.dtype === 'bool' ? maskedFill(zeros(mask.shape), mask, -Infinity) : mask;
    return { additive: add(additive, padding), keyPadding: null };
  }
}

/** x·Wᵀ + b over the last axis. */
function project(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  return linear(x, weight, bias);
}

function checkMaskDtype(name: string, mask: Tensor): void {
  if (mask.dtype !== 'bool' && mask.dtype !== 'float32') {
    fail(
      OP,
      `${name} must be bool (true = not allowed) or float32 (added to the scores), got ${mask.dtype} ` +
        formatShape(mask.shape),
    );
  }
}
