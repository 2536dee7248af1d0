/**
 * Fused scaled-dot-product attention, the reference: one query row at a time, in double precision, holding only
 * a row of tk scores (O(T) memory like the native kernel, but no tiling).
 *
 *   s_j = scale · q·k_j (−∞ where masked),  p_j = exp(s_j − lse),  lse = log Σ_j exp(s_j),  out = Σ_j p_j·v_j
 *   backward: D = dOut·out,  dv_j += p_j·dOut,  ds_j = p_j·(dOut·v_j − D),  dq += scale·Σ_j ds_j·k_j,
 *             dk_j += scale·ds_j·q
 * The backward recomputes p_j from the scores and lse, or reads them from the weights the forward wrote when it
 * is handed those (then masked keys have p_j = 0 there).
 * A query whose keys are all masked gets zero output and weights, lse = −∞ and no gradient.
 * Operands are addressed through their strides (args.layout, contiguous by default).
 */
import type { AttentionLayout, AttentionStrides } from '../kernels.js';
import type { KernelArgs } from '../kernels.js';

const contiguous = (heads: number, t: number, features: number): AttentionStrides => ({
  batch: heads * t * features,
  head: t * features,
  row: features,
});

function layoutOf(args: KernelArgs<'attention'> | KernelArgs<'attentionGrad'>): AttentionLayout {
  const { heads, tq, tk, d, dv } = args;
  return (
    args.layout ?? {
      q: contiguous(heads, tq, d),
      k: contiguous(heads, tk, d),
      v: contiguous(heads, tk, dv),
      out: contiguous(heads, tq, dv),
    }
  );
}

/** Offset of row t of head h (flat index b·heads + h) in an operand with strides s. */
function rowAt(s: AttentionStrides, heads: number, h: number, t: number): number {
  return Math.floor(h / heads) * s.batch + (h % heads) * s.head + t * s.row;
}

/** Fills row[j] with the masked, scaled scores of query i of head h against every key; returns their max. */
function scoreRow(
  q: Float32Array,
  k: Float32Array,
  keyPadding: Uint8Array | null,
  args: KernelArgs<'attention'> | KernelArgs<'attentionGrad'>,
  layout: AttentionLayout,
  h: number,
  i: number,
  row: Float64Array,
): number {
  const { heads, tk, d, scale, causal } = args;
  const b = Math.floor(h / heads);
  const qOff = rowAt(layout.q, heads, h, i);
  let max = -Infinity;
  for (let j = 0; j < tk; j++) {
    if ((causal && j > i) || (keyPadding !== null && keyPadding[b * tk + j])) {
      row[j] = -Infinity;
      continue;
    }
    const kOff = rowAt(layout.k, heads, h, j);
    let s = 0;
    for (let c = 0; c < d; c++) s += q[qOff + c]! * k[kOff + c]!;
    s *= scale;
    row[j] = s;
    if (s > max) max = s;
  }
  return max;
}

export function attention(args: KernelArgs<'attention'>): void {
  const { q, k, v, keyPadding, out, lse, weights } = args;
  const { batch, heads, tq, tk, dv } = args;
  const layout = layoutOf(args);
  const row = new Float64Array(tk);
  const acc = new Float64Array(dv);
  for (let h = 0; h < batch * heads; h++) {
    for (let i = 0; i < tq; i++) {
      const r = h * tq + i;
      const o = rowAt(layout.out, heads, h, i);
      const max = scoreRow(q, k, keyPadding, args, layout, h, i, row);
      if (max === -Infinity) {
        out.fill(0, o, o + dv);
        lse[r] = -Infinity;
        if (weights) weights.fill(0, r * tk, (r + 1) * tk);
        continue;
      }
      let sum = 0;
      for (let j = 0; j < tk; j++) {
        const e = Math.exp(row[j]! - max);
        row[j] = e;
        sum += e;
      }
      acc.fill(0);
      for (let j = 0; j < tk; j++) {
        const p = row[j]!;
        if (p === 0) continue;
        const vOff = rowAt(layout.v, heads, h, j);
        for (let c = 0; c < dv; c++) acc[c]! += p * v[vOff + c]!;
      }
      for (let c = 0; c < dv; c++) out[o + c] = acc[c]! / sum;
      lse[r] = max + Math.log(sum);
      if (weights) for (let j = 0; j < tk; j++) weights[r * tk + j] = row[j]! / sum;
    }
  }
}

export function attentionGrad(args: KernelArgs<'attentionGrad'>): void {
  const { q, k, v, keyPadding, out, lse, dOut, dq, dk, dV: dv, weights = null } = args;
  const { batch, heads, tq, tk, d, scale } = args;
  const dvn = args.dv;
  const layout = layoutOf(args);
  // Only the operands' own rows are cleared: dq, dk and dv may be views of one buffer.
  for (let h = 0; h < batch * heads; h++) {
    for (let i = 0; i < tq; i++) dq.fill(0, rowAt(layout.q, heads, h, i), rowAt(layout.q, heads, h, i) + d);
    for (let j = 0; j < tk; j++) {
      dk.fill(0, rowAt(layout.k, heads, h, j), rowAt(layout.k, heads, h, j) + d);
      dv.fill(0, rowAt(layout.v, heads, h, j), rowAt(layout.v, heads, h, j) + dvn);
    }
  }
  const row = new Float64Array(tk);
  for (let h = 0; h < batch * heads; h++) {
    for (let i = 0; i < tq; i++) {
      const r = h * tq + i;
      const l = lse[r]!;
      if (l === -Infinity) continue;
      if (weights === null) {
        scoreRow(q, k, keyPadding, args, layout, h, i, row);
        for (let j = 0; j < tk; j++) row[j] = Math.exp(row[j]! - l);
      } else {
        for (let j = 0; j < tk; j++) row[j] = weights[r * tk + j]!;
      }
      const o = rowAt(layout.out, heads, h, i);
      let delta = 0;
      for (let c = 0; c < dvn; c++) delta += dOut[o + c]! * out[o + c]!;
      const qOff = rowAt(layout.q, heads, h, i);
      for (let j = 0; j < tk; j++) {
        const p = row[j]!;
        if (p === 0) continue;
        const vOff = rowAt(layout.v, heads, h, j);
        const kOff = rowAt(layout.k, heads, h, j);
        let dp = 0;
        for (let c = 0; c < dvn; c++) {
          dp += dOut[o + c]! * v[vOff + c]!;
          dv[vOff + c]! += p * dOut[o + c]!;
        }
        const ds = scale * p * (dp - delta);
        for (let c = 0; c < d; c++) {
          dq[qOff + c]! += ds * k[kOff + c]!;
          dk[kOff + c]! += ds * q[qOff + c]!;
        }
      }
    }
  }
}
