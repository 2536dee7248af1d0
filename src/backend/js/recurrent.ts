/**
 * Fused GRU and LSTM steps (the reference for Backend.gruCell, gruCellGrad, lstmCell, lstmCellGrad). Gate
 * pre-activations are gate-major [G, B, H]; element (b, j) of gate q sits at q·B·H + b·H + j (GRU also takes
 * rows [B, 3H], see gateLayout).
 */
import type { KernelArgs } from '../kernels.js';

function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/**
 * Where gate q of element (b, j) sits: b·row + q·gate + j — gate-major [3, B, H] (row H, gate B·H) or, with
 * `rows`, [B, 3H] rows r | z | n (row 3H, gate H).
 */
function gateLayout(rows: boolean | undefined, batch: number, hidden: number): { row: number; gate: number } {
  return rows ? { row: 3 * hidden, gate: hidden } : { row: hidden, gate: batch * hidden };
}

export function gruCell({
  xg,
  hg,
  h,
  biasHn,
  batch,
  hidden,
  rows,
  hNew,
  gates,
}: KernelArgs<'gruCell'>): void {
  const { row, gate } = gateLayout(rows, batch, hidden);
  for (let b = 0; b < batch; b++)
    for (let j = 0; j < hidden; j++) {
      const o = b * row + j;
      const i = b * hidden + j;
      const r = Math.fround(sigmoid(xg[o]! + hg[o]!));
      const z = Math.fround(sigmoid(xg[gate + o]! + hg[gate + o]!));
      const hn = biasHn ? Math.fround(hg[2 * gate + o]! + biasHn[j]!) : hg[2 * gate + o]!;
      const c = Math.fround(Math.tanh(xg[2 * gate + o]! + r * hn));
      gates[o] = r;
      gates[gate + o] = z;
      gates[2 * gate + o] = c;
      hNew[i] = c + z * (h[i]! - c);
    }
}

export function gruCellGrad({
  hg,
  h,
  biasHn,
  gates,
  dhNew,
  batch,
  hidden,
  rows,
  dxg,
  dhg,
  dh,
}: KernelArgs<'gruCellGrad'>): void {
  const { row, gate } = gateLayout(rows, batch, hidden);
  for (let b = 0; b < batch; b++)
    for (let j = 0; j < hidden; j++) {
      const o = b * row + j;
      const i = b * hidden + j;
      const r = gates[o]!;
      const z = gates[gate + o]!;
      const c = gates[2 * gate + o]!;
      const hn = biasHn ? Math.fround(hg[2 * gate + o]! + biasHn[j]!) : hg[2 * gate + o]!;
      const g = dhNew[i]!;
      dh[i] = g * z;
      const dn = g * (1 - z) * (1 - c * c);
      const dz = g * (h[i]! - c) * z * (1 - z);
      const dr = dn * hn * r * (1 - r);
      dxg[o] = dr;
      dhg[o] = dr;
      dxg[gate + o] = dz;
      dhg[gate + o] = dz;
      dxg[2 * gate + o] = dn;
      dhg[2 * gate + o] = dn * r;
    }
}

export function lstmCell({ xg, hg, c, batch, hidden, hNew, cNew, gates }: KernelArgs<'lstmCell'>): void {
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

export function lstmCellGrad({
  c,
  cNew,
  gates,
  dhNew,
  dcNew,
  batch,
  hidden,
  dPre,
  dc,
}: KernelArgs<'lstmCellGrad'>): void {
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
