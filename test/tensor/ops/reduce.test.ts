import { describe, expect, it } from 'vitest';
import {
  argmax,
  argmin,
  arange,
  cast,
  full,
  logSoftmax,
  logsumexp,
  max,
  mean,
  min,
  scalar,
  softmax,
  sum,
  tensor,
  variance,
  type Tensor,
} from '../../../src/index.js';
import { expectClose, expectTensor, randomTensor, stridesOf, unravel } from './helpers.js';

/** Reduces `axes` of x index by index (in double precision); returns the values and the keepdim shape. */
function naiveReduce(
  x: Tensor,
  axes: readonly number[],
  init: number,
  step: (acc: number, v: number) => number,
  finish: (acc: number, count: number) => number = (acc) => acc,
): { shape: number[]; values: number[] } {
  const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const size = shape.reduce((n, d) => n * d, 1);
  const acc = new Array<number>(size).fill(init);
  const strides = stridesOf(shape);
  for (let i = 0; i < x.size; i++) {
    const idx = unravel(i, x.shape);
    let o = 0;
    idx.forEach((v, a) => (o += (axes.includes(a) ? 0 : v) * strides[a]!));
    acc[o] = step(acc[o]!, x.data[i]!);
  }
  const count = x.size / size;
  return { shape, values: acc.map((v) => finish(v, count)) };
}

const dropAxes = (shape: readonly number[], axes: readonly number[]) =>
  shape.filter((_, i) => !axes.includes(i));

/** Every subset of the axes 0..n-1 (non-adjacent ones included). */
function subsets(n: number): number[][] {
  const out: number[][] = [];
  for (let mask = 1; mask < 1 << n; mask++) out.push([...Array(n).keys()].filter((a) => mask & (1 << a)));
  return out;
}

describe('reductions over any set of axes', () => {
  const x = randomTensor(7, [2, 3, 4, 5]);
  const ops: [
    string,
    (t: Tensor, axes: number[], keepdim: boolean) => Tensor,
    number,
    (a: number, v: number) => number,
    ((a: number, c: number) => number)?,
  ][] = [
    ['sum', sum, 0, (a, v) => a + v],
    ['mean', mean, 0, (a, v) => a + v, (a, c) => a / c],
    ['max', max, -Infinity, Math.max],
    ['min', min, Infinity, Math.min],
    ['logsumexp', logsumexp, 0, (a, v) => a + Math.exp(v), Math.log],
  ];
  for (const [name, op, init, step, finish] of ops) {
    it(`${name} matches a naive reduction for all ${subsets(4).length} axis sets, with and without keepdim`, () => {
      for (const axes of subsets(4)) {
        const { shape, values } = naiveReduce(x, axes, init, step, finish);
        expectTensor(op(x, axes, true), shape, values, 1e-5);
        expectTensor(op(x, axes, false), dropAxes(x.shape, axes), values, 1e-5);
      }
    });
  }

  it('take negative axes, a single axis, and all axes by default', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expectTensor(sum(t), [], [21]);
    expectTensor(sum(t, undefined, true), [1, 1], [21]);
    expectTensor(sum(t, 0), [3], [5, 7, 9]);
    expectTensor(sum(t, -1), [2], [6, 15]);
    expectTensor(sum(t, [-1, 0]), [], [21]);
    expectTensor(mean(t, 1, true), [2, 1], [2, 5]);
    expectTensor(max(t, 0), [3], [4, 5, 6]);
    expectTensor(min(t, 1), [2], [1, 4]);
    expectTensor(t.sum(1), [2], [6, 15]);
    expectTensor(t.mean(), [], [3.5]);
    expectTensor(t.max([0, 1], true), [1, 1], [6]);
    expectTensor(
      t.logsumexp(1),
      [2],
      [3 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), 6 + Math.log(1 + Math.exp(-1) + Math.exp(-2))],
    );
  });

  it('non-adjacent axes of [2,3,4] reduce to the hand-computed values', () => {
    const t = cast(arange(24), 'float32').reshape([2, 3, 4]);
    // sum over axes 0 and 2 of v = 12a + 4b + c: Σ_a Σ_c = 8·4b + (0+12)·4 + (0+1+2+3)·2
    expectTensor(sum(t, [0, 2]), [3], [60, 92, 124]);
    expectTensor(sum(t, [0, 2], true), [1, 3, 1], [60, 92, 124]);
    expectTensor(max(t, [0, 2]), [3], [15, 19, 23]);
    expectTensor(min(t, [2, 0]), [3], [0, 4, 8]);
    expectTensor(mean(t, [0, 2]), [3], [7.5, 11.5, 15.5]);
  });

  it('a scalar reduces to itself and an empty sum is 0', () => {
    expectTensor(sum(scalar(3)), [], [3]);
    expectTensor(max(scalar(-2)), [], [-2]);
    expectTensor(sum(tensor([[], []]), 1), [2], [0, 0]);
  });

  it('logsumexp is stable for large values and handles -∞', () => {
    expectTensor(logsumexp(tensor([1000, 1000]), 0), [], [1000 + Math.LN2]);
    expectTensor(logsumexp(tensor([-1000, -1000]), 0), [], [-1000 + Math.LN2]);
    expectTensor(
      logsumexp(
        tensor([
          [-Infinity, -Infinity],
          [0, -Infinity],
        ]),
        1,
      ),
      [2],
      [-Infinity, 0],
    );
    expectTensor(
      logsumexp(
        tensor([
          [-Infinity, 0],
          [-Infinity, -Infinity],
        ]),
        0,
      ),
      [2],
      [-Infinity, 0],
    );
  });
});

describe('NaN propagation', () => {
  it('max, min and logsumexp return NaN wherever a NaN is reduced', () => {
    for (const row of [
      [NaN, 1, 2],
      [1, NaN, 2],
      [1, 2, NaN],
      [3, NaN, NaN],
    ]) {
      const t = tensor(row);
      expectTensor(max(t), [], [NaN]);
      expectTensor(min(t), [], [NaN]);
      expectTensor(logsumexp(t, 0), [], [NaN]);
    }
    // Along axis 0 (the strided path of the kernel).
    const t = tensor([
      [NaN, 1, 5],
      [0, NaN, 4],
      [2, 3, Infinity],
    ]);
    expectTensor(max(t, 0), [3], [NaN, NaN, Infinity]);
    expectTensor(min(t, 0), [3], [NaN, NaN, 4]);
    expectTensor(max(t, 1), [3], [NaN, NaN, Infinity]);
    expectTensor(sum(t, 0), [3], [NaN, NaN, Infinity]);
  });
});

describe('argmax and argmin', () => {
  it('give the first index on ties', () => {
    expectTensor(argmax(tensor([1, 3, 3, 2])), [], [1], 0, 'int32');
    expectTensor(argmin(tensor([2, 1, 5, 1])), [], [1], 0, 'int32');
    expectTensor(argmax(tensor([7, 7, 7])), [], [0], 0, 'int32');
  });

  it('work along an axis, with keepdim, and on the flattened tensor', () => {
    const t = tensor([
      [1, 9, 3],
      [8, 2, 9],
    ]);
    expectTensor(argmax(t, 1), [2], [1, 2], 0, 'int32');
    expectTensor(argmax(t, 0), [3], [1, 0, 1], 0, 'int32');
    expectTensor(argmin(t, 0, true), [1, 3], [0, 1, 0], 0, 'int32');
    expectTensor(argmin(t, -1, true), [2, 1], [0, 1], 0, 'int32');
    expectTensor(argmax(t), [], [1], 0, 'int32');
    expectTensor(argmax(t, undefined, true), [1, 1], [1], 0, 'int32');
    expectTensor(t.argmax(-1), [2], [1, 2], 0, 'int32');
  });

  it('match a naive search along the middle axis of a 3-D tensor', () => {
    const x = randomTensor(3, [3, 5, 4]);
    const am = argmax(x, 1);
    const an = argmin(x, 1);
    for (let o = 0; o < 3; o++) {
      for (let i = 0; i < 4; i++) {
        const col = [0, 1, 2, 3, 4].map((j) => x.data[o * 20 + j * 4 + i]!);
        expect(am.data[o * 4 + i]).toBe(col.indexOf(Math.max(...col)));
        expect(an.data[o * 4 + i]).toBe(col.indexOf(Math.min(...col)));
      }
    }
  });

  it('accept int32 input and point at a NaN', () => {
    expectTensor(argmax(tensor([3, 9, 9, -1], { dtype: 'int32' })), [], [1], 0, 'int32');
    expectTensor(argmin(tensor([3, -9, 9, -9], { dtype: 'int32' })), [], [1], 0, 'int32');
    expectTensor(argmax(tensor([1, NaN, 5])), [], [1], 0, 'int32');
  });
});

describe('variance', () => {
  it('uses Bessel’s correction by default and correction 0 on request', () => {
    const t = tensor([1, 2, 3, 4]);
    expectTensor(variance(t), [], [5 / 3]);
    expectTensor(variance(t, undefined, { correction: 1 }), [], [5 / 3]);
    expectTensor(variance(t, undefined, { correction: 0 }), [], [1.25]);
  });

  it('works along axes with keepdim', () => {
    const t = tensor([
      [1, 3, 5],
      [2, 2, 8],
    ]);
    expectTensor(variance(t, 1), [2], [4, 12]);
    expectTensor(variance(t, 1, { correction: 0, keepdim: true }), [2, 1], [8 / 3, 8]);
    expectTensor(variance(t, 0, { correction: 0 }), [3], [0.25, 0.25, 2.25]);
    // All six values: mean 3.5, Σ(x-μ)² = 33.5
    expectTensor(variance(t, [0, 1]), [], [6.7]);
    expectTensor(variance(t, [0, 1], { correction: 0 }), [], [33.5 / 6]);
  });

  it('of one element with correction 1 is NaN, as torch.var', () => {
    expectTensor(variance(tensor([3])), [], [NaN]);
  });
});

describe('softmax and logSoftmax', () => {
  const naiveSoftmax = (x: Tensor, axis: number, log: boolean) => {
    const values = new Array<number>(x.size);
    const strides = stridesOf(x.shape);
    for (let i = 0; i < x.size; i++) {
      const idx = unravel(i, x.shape);
      const base = i - idx[axis]! * strides[axis]!;
      const row = Array.from({ length: x.shape[axis]! }, (_, j) => x.data[base + j * strides[axis]!]!);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      values[i] = log ? x.data[i]! - lse : Math.exp(x.data[i]! - lse);
    }
    return values;
  };

  const x = randomTensor(11, [2, 3, 4]).mul(4);
  for (const axis of [0, 1, 2, -1]) {
    it(`match the formula along axis ${axis}`, () => {
      const s = softmax(x, axis);
      expectTensor(s, [2, 3, 4], naiveSoftmax(x, (axis + 3) % 3, false), 1e-5);
      expectTensor(logSoftmax(x, axis), [2, 3, 4], naiveSoftmax(x, (axis + 3) % 3, true), 1e-5);
      const sums = sum(s, axis);
      expectClose(sums.data, new Array<number>(sums.size).fill(1), 1e-6);
    });
  }

  it('defaults to the last axis and is stable for large logits', () => {
    expectTensor(
      tensor([
        [1000, 1000],
        [0, Math.log(3)],
      ]).softmax(),
      [2, 2],
      [0.5, 0.5, 0.25, 0.75],
    );
    expectTensor(tensor([1000, 0]).logSoftmax(), [2], [0, -1000]);
    expectTensor(softmax(scalar(5)), [], [1]);
  });

  it('an all -∞ row gives zeros (softmax) and -∞ (logSoftmax), never NaN', () => {
    const t = tensor([
      [-Infinity, -Infinity, -Infinity],
      [0, -Infinity, 0],
    ]);
    expectTensor(softmax(t), [2, 3], [0, 0, 0, 0.5, 0, 0.5]);
    expectTensor(logSoftmax(t), [2, 3], [-Infinity, -Infinity, -Infinity, -Math.LN2, -Infinity, -Math.LN2]);
    // Along axis 0 (the strided path).
    const col = full([3, 2], -Infinity);
    expectTensor(softmax(col, 0), [3, 2], [0, 0, 0, 0, 0, 0]);
  });
});
