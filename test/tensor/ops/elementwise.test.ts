import { describe, expect, it } from 'vitest';
import {
  abs,
  add,
  clamp,
  div,
  eq,
  exp,
  ge,
  gelu,
  gt,
  le,
  log,
  lt,
  maskedFill,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  reciprocal,
  relu,
  scalar,
  sigmoid,
  sign,
  sqrt,
  square,
  sub,
  tanh,
  tensor,
  where,
  type Tensor,
} from '../../../src/index.js';
import { expectClose, expectTensor, randomTensor, ravelBroadcast, unravel } from './helpers.js';

const xs = [-3, -1, -0.5, 0, 0.5, 1, 2.5];
const x = () => tensor(xs);
const f32 = (v: number) => Math.fround(v);

describe('unary ops', () => {
  const cases: [string, (t: Tensor) => Tensor, (v: number) => number][] = [
    ['neg', neg, (v) => -v],
    ['exp', exp, Math.exp],
    ['abs', abs, Math.abs],
    ['tanh', tanh, Math.tanh],
    ['sigmoid', sigmoid, (v) => 1 / (1 + Math.exp(-v))],
    ['relu', relu, (v) => Math.max(v, 0)],
    ['sign', sign, Math.sign],
    ['square', square, (v) => v * v],
  ];
  for (const [name, op, ref] of cases) {
    it(`${name} matches the formula`, () => {
      const y = op(x());
      expectTensor(
        y,
        [7],
        xs.map((v) => f32(ref(f32(v)))),
        1e-6,
      );
    });
  }

  it('log and sqrt follow IEEE at the edges (log 0 = -∞, sqrt of a negative is NaN)', () => {
    expectTensor(log(tensor([1, Math.E, 0, -1])), [4], [0, 1, -Infinity, NaN]);
    expectTensor(sqrt(tensor([0, 4, 2, -1])), [4], [0, 2, Math.SQRT2, NaN]);
    expectTensor(reciprocal(tensor([2, -4, 0])), [3], [0.5, -0.25, Infinity]);
  });

  it('gelu is the exact (erf) form', () => {
    const y = gelu(tensor([1, -1, 0, 2, -3, 6, -6]));
    // x·Φ(x): Φ(1) = 0.8413447, Φ(2) = 0.9772499, Φ(-3) = 0.0013499
    expectClose(y.data, [0.8413447, -0.1586553, 0, 1.9544997, -0.0040497, 6, -0], 1e-6);
  });

  it('sigmoid saturates without NaN', () => {
    const y = sigmoid(tensor([100, -100, Infinity, -Infinity, 0]));
    for (const v of y.data) expect(Number.isNaN(v)).toBe(false);
    expect(y.data[0]).toBe(1);
    expect(y.data[1]).toBeGreaterThanOrEqual(0);
    expect(y.data[1]).toBeLessThan(1e-40);
    expect(y.data[2]).toBe(1);
    expect(y.data[3]).toBe(0);
    expect(y.data[4]).toBe(0.5);
  });

  it('keeps the shape, including scalars and empty tensors', () => {
    expectTensor(exp(scalar(0)), [], [1]);
    expectTensor(
      relu(
        tensor([
          [-1, 2],
          [3, -4],
        ]),
      ),
      [2, 2],
      [0, 2, 3, 0],
    );
    expectTensor(neg(tensor([[], []])), [2, 0], []);
  });

  it('clamp with either or both bounds', () => {
    expectTensor(clamp(x(), -1, 1), [7], [-1, -1, -0.5, 0, 0.5, 1, 1]);
    expectTensor(clamp(x(), 0), [7], [0, 0, 0, 0, 0.5, 1, 2.5]);
    expectTensor(clamp(x(), undefined, 0), [7], [-3, -1, -0.5, 0, 0, 0, 0]);
    expectTensor(x().clamp(-0.5, 0.5), [7], [-0.5, -0.5, -0.5, 0, 0.5, 0.5, 0.5]);
  });

  it('method forms agree with the functions', () => {
    const t = tensor([0.25, -2]);
    expectClose(t.exp().log().data, t.data);
    expectClose(t.abs().sqrt().data, [0.5, Math.SQRT2]);
    expectClose(t.neg().relu().data, [0, 2]);
  });
});

describe('binary ops', () => {
  it('compute elementwise with tensors and numbers on either side', () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([4, -5, 0.5]);
    expectTensor(add(a, b), [3], [5, -3, 3.5]);
    expectTensor(sub(a, b), [3], [-3, 7, 2.5]);
    expectTensor(mul(a, b), [3], [4, -10, 1.5]);
    expectTensor(div(a, b), [3], [0.25, -0.4, 6]);
    expectTensor(pow(a, 2), [3], [1, 4, 9]);
    expectTensor(pow(2, a), [3], [2, 4, 8]);
    expectTensor(sub(1, a), [3], [0, -1, -2]);
    expectTensor(div(1, a), [3], [1, 0.5, 1 / 3]);
    expectTensor(add(2, 3), [], [5]);
    expectTensor(a.add(1).mul(2).sub(b).div(2).pow(1), [3], [0, 5.5, 3.75]);
  });

  it('division by zero gives infinities and NaN as IEEE does', () => {
    expectTensor(div(tensor([1, -1, 0]), 0), [3], [Infinity, -Infinity, NaN]);
  });

  it('maximum and minimum propagate NaN', () => {
    const a = tensor([1, NaN, 3, -2]);
    const b = tensor([2, 0, NaN, -2]);
    expectTensor(maximum(a, b), [4], [2, NaN, NaN, -2]);
    expectTensor(minimum(a, b), [4], [1, NaN, NaN, -2]);
    expectTensor(maximum(a, 0), [4], [1, NaN, 3, 0]);
  });
});

describe('broadcasting', () => {
  /** out[i] = f(a[broadcast i], b[broadcast i]) computed index by index. */
  function naive(a: Tensor, b: Tensor, shape: number[], f: (u: number, v: number) => number): number[] {
    const size = shape.reduce((n, d) => n * d, 1);
    const out: number[] = [];
    for (let i = 0; i < size; i++) {
      const idx = unravel(i, shape);
      out.push(f(a.data[ravelBroadcast(idx, a.shape)]!, b.data[ravelBroadcast(idx, b.shape)]!));
    }
    return out.map(Math.fround);
  }

  const pairs: [number[], number[], number[]][] = [
    [[], [2, 3], [2, 3]],
    [[2, 3], [], [2, 3]],
    [[3], [2, 3], [2, 3]],
    [
      [2, 3],
      [2, 1],
      [2, 3],
    ],
    [
      [3, 1],
      [1, 4],
      [3, 4],
    ],
    [
      [2, 1, 3],
      [4, 1],
      [2, 4, 3],
    ],
    [[5], [2, 3, 5], [2, 3, 5]],
    [
      [2, 1, 4, 1],
      [3, 1, 5],
      [2, 3, 4, 5],
    ],
    [[1, 1], [7], [1, 7]],
    [[0, 3], [3], [0, 3]],
  ];
  for (const [sa, sb, expected] of pairs) {
    it(`[${sa}] with [${sb}] gives [${expected}]`, () => {
      const a = randomTensor(1, sa);
      const b = randomTensor(2, sb);
      expectTensor(
        add(a, b),
        expected,
        naive(a, b, expected, (u, v) => u + v),
      );
      expectTensor(
        sub(a, b),
        expected,
        naive(a, b, expected, (u, v) => u - v),
      );
      expectTensor(
        mul(b, a),
        expected,
        naive(b, a, expected, (u, v) => u * v),
      );
      expectTensor(
        div(a, b),
        expected,
        naive(a, b, expected, (u, v) => u / v),
        1e-5,
      );
    });
  }

  it('[3,1] + [1,4] is an outer sum', () => {
    const y = add(tensor([[0], [10], [20]]), tensor([[1, 2, 3, 4]]));
    expect(y.toArray()).toEqual([
      [1, 2, 3, 4],
      [11, 12, 13, 14],
      [21, 22, 23, 24],
    ]);
  });
});

describe('comparisons', () => {
  const a = tensor([1, 2, 3, NaN]);
  const b = tensor([2, 2, 2, NaN]);
  it('give bool masks', () => {
    expectTensor(eq(a, b), [4], [0, 1, 0, 0], 0, 'bool');
    expectTensor(ne(a, b), [4], [1, 0, 1, 1], 0, 'bool');
    expectTensor(lt(a, b), [4], [1, 0, 0, 0], 0, 'bool');
    expectTensor(le(a, b), [4], [1, 1, 0, 0], 0, 'bool');
    expectTensor(gt(a, b), [4], [0, 0, 1, 0], 0, 'bool');
    expectTensor(ge(a, b), [4], [0, 1, 1, 0], 0, 'bool');
  });

  it('broadcast and accept numbers on either side', () => {
    expectTensor(
      gt(
        tensor([
          [1, 5],
          [3, 0],
        ]),
        2,
      ),
      [2, 2],
      [0, 1, 1, 0],
      0,
      'bool',
    );
    expectTensor(lt(2, tensor([1, 3])), [2], [0, 1], 0, 'bool');
    expectTensor(eq(tensor([[1], [2]]), tensor([1, 2, 3])), [2, 3], [1, 0, 0, 0, 1, 0], 0, 'bool');
    expectTensor(tensor([1, 2]).ge(2), [2], [0, 1], 0, 'bool');
  });

  it('work on int32 and bool tensors', () => {
    const ids = tensor([0, 3, 7], { dtype: 'int32' });
    expectTensor(eq(ids, 3), [3], [0, 1, 0], 0, 'bool');
    expectTensor(ge(ids, tensor([0, 4, 7], { dtype: 'int32' })), [3], [1, 0, 1], 0, 'bool');
    const m = tensor([1, 0, 1], { dtype: 'bool' });
    expectTensor(eq(m, tensor([1, 1, 0], { dtype: 'bool' })), [3], [1, 0, 0], 0, 'bool');
    expectTensor(ne(m, 0), [3], [1, 0, 1], 0, 'bool');
  });
});

describe('where and maskedFill', () => {
  it('where picks elementwise with broadcasting', () => {
    const cond = tensor([[1], [0]], { dtype: 'bool' });
    const y = where(
      cond,
      tensor([1, 2, 3]),
      tensor([
        [10, 20, 30],
        [40, 50, 60],
      ]),
    );
    expectTensor(y, [2, 3], [1, 2, 3, 40, 50, 60]);
    expectTensor(where(tensor([1, 0], { dtype: 'bool' }), 1, -1), [2], [1, -1]);
    expectTensor(where(tensor([0, 1], { dtype: 'bool' }), tensor([5, 6]), 0), [2], [0, 6]);
  });

  it('where keeps an int32 or bool dtype', () => {
    const cond = tensor([1, 0, 1], { dtype: 'bool' });
    const ids = where(cond, tensor([1, 2, 3], { dtype: 'int32' }), -1);
    expectTensor(ids, [3], [1, -1, 3], 0, 'int32');
    const masks = where(cond, tensor([0, 0, 0], { dtype: 'bool' }), tensor([1, 1, 1], { dtype: 'bool' }));
    expectTensor(masks, [3], [0, 1, 0], 0, 'bool');
  });

  it('maskedFill fills where the mask is true, with a broadcast mask', () => {
    const scores = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const causal = tensor([0, 1, 1], { dtype: 'bool' });
    expectTensor(
      maskedFill(scores, causal, -Infinity),
      [2, 3],
      [1, -Infinity, -Infinity, 4, -Infinity, -Infinity],
    );
    const rows = tensor([[1], [0]], { dtype: 'bool' });
    expectTensor(scores.maskedFill(rows, 0), [2, 3], [0, 0, 0, 4, 5, 6]);
    const ids = tensor([5, 6, 7], { dtype: 'int32' });
    expectTensor(maskedFill(ids, causal, 0), [3], [5, 0, 0], 0, 'int32');
  });
});
