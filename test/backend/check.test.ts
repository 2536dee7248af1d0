// The argument checker derived from the kernel table (src/backend/check.ts): each rule kind rejects a bad call
// with an error naming the kernel and argument, and a good call passes through to the backend.
import { describe, expect, it } from 'vitest';
import { checkedBackend, checkKernelArgs } from '../../src/backend/check.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { KERNELS } from '../../src/backend/kernel-table.js';

const f = (n: number) => new Float32Array(n);

describe('kernel argument checks', () => {
  it('accepts a good call and runs it', () => {
    const out = f(3);
    checkedBackend(jsBackend).unary({ op: 'neg', x: Float32Array.of(1, 2, 3), out });
    expect(Array.from(out)).toEqual([-1, -2, -3]);
  });

  it('rejects wrong dtypes, short arrays and unknown fields, naming kernel and argument', () => {
    expect(() => checkKernelArgs('unary', { op: 'neg', x: new Int32Array(2), out: f(2) })).toThrow(
      new TypeError('unary: x must be a Float32Array'),
    );
    expect(() =>
      checkKernelArgs('softmax', { x: f(5), outer: 2, n: 3, inner: 1, log: false, out: f(6) }),
    ).toThrow(new RangeError('softmax: x has 5 elements, needs 6'));
    expect(() => checkKernelArgs('unary', { op: 'neg', x: f(2), out: f(2), extra: 1 })).toThrow(
      /unary: unknown argument 'extra'/,
    );
    expect(() =>
      checkKernelArgs('layerNorm', {
        x: f(6),
        gamma: null,
        beta: null,
        rows: 2,
        n: 3,
        eps: 1e-5,
        out: f(6),
        mean: f(2),
      }),
    ).toThrow(/layerNorm: rstd must be a Float32Array/);
  });

  it('checks scalars, enums, strided walks, index ranges and further conditions', () => {
    expect(() =>
      checkKernelArgs('reduce', { op: 'sum', x: f(4), outer: -1, n: 4, inner: 1, out: f(1) }),
    ).toThrow(/reduce: outer must be an integer ≥ 0/);
    expect(() => checkKernelArgs('unary', { op: 'nope', x: f(1), out: f(1) })).toThrow(
      /unary: op is unknown/,
    );
    const walk = { srcOffset: 2, srcStrides: [1], dstOffset: 0, dstStrides: [1], shape: [4] };
    expect(() => checkKernelArgs('copy', { src: f(4), dst: f(4), ...walk })).toThrow(
      /copy: src is too short/,
    );
    expect(() =>
      checkKernelArgs('indexSelect', {
        src: f(4),
        outer: 1,
        n: 4,
        inner: 1,
        index: Int32Array.of(0, 4),
        out: f(2),
      }),
    ).toThrow(/indexSelect: index holds an index out of range/);
    const ce = { rows: 2, classes: 3, ignoreIndex: -100, labelSmoothing: 0, loss: f(2), logSumExp: f(2) };
    expect(() =>
      checkKernelArgs('crossEntropy', { logits: f(6), targets: Int32Array.of(-100, 2), ...ce }),
    ).not.toThrow();
    expect(() =>
      checkKernelArgs('crossEntropy', { logits: f(6), targets: Int32Array.of(3, 0), ...ce }),
    ).toThrow(/crossEntropy: targets holds an index out of range/);
    expect(() =>
      checkKernelArgs('argReduce', {
        op: 'argmax',
        x: f(0),
        outer: 1,
        n: 0,
        inner: 1,
        out: new Int32Array(1),
      }),
    ).toThrow(/argReduce: argReduce needs n ≥ 1/);
  });

  it('reads an attention layout: strided operands must reach their last row', () => {
    const shape = { batch: 1, heads: 1, tq: 4, tk: 4, d: 2, dv: 2, scale: 1, causal: false };
    const s = (row: number) => ({ batch: 0, head: 0, row });
    const call = { k: f(8), v: f(8), keyPadding: null, ...shape, out: f(8), lse: f(4), weights: null };
    expect(() =>
      checkKernelArgs('attention', { q: f(11), ...call, layout: { q: s(3), k: s(2), v: s(2), out: s(2) } }),
    ).not.toThrow();
    expect(() =>
      checkKernelArgs('attention', { q: f(10), ...call, layout: { q: s(3), k: s(2), v: s(2), out: s(2) } }),
    ).toThrow(/attention: q has 10 elements, needs 11/);
  });

  it('covers every kernel of the table', () => {
    for (const name of Object.keys(KERNELS) as (keyof typeof KERNELS)[]) {
      expect(typeof jsBackend[name]).toBe('function');
      expect(() => checkKernelArgs(name, {})).toThrow();
    }
  });
});
