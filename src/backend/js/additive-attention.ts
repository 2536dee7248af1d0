/**
 * Additive (Bahdanau) attention of one decoder step over keys projected once per batch (the reference for
 * Backend.additiveAttention and additiveAttentionGrad; see AdditiveAttentionArgs for the formula):
 *   e[b, s] = vBias + Σ_u v[u]·tanh(keys[b, s, u] + query[b, u]),  α = softmax_s(e),  context = Σ_s α·memory.
 * The gradient recomputes tanh rather than storing the [B, S, U] activations of every step: one extra tanh per
 * element is cheaper than writing and re-reading them. Rows b are independent except for dV, which is summed
 * per row and then over rows in order (the native kernel keeps that order whatever its threads).
 */
import type { KernelArgs } from '../kernels.js';

export function additiveAttention({
  keys,
  query,
  v,
  memory,
  mask,
  batch,
  length,
  units,
  width,
  vBias,
  weights,
  context,
}: KernelArgs<'additiveAttention'>): void {
  const e = new Float64Array(length);
  for (let b = 0; b < batch; b++) {
    let max = -Infinity;
    for (let s = 0; s < length; s++) {
      const row = b * length + s;
      if (mask && mask[row]) {
        e[s] = -Infinity;
        continue;
      }
      let acc = 0;
      const k = row * units;
      const q = b * units;
      for (let u = 0; u < units; u++) acc += v[u]! * Math.fround(Math.tanh(keys[k + u]! + query[q + u]!));
      e[s] = Math.fround(acc + vBias);
      if (e[s]! > max) max = e[s]!;
    }
    const ctx = b * width;
    context.fill(0, ctx, ctx + width);
    if (max === -Infinity) {
      weights.fill(0, b * length, (b + 1) * length);
      continue;
    }
    let total = 0;
    for (let s = 0; s < length; s++) {
      e[s] = Math.exp(e[s]! - max);
      total += e[s]!;
    }
    for (let s = 0; s < length; s++) {
      const a = Math.fround(e[s]! / total);
      weights[b * length + s] = a;
      if (a === 0) continue;
      const m = (b * length + s) * width;
      for (let j = 0; j < width; j++) context[ctx + j] = context[ctx + j]! + a * memory[m + j]!;
    }
  }
}

export function additiveAttentionGrad({
  keys,
  query,
  v,
  memory,
  mask,
  batch,
  length,
  units,
  width,
  weights,
  dContext,
  dWeights,
  dScores,
  dQuery,
  dKeys,
  dV,
  dMemory,
}: KernelArgs<'additiveAttentionGrad'>): void {
  const dAlpha = new Float64Array(length);
  const dVRow = new Float64Array(units);
  const dq = new Float64Array(units);
  for (let b = 0; b < batch; b++) {
    const ctx = b * width;
    // dα_s = dContext · memory_s (+ the weights' own gradient); de = α ⊙ (dα − Σ α dα).
    let dot = 0;
    for (let s = 0; s < length; s++) {
      const row = b * length + s;
      const m = row * width;
      let acc = dWeights ? dWeights[row]! : 0;
      for (let j = 0; j < width; j++) acc += dContext[ctx + j]! * memory[m + j]!;
      dAlpha[s] = acc;
      dot += weights[row]! * acc;
    }
    dVRow.fill(0);
    dq.fill(0);
    for (let s = 0; s < length; s++) {
      const row = b * length + s;
      const a = weights[row]!;
      const de = Math.fround(a * (dAlpha[s]! - dot));
      dScores[row] = de;
      if (a === 0 || (mask && mask[row])) continue;
      const m = row * width;
      if (dMemory) for (let j = 0; j < width; j++) dMemory[m + j] = dMemory[m + j]! + a * dContext[ctx + j]!;
      if (de === 0) continue;
      const k = row * units;
      const q = b * units;
      for (let u = 0; u < units; u++) {
        const t = Math.fround(Math.tanh(keys[k + u]! + query[q + u]!));
        dVRow[u] = dVRow[u]! + de * t;
        const dPre = Math.fround(de * v[u]! * (1 - t * t));
        dKeys[k + u] = dKeys[k + u]! + dPre;
        dq[u] = dq[u]! + dPre;
      }
    }
    for (let u = 0; u < units; u++) {
      dQuery[b * units + u] = dq[u]!;
      dV[u] = dV[u]! + dVRow[u]!;
    }
  }
}
