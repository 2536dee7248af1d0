/**
 * Fused GRU and LSTM steps (the reference for Backend.gruCell, gruCellGrad, lstmCell, lstmCellGrad). Gate
 * pre-activations are gate-major [G, B, H]; element (b, j) of gate q sits at q·B·H + b·H + j.
 */
import type { CellArgs } from '../kernels.js';

function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export function gruCell(
  xg: Float32Array,
  hg: Float32Array,
  h: Float32Array,
  biasHn: Float32Array | null,
  { batch, hidden }: CellArgs,
  hNew: Float32Array,
  gates: Float32Array,
): void {
  const n = batch * hidden;
  for (let i = 0; i < n; i++) {
    const j = i % hidden;
    const r = Math.fround(sigmoid(xg[i]! + hg[i]!));
    const z = Math.fround(sigmoid(xg[n + i]! + hg[n + i]!));
    const hn = biasHn ? Math.fround(hg[2 * n + i]! + biasHn[j]!) : hg[2 * n + i]!;
    const c = Math.fround(Math.tanh(xg[2 * n + i]! + r * hn));
    gates[i] = r;
    gates[n + i] = z;
    gates[2 * n + i] = c;
    hNew[i] = c + z * (h[i]! - c);
  }
}

export function gruCellGrad(
  hg: Float32Array,
  h: Float32Array,
  biasHn: Float32Array | null,
  gates: Float32Array,
  dhNew: Float32Array,
  { batch, hidden }: CellArgs,
  dxg: Float32Array,
  dhg: Float32Array,
  dh: Float32Array,
): void {
  const n = batch * hidden;
  for (let i = 0; i < n; i++) {
    const r = gates[i]!;
    const z = gates[n + i]!;
    const c = gates[2 * n + i]!;
    const hn = biasHn ? Math.fround(hg[2 * n + i]! + biasHn[i % hidden]!) : hg[2 * n + i]!;
    const g = dhNew[i]!;
    dh[i] = g * z;
    const dn = g * (1 - z) * (1 - c * c);
    const dz = g * (h[i]! - c) * z * (1 - z);
    const dr = dn * hn * r * (1 - r);
    dxg[i] = dr;
    dhg[i] = dr;
    dxg[n + i] = dz;
    dhg[n + i] = dz;
    dxg[2 * n + i] = dn;
    dhg[2 * n + i] = dn * r;
  }
}

export function lstmCell(
  xg: Float32Array,
  hg: Float32Array,
  c: Float32Array,
  { batch, hidden }: CellArgs,
  hNew: Float32Array,
  cNew: Float32Array,
  gates: Float32Array,
): void {
  const n = batch * hidden;
  for (let i = 0; i < n; i++) {
    const ig = Math.fround(sigmoid(xg[i]! + hg[i]!));
    const fg = Math.fround(sigmoid(xg[n + i]! + hg[n + i]!));
    const gg = Math.fround(Math.tanh(xg[2 * n + i]! + hg[2 * n + i]!));
    const og = Math.fround(sigmoid(xg[3 * n + i]! + hg[3 * n + i]!));
    gates[i] = ig;
    gates[n + i] = fg;
    gates[2 * n + i] = gg;
    gates[3 * n + i] = og;
    const cn = Math.fround(fg * c[i]! + ig * gg);
    cNew[i] = cn;
    hNew[i] = og * Math.tanh(cn);
  }
}

export function lstmCellGrad(
  c: Float32Array,
  cNew: Float32Array,
  gates: Float32Array,
  dhNew: Float32Array,
  dcNew: Float32Array,
  { batch, hidden }: CellArgs,
  dPre: Float32Array,
  dc: Float32Array,
): void {
  const n = batch * hidden;
  for (let i = 0; i < n; i++) {
    const ig = gates[i]!;
    const fg = gates[n + i]!;
    const gg = gates[2 * n + i]!;
    const og = gates[3 * n + i]!;
    const tc = Math.tanh(cNew[i]!);
    const dh = dhNew[i]!;
    const dct = dcNew[i]! + dh * og * (1 - tc * tc);
    dc[i] = dct * fg;
    dPre[i] = dct * gg * ig * (1 - ig);
    dPre[n + i] = dct * c[i]! * fg * (1 - fg);
    dPre[2 * n + i] = dct * ig * (1 - gg * gg);
    dPre[3 * n + i] = dh * tc * og * (1 - og);
  }
}
