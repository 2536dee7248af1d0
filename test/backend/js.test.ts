/** Direct tests of JS kernels on paths the ops do not all reach (strides, inner > 1, accumulation). */
import { describe, expect, it } from 'vitest';
import { jsBackend as js, type ReduceOp } from '../../src/index.js';
import { expectClose, randomData, unravel } from '../tensor/ops/helpers.js';

/** dst[dstOffset + i·dstStrides] = src[srcOffset + i·srcStrides] for every index i of shape, naively. */
function naiveCopy(
  src: ArrayLike<number>,
  srcOffset: number,
  srcStrides: number[],
  dst: number[],
  dstOffset: number,
  dstStrides: number[],
  shape: number[],
  accumulate = false,
): number[] {
  const out = dst.slice();
  const size = shape.reduce((n, d) => n * d, 1);
  for (let f = 0; f < size; f++) {
    const idx = unravel(f, shape);
    const s = idx.reduce((o, v, d) => o + v * srcStrides[d]!, srcOffset);
    const t = idx.reduce((o, v, d) => o + v * dstStrides[d]!, dstOffset);
    out[t] = accumulate ? Math.fround(out[t]! + src[s]!) : src[s]!;
  }
  return out;
}

describe('copy', () => {
  const src = Float32Array.from({ length: 60 }, (_, i) => i);
  const cases: [string, number, number[], number, number[], number[], number][] = [
    // name, srcOffset, srcStrides, dstOffset, dstStrides, shape, dst length
    ['contiguous', 0, [4, 1], 0, [4, 1], [3, 4], 12],
    ['broadcast row (stride 0 outer)', 2, [0, 1], 0, [4, 1], [3, 4], 12],
    ['broadcast column (stride 0 inner)', 0, [1, 0], 0, [5, 1], [3, 5], 15],
    ['broadcast everything', 7, [0, 0, 0], 0, [6, 3, 1], [2, 2, 3], 12],
    ['transpose', 0, [1, 4], 0, [3, 1], [4, 3], 12],
    ['permute [2,0,1] of [3,4,5]', 0, [1, 20, 5], 0, [12, 4, 1], [5, 3, 4], 60],
    ['permute with a broadcast axis', 0, [1, 0, 5], 0, [8, 4, 1], [5, 2, 4], 40],
    ['slice with offsets into a larger destination', 13, [20, 5, 1], 3, [10, 5, 1], [2, 2, 3], 24],
    ['size-1 axes between', 1, [30, 99, 5, 1], 0, [6, 6, 3, 1], [2, 1, 2, 3], 12],
    ['scalar shape', 9, [], 1, [], [], 2],
  ];
  for (const [name, so, ss, dO, ds, shape, n] of cases) {
    it(name, () => {
      const dst = new Float32Array(n).fill(-1);
      js.copy({ src, srcOffset: so, srcStrides: ss, dst, dstOffset: dO, dstStrides: ds, shape });
      expect(Array.from(dst)).toEqual(naiveCopy(src, so, ss, new Array<number>(n).fill(-1), dO, ds, shape));
    });
  }

  it('copies int32 and bool storage and does nothing for an empty shape', () => {
    const ints = Int32Array.from([1, 2, 3, 4, 5, 6]);
    const out = new Int32Array(6);
    js.copy({
      src: ints,
      srcOffset: 0,
      srcStrides: [1, 2],
      dst: out,
      dstOffset: 0,
      dstStrides: [3, 1],
      shape: [2, 3],
    });
    expect(Array.from(out)).toEqual([1, 3, 5, 2, 4, 6]);
    const bools = Uint8Array.from([1, 0]);
    const bout = new Uint8Array(4);
    js.copy({
      src: bools,
      srcOffset: 0,
      srcStrides: [0, 1],
      dst: bout,
      dstOffset: 0,
      dstStrides: [2, 1],
      shape: [2, 2],
    });
    expect(Array.from(bout)).toEqual([1, 0, 1, 0]);
    const untouched = new Float32Array([5]);
    js.copy({
      src: new Float32Array(0),
      srcOffset: 0,
      srcStrides: [1, 1],
      dst: untouched,
      dstOffset: 0,
      dstStrides: [1, 1],
      shape: [0, 3],
    });
    expect(untouched[0]).toBe(5);
  });
});

describe('copyAdd', () => {
  it('accumulates through strides, including into a stride-0 (summing) destination', () => {
    const src = randomData(1, 24);
    const cases: [number[], number[], number[], number][] = [
      [[12, 4, 1], [12, 4, 1], [2, 3, 4], 24],
      [[12, 4, 1], [0, 4, 1], [2, 3, 4], 12],
      [[12, 4, 1], [1, 0, 2], [2, 3, 4], 8],
      [[1, 2, 6], [12, 4, 1], [2, 3, 4], 24],
    ];
    for (const [ss, ds, shape, n] of cases) {
      const dst = randomData(2, n);
      const want = naiveCopy(src, 0, ss, Array.from(dst), 0, ds, shape, true);
      js.copyAdd({ src, srcOffset: 0, srcStrides: ss, dst, dstOffset: 0, dstStrides: ds, shape });
      expectClose(dst, want, 1e-6);
    }
  });
});

describe('reduce with inner > 1', () => {
  const ops: [ReduceOp, (col: number[]) => number][] = [
    ['sum', (c) => c.reduce((s, v) => s + v, 0)],
    ['max', (c) => (c.some(Number.isNaN) ? NaN : Math.max(...c))],
    ['min', (c) => (c.some(Number.isNaN) ? NaN : Math.min(...c))],
    [
      'logsumexp',
      (c) => {
        if (c.some(Number.isNaN)) return NaN;
        const m = Math.max(...c);
        return Math.abs(m) === Infinity ? m : m + Math.log(c.reduce((s, v) => s + Math.exp(v - m), 0));
      },
    ],
  ];
  const naive = (x: Float32Array, outer: number, n: number, inner: number, f: (c: number[]) => number) => {
    const out: number[] = [];
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++)
        out.push(f(Array.from({ length: n }, (_, j) => x[(o * n + j) * inner + i]!)));
    return out;
  };

  for (const [op, f] of ops) {
    it(`${op} matches a column-wise reduction, with NaN and ±∞ columns`, () => {
      for (const [outer, n, inner] of [
        [1, 3, 2],
        [2, 5, 3],
        [3, 1, 4],
        [2, 4, 1],
      ] as const) {
        const x = randomData(outer * 100 + n * 10 + inner, outer * n * inner, -3, 3);
        const out = new Float32Array(outer * inner);
        js.reduce({ op, x, outer, n, inner, out });
        expectClose(out, naive(x, outer, n, inner, f), 1e-6);
      }
      // Columns of [4, 4]: NaN first, NaN last, all -∞, one +∞.
      const x = Float32Array.from([
        NaN,
        1,
        -Infinity,
        2,
        0,
        2,
        -Infinity,
        Infinity,
        5,
        3,
        -Infinity,
        1,
        1,
        NaN,
        -Infinity,
        0,
      ]);
      const out = new Float32Array(4);
      js.reduce({ op, x, outer: 1, n: 4, inner: 4, out });
      expectClose(out, naive(x, 1, 4, 4, f), 1e-6);
    });
  }
});

describe('argReduce with inner > 1', () => {
  it('finds the first extreme of every column', () => {
    // [2, 3, 2] viewed as outer 2, n 3, inner 2.
    const x = Float32Array.from([1, 5, 3, 5, 3, 0, 2, -1, 2, -1, 0, 7]);
    const amax = new Int32Array(4);
    const amin = new Int32Array(4);
    js.argReduce({ op: 'argmax', x, outer: 2, n: 3, inner: 2, out: amax });
    js.argReduce({ op: 'argmin', x, outer: 2, n: 3, inner: 2, out: amin });
    expect(Array.from(amax)).toEqual([1, 0, 0, 2]);
    expect(Array.from(amin)).toEqual([0, 2, 2, 0]);
  });

  it('points at a NaN and reads int32 storage', () => {
    const x = Float32Array.from([1, 2, NaN, 0, 3, NaN]);
    const out = new Int32Array(2);
    js.argReduce({ op: 'argmax', x, outer: 1, n: 3, inner: 2, out });
    expect(Array.from(out)).toEqual([1, 2]);
    js.argReduce({ op: 'argmin', x, outer: 1, n: 3, inner: 2, out });
    expect(Array.from(out)).toEqual([1, 2]);
    const ints = Int32Array.from([4, -1, 4, 9, 0, 9]);
    js.argReduce({ op: 'argmax', x: ints, outer: 1, n: 3, inner: 2, out });
    expect(Array.from(out)).toEqual([0, 1]);
  });
});

describe('softmax kernel with inner > 1', () => {
  it('normalises every column and gives zeros for an all -∞ column', () => {
    const x = Float32Array.from([0, -Infinity, Math.log(3), -Infinity]); // [n 2, inner 2]
    const out = new Float32Array(4);
    js.softmax({ x, outer: 1, n: 2, inner: 2, log: false, out });
    expectClose(out, [0.25, 0, 0.75, 0]);
    js.softmax({ x, outer: 1, n: 2, inner: 2, log: true, out });
    expectClose(out, [Math.log(0.25), -Infinity, Math.log(0.75), -Infinity]);
  });
});

describe('binary and where through strides', () => {
  it('binary reads a transposed and a broadcast operand', () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]); // [2,3] read as its transpose [3,2]
    const b = Float32Array.from([10, 20]); // row [2]
    const out = new Float32Array(6);
    js.binary({ op: 'add', a, aStrides: [1, 3], b, bStrides: [0, 1], out, shape: [3, 2] });
    expect(Array.from(out)).toEqual([11, 24, 12, 25, 13, 26]);
  });

  it('where broadcasts all three operands', () => {
    const cond = Uint8Array.from([1, 0]);
    const out = new Float32Array(6);
    js.where({
      cond,
      condStrides: [1, 0],
      a: Float32Array.from([1, 2, 3]),
      aStrides: [0, 1],
      b: Float32Array.from([-1]),
      bStrides: [0, 0],
      out,
      shape: [2, 3],
    });
    expect(Array.from(out)).toEqual([1, 2, 3, -1, -1, -1]);
  });
});

describe('matmul kernel', () => {
  it('reuses a shared (stride 0) transposed operand across the batch', () => {
    const m = 5;
    const k = 6;
    const n = 3;
    const a = randomData(1, k * m); // one matrix stored [k, m]
    const b = randomData(2, 2 * n * k); // two matrices stored [n, k]
    const out = new Float32Array(2 * m * n);
    js.matmul({ a, b, out, batch: 2, m, n, k, transA: true, transB: true, strideA: 0, strideB: n * k });
    const want: number[] = [];
    for (let bi = 0; bi < 2; bi++)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[p * m + i]! * b[bi * n * k + j * k + p]!;
          want.push(s);
        }
    expectClose(out, want, 1e-5);
  });
});

describe('indexing kernels', () => {
  it('gather and scatterAdd with inner > 1 are adjoint', () => {
    // src [outer 2, n 3, inner 2], index [2, m 2, 2]
    const src = Float32Array.from({ length: 12 }, (_, i) => i);
    const index = Int32Array.from([2, 0, 1, 1, 0, 2, 2, 2]);
    const out = new Float32Array(8);
    js.gather({ src, outer: 2, n: 3, inner: 2, index, m: 2, out });
    expect(Array.from(out)).toEqual([4, 1, 2, 3, 6, 11, 10, 11]);
    const dst = new Float32Array(12);
    js.scatterAdd({
      dst,
      outer: 2,
      n: 3,
      inner: 2,
      index,
      m: 2,
      src: Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1]),
    });
    expect(Array.from(dst)).toEqual([0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 2]);
  });

  it('indexSelect and indexAdd with outer > 1', () => {
    const src = Float32Array.from({ length: 12 }, (_, i) => i); // [2, 3, 2]
    const index = Int32Array.from([2, 2, 0]);
    const out = new Float32Array(12);
    js.indexSelect({ src, outer: 2, n: 3, inner: 2, index, out });
    expect(Array.from(out)).toEqual([4, 5, 4, 5, 0, 1, 10, 11, 10, 11, 6, 7]);
    const dst = new Float32Array(12);
    js.indexAdd({ dst, outer: 2, n: 3, inner: 2, index, src: new Float32Array(12).fill(1) });
    expect(Array.from(dst)).toEqual([1, 1, 0, 0, 2, 2, 1, 1, 0, 0, 2, 2]);
  });
});
