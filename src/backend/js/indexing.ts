import type { DataArray } from '../../tensor/dtype.js';

export function indexSelect(
  src: DataArray,
  outer: number,
  n: number,
  inner: number,
  index: Int32Array,
  out: DataArray,
): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const from = (o * n + index[j]!) * inner;
      const to = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[to + i] = src[from + i]!;
    }
  }
}

export function indexAdd(
  dst: Float32Array,
  outer: number,
  n: number,
  inner: number,
  index: Int32Array,
  src: Float32Array,
): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const to = (o * n + index[j]!) * inner;
      const from = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) dst[to + i]! += src[from + i]!;
    }
  }
}

export function gather(
  src: DataArray,
  outer: number,
  n: number,
  inner: number,
  index: Int32Array,
  m: number,
  out: DataArray,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const row = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[row + i] = src[(o * n + index[row + i]!) * inner + i]!;
    }
  }
}

export function scatterAdd(
  dst: Float32Array,
  outer: number,
  n: number,
  inner: number,
  index: Int32Array,
  m: number,
  src: Float32Array,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const row = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) dst[(o * n + index[row + i]!) * inner + i]! += src[row + i]!;
    }
  }
}
