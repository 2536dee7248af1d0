import { describe, expect, it } from 'vitest';
import { clipGradNorm, clipGradValue } from '../../src/index.js';
import { param, setGrad } from './helpers.js';

describe('clipGradNorm', () => {
  it('scales all gradients together by maxNorm / (total + 1e-6) and returns the total', () => {
    const a = param([0, 0]);
    const b = param([0]);
    const c = param([0]); // no gradient: ignored
    setGrad(a, [3, 0]);
    setGrad(b, [-4]);
    const total = clipGradNorm([a, b, c], 1);
    expect(total).toBe(5); // √(9 + 16)
    const k = 1 / (5 + 1e-6);
    expect(a.grad!.data[0]).toBeCloseTo(3 * k, 7);
    expect(b.grad!.data[0]).toBeCloseTo(-4 * k, 7);
    expect(c.grad).toBeNull();
  });

  it('leaves gradients below the limit alone', () => {
    const a = param([0, 0]);
    setGrad(a, [3, 4]);
    expect(clipGradNorm(a, 10)).toBe(5);
    expect(Array.from(a.grad!.data)).toEqual([3, 4]);
  });

  it('supports other norms: 1, p and Infinity', () => {
    const a = param([0, 0, 0]);
    setGrad(a, [1, -2, 2]);
    expect(clipGradNorm([a], 100, 1)).toBe(5);
    expect(clipGradNorm([a], 100, 3)).toBeCloseTo(17 ** (1 / 3), 12);
    expect(clipGradNorm([a], 1, Infinity)).toBe(2);
    expect(a.grad!.data[1]).toBeCloseTo(-2 / (2 + 1e-6), 7);
  });

  it('accumulates in float64 (no float32 overflow of the sum of squares)', () => {
    const a = param([0, 0]);
    setGrad(a, [3e30, 4e30]);
    expect(clipGradNorm([a], 1)).toBeCloseTo(5e30, -24);
    expect(a.grad!.data[0]).toBeCloseTo(0.6, 6);
  });

  it('returns 0 when no parameter has a gradient', () => {
    expect(clipGradNorm([param([1])], 1)).toBe(0);
  });

  it('non-finite totals: NaN gradients stay NaN, or throw with errorIfNonfinite', () => {
    const a = param([0, 0]);
    setGrad(a, [NaN, 1]);
    expect(() => clipGradNorm([a], 1, 2, { errorIfNonfinite: true })).toThrow(
      'clipGradNorm: the total norm of order 2 of the gradients is NaN',
    );
    expect(clipGradNorm([a], 1)).toBeNaN();
  });

  it('rejects bad arguments', () => {
    expect(() => clipGradNorm([], -1)).toThrow('clipGradNorm: maxNorm must be a number >= 0, got -1');
    expect(() => clipGradNorm([], 1, 0)).toThrow('clipGradNorm: normType must be a number > 0 or Infinity');
  });
});

describe('clipGradValue', () => {
  it('clamps every element to [−v, v] in place', () => {
    const a = param([0, 0, 0, 0]);
    setGrad(a, [-3, -0.5, 0.25, 9]);
    const grad = a.grad!;
    clipGradValue([a], 1);
    expect(a.grad).toBe(grad);
    expect(Array.from(grad.data)).toEqual([-1, -0.5, 0.25, 1]);
    expect(() => clipGradValue([a], -1)).toThrow('clipGradValue: clipValue must be a number >= 0, got -1');
  });
});
