/**
 * Fused multi-head attention over projections whose heads sit side by side in the feature axis, as a Linear
 * produces them: q [B, L, ·], k and v [B, S, ·] (or [L, B, ·] and [S, B, ·] when not batch-first), head h of q
 * being features [qOffset + h·d, qOffset + (h+1)·d). The kernel reads each head in place and writes its output
 * straight into out [B, L, H·dv] ([L, B, H·dv]), so splitting and merging heads costs no copies, and q, k and v
 * may be three ranges of one packed projection [B, T, 3E] (the usual self-attention in-projection, one GEMM).
 *
 *   head_h = softmax(scale · q_h·k_hᵀ + masks)·v_h,   out = concat_h(head_h)
 *
 * Same kernel and arithmetic as fusedAttention (O(T) memory, weights only on request and outside the graph, kept
 * for the backward over short keys: see kept-attention-weights.ts).
 */
import type { AttentionArgs, AttentionStrides } from '../backend/kernels.js';
import { fail } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { backend, boolData, floatData, newFloat, newFloatOverwritten, record } from '../tensor/ops/common.js';
import { attentionWeightStorage } from './kept-attention-weights.js';

export interface MultiHeadAttentionCoreOptions {
  /** Number of heads H. */
  heads: number;
  /** Features of q and k taken by all heads together (H·d). */
  embedDim: number;
  /** Features of v taken by all heads together (H·dv); embedDim by default. */
  valueDim?: number;
  /** Inputs and output are [B, T, F] when true, [T, B, F] when false. */
  batchFirst: boolean;
  /** First feature of the heads in q, k and v (default 0 each). */
  qOffset?: number;
  kOffset?: number;
  vOffset?: number;
  /** bool [B, S], true marks keys that may not be attended. */
  keyPaddingMask?: Tensor | null;
  /** Query i may not attend key j > i. */
  causal?: boolean;
  /** Multiplier of the scores (1/√d by default). */
  scale?: number;
  /** Also return the weights [B, H, L, S] (outside the graph). */
  needWeights?: boolean;
}

export interface MultiHeadAttentionCoreResult {
  /** [B, L, H·dv] or [L, B, H·dv]. */
  output: Tensor;
  weights: Tensor | null;
}

const OP = 'multiHeadAttentionCore';

export function multiHeadAttentionCore(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: MultiHeadAttentionCoreOptions,
): MultiHeadAttentionCoreResult {
  const { heads, embedDim, batchFirst } = options;
  const valueDim = options.valueDim ?? embedDim;
  const qd = floatData(OP, q, 'q');
  const kd = floatData(OP, k, 'k');
  const vd = floatData(OP, v, 'v');
  if (!Number.isInteger(heads) || heads <= 0) fail(OP, `heads must be a positive integer, got ${heads}`);
  if (!Number.isInteger(embedDim) || embedDim <= 0 || embedDim % heads !== 0)
    fail(OP, `embedDim must be a positive multiple of heads (${heads}), got ${embedDim}`);
  if (!Number.isInteger(valueDim) || valueDim <= 0 || valueDim % heads !== 0)
    fail(OP, `valueDim must be a positive multiple of heads (${heads}), got ${valueDim}`);
  const offsets = [options.qOffset ?? 0, options.kOffset ?? 0, options.vOffset ?? 0];
  const widths = [embedDim, embedDim, valueDim];
  const tensors = [q, k, v];
  ['q', 'k', 'v'].forEach((name, i) => {
    const t = tensors[i]!;
    const off = offsets[i]!;
    if (t.ndim !== 3)
      fail(OP, `${name} must be [${batchFirst ? 'B, T' : 'T, B'}, features], got ${formatShape(t.shape)}`);
    if (!Number.isInteger(off) || off < 0 || off + widths[i]! > t.shape[2]!)
      fail(
        OP,
        `${name}'s heads (features ${off} to ${off + widths[i]!}) do not fit its ${t.shape[2]} features`,
      );
  });
  const batchAxis = batchFirst ? 0 : 1;
  const timeAxis = 1 - batchAxis;
  const batch = q.shape[batchAxis]!;
  const tq = q.shape[timeAxis]!;
  const tk = k.shape[timeAxis]!;
  if (k.shape[batchAxis] !== batch || v.shape[batchAxis] !== batch || v.shape[timeAxis] !== tk)
    fail(
      OP,
      `batch and length do not agree: q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`,
    );
  const kpm = options.keyPaddingMask ?? null;
  const padding = kpm ? boolData(OP, kpm, 'keyPaddingMask') : null;
  if (kpm && (kpm.ndim !== 2 || kpm.shape[0] !== batch || kpm.shape[1] !== tk))
    fail(OP, `keyPaddingMask must be bool [${batch}, ${tk}], got ${formatShape(kpm.shape)}`);
  const d = embedDim / heads;
  const dv = valueDim / heads;
  const scale = options.scale ?? 1 / Math.sqrt(d);
  if (!Number.isFinite(scale)) fail(OP, `scale must be finite, got ${scale}`);

  // Strides of a [B, T, F] or [T, B, F] tensor seen as heads [B, H, T, ·] that are `headWidth` features apart.
  const strides = (t: Tensor, headWidth: number): AttentionStrides => {
    const features = t.shape[2]!;
    return batchFirst
      ? { batch: t.shape[1]! * features, head: headWidth, row: features }
      : { batch: features, head: headWidth, row: t.shape[1]! * features };
  };
  const outShape = batchFirst ? [batch, tq, valueDim] : [tq, batch, valueDim];
  const { data: out, tensor: output } = newFloatOverwritten(outShape);
  const layout = { q: strides(q, d), k: strides(k, d), v: strides(v, dv), out: strides(output, dv) };
  const args: AttentionArgs = { batch, heads, tq, tk, d, dv, scale, causal: options.causal ?? false, layout };
  const view = (data: Float32Array, offset: number) => (offset === 0 ? data : data.subarray(offset));
  const [qv, kv, vv] = [view(qd, offsets[0]!), view(kd, offsets[1]!), view(vd, offsets[2]!)];
  const lse = new Float32Array(batch * heads * tq);
  const weights = options.needWeights ? newFloat([batch, heads, tq, tk]) : null;
  const p = attentionWeightStorage(tensors, tk, batch * heads * tq * tk, weights?.data ?? null);
  backend().attention({ q: qv, k: kv, v: vv, keyPadding: padding, ...args, out, lse, weights: p.forward });

  // One gradient buffer per distinct input; q, k and v of one packed tensor fill their own ranges of it. Ranges
  // of one tensor that overlap would clear each other's sums, so those get a buffer each (summed by backward).
  const inputs: Tensor[] = [];
  const slots: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = tensors[i]!;
    const shared = inputs.findIndex((u, j) => u === t && !overlapsAny(i, j));
    if (shared >= 0) slots.push(shared);
    else {
      slots.push(inputs.length);
      inputs.push(t);
    }
  }
  function overlapsAny(i: number, slot: number): boolean {
    for (let j = 0; j < i; j++) {
      if (slots[j] !== slot) continue;
      if (offsets[i]! < offsets[j]! + widths[j]! && offsets[j]! < offsets[i]! + widths[i]!) return true;
    }
    return false;
  }
  record(OP, output, inputs, (g) => {
    // The kernel writes every feature of the ranges it reads; features outside them get zeros.
    const grads = inputs.map((t, slot) => {
      let covered = 0;
      for (let i = 0; i < 3; i++) if (slots[i] === slot) covered += widths[i]!;
      return covered === t.shape[2] ? newFloatOverwritten(t.shape) : newFloat(t.shape);
    });
    const gradView = (i: number) => view(grads[slots[i]!]!.data, offsets[i]!);
    backend().attentionGrad({
      q: qv,
      k: kv,
      v: vv,
      keyPadding: padding,
      ...args,
      out,
      lse,
      dOut: g.data as Float32Array,
      dq: gradView(0),
      dk: gradView(1),
      dV: gradView(2),
      weights: p.kept,
    });
    p.release();
    return grads.map((x) => x.tensor);
  });
  return { output, weights: weights?.tensor ?? null };
}
