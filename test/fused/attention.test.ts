// The fused attention kernel path of scaledDotProductAttention against the composed ops, values and gradients.
import { describe, expect, it } from 'vitest';
import {
  add,
  fusedAttention,
  Generator,
  mul,
  noGrad,
  paddingMaskFromLengths,
  randn,
  scaledDotProductAttention,
  sum,
  type Tensor,
} from '../../src/index.js';
import { expectClose } from '../helpers/close.js';

function inputs(
  shape: { b: number; h: number; tq: number; tk: number; d: number; dv: number },
  seed: number,
) {
  const generator = new Generator(seed);
  const { b, h, tq, tk, d, dv } = shape;
  return {
    q: randn([b, h, tq, d], { generator }).requireGrad(),
    k: randn([b, h, tk, d], { generator }).requireGrad(),
    v: randn([b, h, tk, dv], { generator }).requireGrad(),
    upstream: randn([b, h, tq, dv], { generator }),
  };
}

const cases = [
  { name: 'plain', b: 2, h: 3, tq: 5, tk: 7, d: 4, dv: 6, causal: false, lengths: null },
  { name: 'causal', b: 2, h: 2, tq: 9, tk: 9, d: 8, dv: 8, causal: true, lengths: null },
  { name: 'padding', b: 3, h: 2, tq: 4, tk: 6, d: 5, dv: 3, causal: false, lengths: [6, 2, 4] },
  {
    name: 'padding + causal, one query fully masked',
    b: 2,
    h: 1,
    tq: 5,
    tk: 5,
    d: 3,
    dv: 2,
    causal: true,
    lengths: [0, 3],
  },
];

describe.each(cases)('fused attention: $name', (c) => {
  it('equals the composed ops in output and in the gradients of q, k and v', () => {
    const kpm = c.lengths ? paddingMaskFromLengths(c.lengths, c.tk) : null;
    const run = (needWeights: boolean) => {
      const { q, k, v, upstream } = inputs(c, 11);
      const { output } = scaledDotProductAttention(q, k, v, {
        causal: c.causal,
        keyPaddingMask: kpm,
        needWeights,
      });
      sum(mul(output, upstream)).backward();
      return { output, dq: q.grad!, dk: k.grad!, dv: v.grad! };
    };
    const composed = run(true); // weights needed in a graph: the composed path
    const fused = run(false); // no weights: the fused kernel
    expect(fused.output.gradFn?.name).toBe('fusedAttention');
    expect(composed.output.gradFn?.name).not.toBe('fusedAttention');
    for (const key of ['output', 'dq', 'dk', 'dv'] as const) {
      expectClose(fused[key], composed[key], key, { atol: 1e-5, rtol: 1e-4 });
    }
    expect(Array.from(fused.output.data).every(Number.isFinite)).toBe(true);
  });

  it('materialises the same weights when asked for outside a graph', () => {
    const kpm = c.lengths ? paddingMaskFromLengths(c.lengths, c.tk) : null;
    const { q, k, v } = inputs(c, 5);
    const composed = scaledDotProductAttention(q, k, v, { causal: c.causal, keyPaddingMask: kpm });
    const fused = noGrad(() =>
      fusedAttention(q, k, v, { causal: c.causal, keyPaddingMask: kpm, needWeights: true }),
    );
    expectClose(fused.weights!, composed.weights, 'weights', { atol: 1e-6 });
    expectClose(fused.output, composed.output, 'output', { atol: 1e-5 });
  });
});

describe('scaledDotProductAttention path choice', () => {
  it('accepts [B, T, d] inputs on the fused path and keeps the composed path for masks and dropout', () => {
    const g = new Generator(3);
    const q = randn([2, 4, 8], { generator: g });
    const k = randn([2, 6, 8], { generator: g });
    const v = randn([2, 6, 8], { generator: g });
    const fused = scaledDotProductAttention(q, k, v, { needWeights: false });
    const composed = scaledDotProductAttention(q, k, v);
    expect(fused.weights).toBeNull();
    expectClose(fused.output, composed.output, 'output', { atol: 1e-6 });
    const additive = randn([4, 6], { generator: g });
    const masked = scaledDotProductAttention(q.requireGrad(), k, v, { mask: additive, needWeights: false });
    expect(masked.output.gradFn?.name).not.toBe('fusedAttention');
    const loss: Tensor = add(sum(masked.output), 0);
    loss.backward();
    expect(q.grad!.shape).toEqual([2, 4, 8]);
  });

  it('rejects inputs the kernel cannot take with errors naming fusedAttention', () => {
    const x = randn([2, 3, 4]);
    expect(() => fusedAttention(x, x, x)).toThrow(/^fusedAttention: q, k, v must be \[B, H, T, d\]/);
    const q = randn([1, 2, 3, 4]);
    expect(() => fusedAttention(q, randn([1, 2, 3, 5]), q)).toThrow(/^fusedAttention: shapes do not agree/);
  });
});
