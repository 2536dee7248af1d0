/**
 * Positions inside attention: the schemes MultiHeadAttention applies to its scores rather than to its inputs
 * (sinusoidal and learned encodings are added to the embeddings; see models/transformer). Query i sits at
 * position p_i = queryOffset + i (the cached decoder's step), key j at position j.
 *
 *   'rope'     (Su et al. 2021)  q_i ← R(p_i)·q_i, k_j ← R(j)·k_j, R turning feature pairs (c, c + d/2) by the
 *                                angles p·θ_c, θ_c = base^(−2c/d) (the rotary op): q_iᵀk_j depends on p_i − j only.
 *                                The rotated keys are what a self-attention cache keeps.
 *   'alibi'    (Press, Smith & Lewis 2022)  e_ij = q_i·k_j/√d − m_h·|p_i − j|, with the slopes m_h of alibiSlopes;
 *                                no position is added to the inputs. Symmetric in an encoder; in a causal
 *                                decoder only j ≤ p_i remain, where it is −m_h·(p_i − j).
 *   'relative' (Shaw, Uszkoreit & Vaswani 2018)  with r_ij = clip(j − p_i, −k, k) and learned tables a^K, a^V
 *                                [2k + 1, d] (one per layer, shared by the heads):
 *                                e_ij = q_i·(k_j + a^K[r_ij + k])/√d,  z_i = Σ_j α_ij (v_j + a^V[r_ij + k]).
 *
 * ALiBi and Shaw's terms are added to the scores: those layers take the readable pipeline (scores, then
 * pipeline.ts's `attend`), not the fused attention kernel. RoPE only rotates q and k, so the attention after it
 * may still be fused.
 */
import { fail } from '../tensor/errors.js';
import { add, indexSelect, matmul, mul, permute, reshape } from '../tensor/ops/index.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { attend, type Attended } from './pipeline.js';

/** The position schemes MultiHeadAttention applies itself ('none': positions come with the inputs, if any). */
export const ATTENTION_POSITIONS = ['none', 'rope', 'alibi', 'relative'] as const;
export type AttentionPositions = (typeof ATTENTION_POSITIONS)[number];

/**
 * ALiBi's head slopes, the paper's recipe: for H a power of two the geometric sequence m_h = 2^(−8h/H),
 * h = 1 … H; otherwise, with n the largest power of two below H, the n slopes for n heads followed by the
 * first H − n of the odd-numbered slopes for 2n heads (2^(−8h/(2n)), h = 1, 3, 5, …).
 */
export function alibiSlopes(heads: number): number[] {
  if (!Number.isInteger(heads) || heads < 1)
    fail('alibiSlopes', `heads must be a positive integer, got ${heads}`);
  const geometric = (n: number) => Array.from({ length: n }, (_, h) => Math.pow(2, (-8 * (h + 1)) / n));
  const n = Math.pow(2, Math.floor(Math.log2(heads)));
  if (n === heads) return geometric(n);
  const extra = geometric(2 * n).filter((_, i) => i % 2 === 0);
  return [...geometric(n), ...extra.slice(0, heads - n)];
}

/** ALiBi's bias −m_h·|p_i − j| as float32 [H, L, S] (p_i = queryOffset + i), added to the scores. */
export function alibiBias(slopes: readonly number[], L: number, S: number, queryOffset = 0): Tensor {
  const H = slopes.length;
  const data = new Float32Array(H * L * S);
  for (let h = 0; h < H; h++) {
    const m = slopes[h]!;
    for (let i = 0; i < L; i++) {
      const row = (h * L + i) * S;
      // 0 on the diagonal, not −0.
      for (let j = 0; j < S; j++)
        data[row + j] = queryOffset + i === j ? 0 : -m * Math.abs(queryOffset + i - j);
    }
  }
  return new Tensor(data, [H, L, S]);
}

/** Shaw's table rows r_ij + k = clip(j − p_i, −k, k) + k for every query i < L and key j < S, int32 [L·S]. */
export function relativeIndex(L: number, S: number, maxDistance: number, queryOffset = 0): Tensor {
  const index = new Int32Array(L * S);
  for (let i = 0; i < L; i++) {
    for (let j = 0; j < S; j++) {
      const r = Math.min(maxDistance, Math.max(-maxDistance, j - (queryOffset + i)));
      index[i * S + j] = r + maxDistance;
    }
  }
  return new Tensor(index, [L * S], 'int32');
}

/** q_i·a[r_ij] for q [B, H, L, d] and a table [2k + 1, d]: [B, H, L, S] (a batched product over the queries). */
function relativeScores(q: Tensor, table: Tensor, index: Tensor, S: number): Tensor {
  const [B, H, L, d] = q.shape as [number, number, number, number];
  const rows = reshape(indexSelect(table, 0, index), [L, S, d]);
  const byQuery = reshape(permute(q, [2, 0, 1, 3]), [L, B * H, d]);
  const scores = matmul(byQuery, rows, { transB: true }); // [L, B·H, S]
  return permute(reshape(scores, [L, B, H, S]), [1, 2, 0, 3]);
}

/** Σ_j α_ij·a[r_ij] for weights α [B, H, L, S] and a table [2k + 1, d]: [B, H, L, d]. */
function relativeValues(weights: Tensor, table: Tensor, index: Tensor): Tensor {
  const [B, H, L, S] = weights.shape as [number, number, number, number];
  const d = table.shape[1]!;
  const rows = reshape(indexSelect(table, 0, index), [L, S, d]);
  const byQuery = reshape(permute(weights, [2, 0, 1, 3]), [L, B * H, S]);
  return permute(reshape(matmul(byQuery, rows), [L, B, H, d]), [1, 2, 0, 3]);
}

/** What attendWithPositions needs besides q, k and v. */
export interface PositionedAttention {
  positions: 'alibi' | 'relative';
  /** Position of the first query (keys are at 0 … S − 1). */
  queryOffset: number;
  /** ALiBi: one slope per head. */
  slopes?: readonly number[] | null;
  /** Shaw: the tables a^K, a^V [2k + 1, d] and k. */
  relativeKey?: Tensor | null;
  relativeValue?: Tensor | null;
  maxDistance?: number;
  /** Masks as scaledDotProductAttention takes them (keyPaddingMask bool [B, S], mask bool or additive). */
  keyPaddingMask?: Tensor | null;
  mask?: Tensor | null;
  causal?: boolean;
  dropout?: { p: number; generator?: Generator } | null;
}

/**
 * Attention of q [B, H, L, d] over k, v [B, H, S, d] with ALiBi's bias or Shaw's relative terms in the scores
 * (see the header), through pipeline.ts's `attend`: the context [B, H, L, d] and the weights.
 */
export function attendWithPositions(q: Tensor, k: Tensor, v: Tensor, o: PositionedAttention): Attended {
  const L = q.shape[2]!;
  const S = k.shape[2]!;
  const scale = 1 / Math.sqrt(q.shape[3]!);
  let scores = matmul(q, k, { transB: true });
  let index: Tensor | null = null;
  if (o.positions === 'relative') {
    index = relativeIndex(L, S, o.maxDistance!, o.queryOffset);
    // e_ij = (q_i·k_j + q_i·a^K_ij)/√d
    scores = add(scores, relativeScores(q, o.relativeKey!, index, S));
  }
  scores = mul(scores, scale);
  // e_ij − m_h·|p_i − j|: [H, L, S] broadcasts over the batch.
  if (o.positions === 'alibi') scores = add(scores, alibiBias(o.slopes!, L, S, o.queryOffset));
  const attended = attend(scores, v, {
    keyPaddingMask: o.keyPaddingMask ?? null,
    mask: o.mask ?? null,
    causal: o.causal ?? false,
    step: o.queryOffset,
    dropout: o.dropout ?? null,
  });
  if (index === null) return attended;
  // z_i = Σ_j α_ij v_j + Σ_j α_ij a^V_ij (with the weights that mixed v, after dropout).
  const context = add(attended.context, relativeValues(attended.mixed, o.relativeValue!, index));
  return { ...attended, context };
}
