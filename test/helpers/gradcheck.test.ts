/** The gradient checker itself: it must pass correct gradients and catch wrong ones. */
import { describe, expect, it } from 'vitest';
import { mul, sum, tanh, tensor } from '../../src/index.js';
import { distinctInputs, gradcheck, numericGradients, randomInput } from './gradcheck.js';

describe('gradcheck helper', () => {
  it('matches a derivative known in closed form', () => {
    const x = tensor([0.3, -1.2, 2]);
    // The loss is R·Σ tanh(x) with one random weight R for the scalar output: the quotient by the true
    // derivative is R for every element.
    const [n] = numericGradients((t) => sum(tanh(t!)), [x]);
    const ratios = Array.from(x.data, (v, i) => n![i]! / (1 - Math.tanh(v) ** 2));
    expect(Math.abs(ratios[0]!)).toBeGreaterThan(0.01);
    for (const r of ratios) expect(r).toBeCloseTo(ratios[0]!, 3);
  });

  it('catches a wrong analytic gradient', () => {
    // stop(x)·x has the value x² but the gradient x: half of the true 2x.
    const x = randomInput([4], 1, { avoid: [0], margin: 0.5 });
    expect(() => gradcheck((t) => mul(t!.detach(), t!), [x])).toThrow(/elements differ/);
  });

  it('catches a gradient that reaches an input outside wrt', () => {
    const a = randomInput([3], 2);
    const b = randomInput([3], 3);
    expect(() => gradcheck((p, q) => mul(p!, q!), [a, b], { wrt: [true, false] })).not.toThrow();
    // Forcing b to require gradients inside fn makes it receive one although it is not checked.
    expect(() => gradcheck((p, q) => mul(p!, q!.requireGrad()), [a, b], { wrt: [true, false] })).toThrow(
      /not differentiated/,
    );
  });

  it('handles several outputs', () => {
    const x = randomInput([2, 3], 4);
    gradcheck((t) => [mul(t!, 2), tanh(t!)], [x]);
  });

  it('randomInput is seeded and keeps away from the given points', () => {
    const a = randomInput([100], 5, { avoid: [0, 1], margin: 0.2 });
    expect(Array.from(a.data)).toEqual(
      Array.from(randomInput([100], 5, { avoid: [0, 1], margin: 0.2 }).data),
    );
    expect(Array.from(a.data).every((v) => Math.abs(v) >= 0.2 - 1e-6 && Math.abs(v - 1) >= 0.2 - 1e-6)).toBe(
      true,
    );
    const p = randomInput([100], 6, { positive: true, shift: 0.3 });
    expect(Math.min(...p.data)).toBeGreaterThanOrEqual(0.3 - 1e-6);
  });

  it('distinctInputs are at least the gap apart across all tensors', () => {
    const all = distinctInputs([[3, 4], [5], []], 7, 0.1).flatMap((t) => Array.from(t.data));
    expect(all).toHaveLength(18);
    const sorted = [...all].sort((u, v) => u - v);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThan(0.06);
  });
});
