import type { DataArray } from '../../tensor/dtype.js';
import { gelu, geluGrad } from './erf.js';
import { collapse, RowWalker } from './strided.js';
import type { BinaryOp, CompareOp, KernelArgs } from '../kernels.js';

// One loop per op: the switch runs once per call, never per element.
export function unary({ op, x, out }: KernelArgs<'unary'>): void {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i]!;
      return;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!);
      return;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!);
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!);
      return;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        // Two branches keep exp's argument non-positive, so neither overflows.
        if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          out[i] = e / (1 + e);
        }
      }
      return;
    case 'relu':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = v > 0 ? v : 0;
      }
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) out[i] = gelu(x[i]!);
      return;
    case 'sign':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = v > 0 ? 1 : v < 0 ? -1 : 0;
      }
      return;
    case 'square':
      for (let i = 0; i < n; i++) out[i] = x[i]! * x[i]!;
      return;
    case 'reciprocal':
      for (let i = 0; i < n; i++) out[i] = 1 / x[i]!;
      return;
  }
}

export function unaryGrad({ op, x, y, dy, dx }: KernelArgs<'unaryGrad'>): void {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) dx[i] = -dy[i]!;
      return;
    case 'exp':
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * y[i]!;
      return;
    case 'log':
      for (let i = 0; i < n; i++) dx[i] = dy[i]! / x[i]!;
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) dx[i] = dy[i]! / (2 * y[i]!);
      return;
    case 'abs':
      // PyTorch's convention: the gradient of |x| at 0 is 0.
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        dx[i] = v > 0 ? dy[i]! : v < 0 ? -dy[i]! : 0;
      }
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * (1 - y[i]! * y[i]!);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * y[i]! * (1 - y[i]!);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) dx[i] = x[i]! > 0 ? dy[i]! : 0;
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * geluGrad(x[i]!);
      return;
    case 'sign':
      dx.fill(0);
      return;
    case 'square':
      for (let i = 0; i < n; i++) dx[i] = 2 * x[i]! * dy[i]!;
      return;
    case 'reciprocal':
      for (let i = 0; i < n; i++) dx[i] = -dy[i]! * y[i]! * y[i]!;
      return;
  }
}

export function clamp({ x, lo, hi, out }: KernelArgs<'clamp'>): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

function binaryRow(
  op: BinaryOp,
  a: Float32Array,
  ia: number,
  sa: number,
  b: Float32Array,
  ib: number,
  sb: number,
  out: Float32Array,
  io: number,
  n: number,
): void {
  switch (op) {
    case 'add':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[io + i] = a[ia]! + b[ib]!;
      return;
    case 'sub':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[io + i] = a[ia]! - b[ib]!;
      return;
    case 'mul':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[io + i] = a[ia]! * b[ib]!;
      return;
    case 'div':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[io + i] = a[ia]! / b[ib]!;
      return;
    case 'pow':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[io + i] = Math.pow(a[ia]!, b[ib]!);
      return;
    case 'maximum':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) {
        const u = a[ia]!;
        const v = b[ib]!;
        // NaN propagates, as in PyTorch.
        out[io + i] = u > v || u !== u ? u : v;
      }
      return;
    case 'minimum':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) {
        const u = a[ia]!;
        const v = b[ib]!;
        out[io + i] = u < v || u !== u ? u : v;
      }
      return;
  }
}

export function binary({ op, a, aStrides, b, bStrides, out, shape }: KernelArgs<'binary'>): void {
  if (out.length === 0) return;
  const walker = new RowWalker(collapse(shape, [aStrides, bStrides]), [0, 0]);
  const n = walker.length;
  const [sa, sb] = walker.innerStrides as [number, number];
  for (let r = 0, io = 0; r < walker.rows; r++, io += n) {
    binaryRow(op, a, walker.offsets[0]!, sa, b, walker.offsets[1]!, sb, out, io, n);
    walker.next();
  }
}

function compareRow(
  op: CompareOp,
  a: DataArray,
  ia: number,
  sa: number,
  b: DataArray,
  ib: number,
  sb: number,
  out: Uint8Array,
  io: number,
  n: number,
): void {
  switch (op) {
    case 'eq':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[io + i] = a[ia] === b[ib] ? 1 : 0;
      return;
    case 'ne':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[io + i] = a[ia] !== b[ib] ? 1 : 0;
      return;
    case 'lt':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[io + i] = a[ia]! < b[ib]! ? 1 : 0;
      return;
    case 'le':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[io + i] = a[ia]! <= b[ib]! ? 1 : 0;
      return;
    case 'gt':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[io + i] = a[ia]! > b[ib]! ? 1 : 0;
      return;
    case 'ge':
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[io + i] = a[ia]! >= b[ib]! ? 1 : 0;
      return;
  }
}

export function compare({ op, a, aStrides, b, bStrides, out, shape }: KernelArgs<'compare'>): void {
  if (out.length === 0) return;
  const walker = new RowWalker(collapse(shape, [aStrides, bStrides]), [0, 0]);
  const n = walker.length;
  const [sa, sb] = walker.innerStrides as [number, number];
  for (let r = 0, io = 0; r < walker.rows; r++, io += n) {
    compareRow(op, a, walker.offsets[0]!, sa, b, walker.offsets[1]!, sb, out, io, n);
    walker.next();
  }
}

export function where({
  cond,
  condStrides,
  a,
  aStrides,
  b,
  bStrides,
  out,
  shape,
}: KernelArgs<'where'>): void {
  if (out.length === 0) return;
  const walker = new RowWalker(collapse(shape, [condStrides, aStrides, bStrides]), [0, 0, 0]);
  const n = walker.length;
  const [sc, sa, sb] = walker.innerStrides as [number, number, number];
  for (let r = 0, io = 0; r < walker.rows; r++, io += n) {
    let ic = walker.offsets[0]!;
    let ia = walker.offsets[1]!;
    let ib = walker.offsets[2]!;
    for (let i = 0; i < n; i++, ic += sc, ia += sa, ib += sb) out[io + i] = cond[ic] ? a[ia]! : b[ib]!;
    walker.next();
  }
}
