/**
 * Fused scaled-dot-product attention as one op: out = softmax(scale·q·kᵀ + masks)·v over q [B, H, Tq, d],
 * k [B, H, Tk, d], v [B, H, Tk, dv], with a key-padding mask and/or a causal mask. The kernel never holds the
 * Tq×Tk matrix (it keeps one log-sum-exp per query for the backward pass), so memory grows with T rather than T²;
 * the weights are written only when asked for, and are then a plain (non-differentiable) result. When it records
 * a gradient over short keys it keeps the weights for the backward instead (see kept-attention-weights.ts).
 */
import type { AttentionArgs } from '../backend/kernels.js';
import { fail } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { backend, boolData, floatData, newFloat, record } from '../tensor/ops/common.js';
import { attentionWeightStorage } from './kept-attention-weights.js';

export interface FusedAttentionOptions {
  /** bool [B, Tk], true marks keys that may not be attended. */
  keyPaddingMask?: Tensor | null;
  /** Query i may not attend key j > i. */
  causal?: boolean;
  /** Multiplier of the scores (1/√d by default). */
  scale?: number;
  /** Also return the weights [B, H, Tq, Tk] (outside the graph). */
  needWeights?: boolean;
}

export interface FusedAttentionResult {
  output: Tensor;
  weights: Tensor | null;
}

export function fusedAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: FusedAttentionOptions = {},
): FusedAttentionResult {
  const op = 'fusedAttention';
  const qd = floatData(op, q, 'q');
  const kd = floatData(op, k, 'k');
  const vd = floatData(op, v, 'v');
  if (q.ndim !== 4 || k.ndim !== 4 || v.ndim !== 4) {
    fail(
      op,
      `q, k, v must be [B, H, T, d], got ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}`,
    );
  }
  const [batch, heads, tq, d] = q.shape as [number, number, number, number];
  const [kb, kh, tk, kdim] = k.shape as [number, number, number, number];
  const [vb, vh, vt, dv] = v.shape as [number, number, number, number];
  if (kb !== batch || vb !== batch || kh !== heads || vh !== heads || kdim !== d || vt !== tk) {
    fail(
      op,
      `shapes do not agree: q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`,
    );
  }
  const kpm = options.keyPaddingMask ?? null;
  const padding = kpm ? boolData(op, kpm, 'keyPaddingMask') : null;
  if (kpm && (kpm.ndim !== 2 || kpm.shape[0] !== batch || kpm.shape[1] !== tk)) {
    fail(op, `keyPaddingMask must be bool [${batch}, ${tk}], got ${formatShape(kpm.shape)}`);
  }
  const scale = options.scale ?? 1 / Math.sqrt(d);
  if (!Number.isFinite(scale)) fail(op, `scale must be finite, got ${scale}`);
  const args: AttentionArgs = { batch, heads, tq, tk, d, dv, scale, causal: options.causal ?? false };
  const { data: out, tensor: output } = newFloat([batch, heads, tq, dv]);
  const lse = new Float32Array(batch * heads * tq);
  const weights = options.needWeights ? newFloat([batch, heads, tq, tk]) : null;
  const p = attentionWeightStorage([q, k, v], tk, batch * heads * tq * tk, weights?.data ?? null);
  backend().attention({ q: qd, k: kd, v: vd, keyPadding: padding, ...args, out, lse, weights: p.forward });
  record(op, output, [q, k, v], (g) => {
    const dq = newFloat(q.shape);
    const dk = newFloat(k.shape);
    const dvT = newFloat(v.shape);
    backend().attentionGrad({
      q: qd,
      k: kd,
      v: vd,
      keyPadding: padding,
      ...args,
      out,
      lse,
      dOut: g.data as Float32Array,
      dq: dq.data,
      dk: dk.data,
      dV: dvT.data,
      weights: p.kept,
    });
    p.release();
    return [dq.tensor, dk.tensor, dvT.tensor];
  });
  return { output, weights: weights?.tensor ?? null };
}
