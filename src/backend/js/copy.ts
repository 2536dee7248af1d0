import { collapse, RowWalker } from './strided.js';
import type { KernelArgs } from '../kernels.js';

export function copy({
  src,
  srcOffset,
  srcStrides,
  dst,
  dstOffset,
  dstStrides,
  shape,
}: KernelArgs<'copy'>): void {
  for (const d of shape) if (d === 0) return;
  const walker = new RowWalker(collapse(shape, [srcStrides, dstStrides]), [srcOffset, dstOffset]);
  const n = walker.length;
  const ss = walker.innerStrides[0]!;
  const ds = walker.innerStrides[1]!;
  for (let r = 0; r < walker.rows; r++) {
    let s = walker.offsets[0]!;
    let t = walker.offsets[1]!;
    if (ss === 1 && ds === 1) {
      for (let i = 0; i < n; i++) dst[t + i] = src[s + i]!;
    } else {
      for (let i = 0; i < n; i++, s += ss, t += ds) dst[t] = src[s]!;
    }
    walker.next();
  }
}

export function copyAdd({
  src,
  srcOffset,
  srcStrides,
  dst,
  dstOffset,
  dstStrides,
  shape,
}: KernelArgs<'copyAdd'>): void {
  for (const d of shape) if (d === 0) return;
  const walker = new RowWalker(collapse(shape, [srcStrides, dstStrides]), [srcOffset, dstOffset]);
  const n = walker.length;
  const ss = walker.innerStrides[0]!;
  const ds = walker.innerStrides[1]!;
  for (let r = 0; r < walker.rows; r++) {
    let s = walker.offsets[0]!;
    let t = walker.offsets[1]!;
    for (let i = 0; i < n; i++, s += ss, t += ds) dst[t]! += src[s]!;
    walker.next();
  }
}
