import type { KernelArgs } from '../kernels.js';

export function indexSelect({ src, outer, n, inner, index, out }: KernelArgs<'indexSelect'>): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const from = (o * n + index[j]!) * inner;
      const to = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[to + i] = src[from + i]!;
    }
  }
}

export function indexAdd({ dst, outer, n, inner, index, src }: KernelArgs<'indexAdd'>): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const to = (o * n + index[j]!) * inner;
      const from = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) dst[to + i]! += src[from + i]!;
    }
  }
}

export function gather({ src, outer, n, inner, index, m, out }: KernelArgs<'gather'>): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const row = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[row + i] = src[(o * n + index[row + i]!) * inner + i]!;
    }
  }
}

export function scatterAdd({ dst, outer, n, inner, index, m, src }: KernelArgs<'scatterAdd'>): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const row = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) dst[(o * n + index[row + i]!) * inner + i]! += src[row + i]!;
    }
  }
}
