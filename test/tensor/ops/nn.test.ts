import { describe, expect, it } from 'vitest';
import { crossEntropy, dropout, Generator, layerNorm, manualSeed, ones, tensor } from '../../../src/index.js';
import { expectClose, expectTensor, randomTensor } from './helpers.js';

/** log-softmax of one row, by hand. */
function logSoftmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

describe('crossEntropy', () => {
  const rows = [
    [1, 2, 3],
    [1, 1, 1],
    [0, 0, 5],
  ];
  const logits = tensor(rows);
  const lp = rows.map(logSoftmaxRow);

  it('is -log p[target] averaged over the rows that are not ignored', () => {
    const targets = tensor([2, 0, -100], { dtype: 'int32' });
    // Row 0: log(1 + e⁻¹ + e⁻²) = 0.4076060; row 1: log 3 = 1.0986123; row 2 is ignored (default -100).
    const l0 = Math.log(1 + Math.exp(-1) + Math.exp(-2));
    expect(l0).toBeCloseTo(0.407606, 6);
    expectTensor(crossEntropy(logits, targets), [], [(l0 + Math.log(3)) / 2]);
    expectTensor(crossEntropy(logits, targets, { reduction: 'sum' }), [], [l0 + Math.log(3)]);
    expectTensor(crossEntropy(logits, targets, { reduction: 'none' }), [3], [l0, Math.log(3), 0]);
  });

  it('honours a custom ignoreIndex', () => {
    const targets = tensor([0, 1, 2], { dtype: 'int32' });
    const want = [-lp[0]![0]!, 0, -lp[2]![2]!];
    expectTensor(crossEntropy(logits, targets, { ignoreIndex: 1, reduction: 'none' }), [3], want, 1e-6);
    expectTensor(crossEntropy(logits, targets, { ignoreIndex: 1 }), [], [(want[0]! + want[2]!) / 2], 1e-6);
  });

  it('with label smoothing mixes in the uniform distribution', () => {
    const eps = 0.1;
    const targets = tensor([0, 2, 1], { dtype: 'int32' });
    // loss_r = -(1-ε)·log p[r, t] - (ε/C)·Σ_c log p[r, c]
    const t = [0, 2, 1];
    const want = lp.map((row, r) => -(1 - eps) * row[t[r]!]! - (eps / 3) * row.reduce((s, v) => s + v, 0));
    const none = crossEntropy(logits, targets, { labelSmoothing: eps, reduction: 'none' });
    expectTensor(none, [3], want, 1e-6);
    expectTensor(
      crossEntropy(logits, targets, { labelSmoothing: eps }),
      [],
      [want.reduce((s, v) => s + v) / 3],
      1e-6,
    );
    // ε = 1: the target is uniform whatever the labels say.
    const uniform = crossEntropy(logits, targets, { labelSmoothing: 1, reduction: 'none' });
    expectTensor(
      uniform,
      [3],
      lp.map((row) => -row.reduce((s, v) => s + v, 0) / 3),
      1e-6,
    );
  });

  it('is log C for uniform logits and NaN when every target is ignored', () => {
    const flat = tensor([[0, 0, 0, 0]]);
    expectTensor(crossEntropy(flat, tensor([3], { dtype: 'int32' })), [], [Math.log(4)]);
    expectTensor(crossEntropy(flat, tensor([-100], { dtype: 'int32' })), [], [NaN]);
    expectTensor(crossEntropy(flat, tensor([-100], { dtype: 'int32' }), { reduction: 'sum' }), [], [0]);
  });
});

describe('layerNorm', () => {
  /** (x - μ)/√(σ² + eps) over each row of length n, σ² biased. */
  function normRows(x: ArrayLike<number>, n: number, eps = 1e-5): number[] {
    const out: number[] = [];
    for (let r = 0; r < x.length / n; r++) {
      const row = Array.from({ length: n }, (_, i) => x[r * n + i]!);
      const mu = row.reduce((s, v) => s + v, 0) / n;
      const v = row.reduce((s, u) => s + (u - mu) ** 2, 0) / n;
      out.push(...row.map((u) => (u - mu) / Math.sqrt(v + eps)));
    }
    return out;
  }

  it('normalises the last axis: [1,2,3,4] has mean 2.5 and variance 1.25', () => {
    const y = layerNorm(tensor([[1, 2, 3, 4]]), 4);
    const r = 1 / Math.sqrt(1.25 + 1e-5);
    expectTensor(y, [1, 4], [-1.5 * r, -0.5 * r, 0.5 * r, 1.5 * r], 1e-6);
  });

  it('applies weight and bias', () => {
    const x = randomTensor(3, [3, 5]);
    const w = tensor([1, 2, 0.5, -1, 0]);
    const b = tensor([0, 0.1, 0.2, 0.3, 0.4]);
    const base = normRows(x.data, 5);
    const want = base.map((v, i) => v * w.data[i % 5]! + b.data[i % 5]!);
    expectTensor(layerNorm(x, [5], w, b), [3, 5], want, 1e-5);
    expectTensor(
      layerNorm(x, 5, w),
      [3, 5],
      base.map((v, i) => v * w.data[i % 5]!),
      1e-5,
    );
    expectTensor(
      layerNorm(x, 5, null, b),
      [3, 5],
      base.map((v, i) => v + b.data[i % 5]!),
      1e-5,
    );
  });

  it('normalises over several trailing axes and honours eps', () => {
    const x = randomTensor(4, [2, 2, 3]);
    expectTensor(layerNorm(x, [2, 3]), [2, 2, 3], normRows(x.data, 6), 1e-5);
    expectTensor(layerNorm(x, [2, 3], null, null, 0.5), [2, 2, 3], normRows(x.data, 6, 0.5), 1e-5);
    // A constant row normalises to 0 (not NaN) thanks to eps.
    expectTensor(layerNorm(tensor([[3, 3, 3]]), 3), [1, 3], [0, 0, 0]);
  });
});

describe('dropout', () => {
  const x = ones([100_000]);

  it('in evaluation, or with p = 0, returns the input itself', () => {
    expect(dropout(x, 0.5, false)).toBe(x);
    expect(dropout(x, 0)).toBe(x);
  });

  it('zeroes about a fraction p and scales the rest by 1/(1-p)', () => {
    for (const p of [0.1, 0.3, 0.5, 0.9]) {
      const y = dropout(x, p, true, new Generator(42));
      let zeros = 0;
      let others = 0;
      const scale = Math.fround(1 / (1 - p));
      for (const v of y.data) {
        if (v === 0) zeros++;
        else if (v !== scale) others++;
      }
      expect(others).toBe(0);
      // Standard error of the fraction is √(p(1-p)/n) ≤ 0.0016; allow about 6σ.
      expect(Math.abs(zeros / x.size - p)).toBeLessThan(0.01);
      // The mean is preserved in expectation.
      expectClose([Array.from(y.data).reduce((s, v) => s + v, 0) / x.size], [1], 0.05);
    }
  });

  it('with p = 1 gives all zeros', () => {
    const y = dropout(tensor([1, -2, 3]), 1);
    expectTensor(y, [3], [0, -0, 0]);
    expect(Array.from(y.data).every((v) => v === 0)).toBe(true);
  });

  it('is reproducible from a generator or the seeded default one', () => {
    const t = randomTensor(1, [64]);
    expect(dropout(t, 0.5, true, new Generator(3)).data).toEqual(
      dropout(t, 0.5, true, new Generator(3)).data,
    );
    expect(dropout(t, 0.5, true, new Generator(3)).data).not.toEqual(
      dropout(t, 0.5, true, new Generator(4)).data,
    );
    manualSeed(9);
    const a = dropout(t, 0.5);
    manualSeed(9);
    const b = dropout(t, 0.5);
    expect(a.data).toEqual(b.data);
    expect(dropout(t, 0.5).data).not.toEqual(a.data);
  });
});
