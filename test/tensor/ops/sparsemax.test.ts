import { describe, expect, it } from 'vitest';
import {
  Generator,
  getBackend,
  maskedFill,
  permute,
  sparsemax,
  tensor,
  type Tensor,
} from '../../../src/index.js';
import { gradcheck } from '../../helpers/gradcheck.js';
import { expectClose, expectTensor, randomData } from './helpers.js';

/** The projection onto the simplex in double precision, by bisection on τ: Σ max(z - τ, 0) = 1. */
function projectRow(z: readonly number[]): number[] {
  const finite = z.filter((v) => v !== -Infinity);
  if (finite.length === 0) return z.map(() => 0);
  let lo = Math.max(...finite) - 1; // the sum is ≥ 1 here
  let hi = Math.max(...finite); // and 0 here
  for (let it = 0; it < 200; it++) {
    const mid = (lo + hi) / 2;
    const s = finite.reduce((acc, v) => acc + Math.max(v - mid, 0), 0);
    if (s > 1) lo = mid;
    else hi = mid;
  }
  const tau = (lo + hi) / 2;
  return z.map((v) => Math.max(v - tau, 0));
}

/**
 * A row with a known sparsemax: on the support, τ + p with weights p ≥ 0.5/support summing to 1; elsewhere
 * τ - δ with δ ≥ 0.1. By the KKT conditions of the projection its sparsemax is p, and (for up to 6 keys) no
 * entry lies within 0.08 of the support boundary, the kink of the gradient.
 */
function rowWithKnownSparsemax(
  generator: Generator,
  n: number,
  support: number,
): { z: number[]; p: number[] } {
  const raw = Array.from({ length: support }, () => 0.1 + generator.uniform());
  const total = raw.reduce((a, b) => a + b, 0);
  // Normalised draws mixed with the uniform weight: every weight is at least 0.5/support.
  const weights = raw.map((r) => 0.5 * (r / total) + 0.5 / support);
  const tau = generator.uniform() * 2 - 1;
  const order = generator.permutation(n);
  const z = new Array<number>(n);
  const p = new Array<number>(n).fill(0);
  for (let j = 0; j < n; j++) {
    const pos = order[j]!;
    if (j < support) {
      p[pos] = weights[j]!;
      z[pos] = tau + weights[j]!;
    } else {
      z[pos] = tau - 0.1 - generator.uniform();
    }
  }
  return { z, p };
}

describe('sparsemax: values', () => {
  it('matches hand-computed cases', () => {
    // [0.1, 1.1, 0.2]: sorted 1.1, 0.2, 0.1; k = 2 (1 + 2·0.2 = 1.4 > 1.3, 1 + 3·0.1 = 1.3 ≤ 1.4), τ = 0.15.
    expectTensor(sparsemax(tensor([0.1, 1.1, 0.2])), [3], [0, 0.95, 0.05]);
    // [0.1, 1.5, 0.2]: k = 1 (1 + 2·0.2 = 1.4 ≤ 1.7), τ = 0.5: a one-hot.
    expectTensor(sparsemax(tensor([0.1, 1.5, 0.2])), [3], [0, 1, 0]);
    // [1, 1]: k = 2, τ = 0.5.
    expectTensor(sparsemax(tensor([1, 1])), [2], [0.5, 0.5]);
    // [0.5, 0.2, 0.4]: k = 3 (1 + 3·0.2 = 1.6 > 1.1), τ = 0.1/3: the full support, still not softmax.
    expectTensor(sparsemax(tensor([0.5, 0.2, 0.4])), [3], [0.5 - 0.1 / 3, 0.2 - 0.1 / 3, 0.4 - 0.1 / 3]);
    // [1, 0.8, 0.1, -1]: k = 2 (1 + 3·0.1 = 1.3 ≤ 1.9), τ = 0.4.
    expectTensor(sparsemax(tensor([1, 0.8, 0.1, -1])), [4], [0.6, 0.4, 0, 0]);
    // One element (or a scalar): weight 1.
    expectTensor(sparsemax(tensor([-7])), [1], [1]);
    expectTensor(sparsemax(tensor(3)), [], [1]);
  });

  it('gives exact zeros outside the support', () => {
    const y = sparsemax(tensor([1, 0.8, 0.1, -1]));
    expect(y.data[2]).toBe(0);
    expect(y.data[3]).toBe(0);
    expect(Object.is(y.data[3], -0)).toBe(false);
  });

  it('is invariant to a shift of the scores', () => {
    const x = [0.3, -0.2, 0.9, 0.85, -2];
    const a = sparsemax(tensor(x));
    const b = sparsemax(tensor(x.map((v) => v + 10)));
    expectClose(b.data, a.data, 2e-6);
  });

  it('sums to 1 with non-negative weights, matches the projection and is sparse, for random inputs', () => {
    const rows = 64;
    const n = 9;
    const data = randomData(5, rows * n, -2, 2);
    const y = sparsemax(tensor(data, { shape: [rows, n] }));
    let zeros = 0;
    for (let r = 0; r < rows; r++) {
      const row = Array.from(data.subarray(r * n, (r + 1) * n));
      const got = Array.from(y.data.subarray(r * n, (r + 1) * n));
      expect(got.every((v) => v >= 0)).toBe(true);
      expect(Math.abs(got.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-6);
      expectClose(got, projectRow(row), 1e-6);
      zeros += got.filter((v) => v === 0).length;
    }
    expect(zeros).toBeGreaterThan(rows * 2);
  });

  it('reproduces rows built with a known answer', () => {
    const generator = new Generator(11);
    for (let support = 1; support <= 6; support++) {
      const { z, p } = rowWithKnownSparsemax(generator, 6, support);
      expectTensor(sparsemax(tensor(z)), [6], p, 2e-6);
    }
  });

  it('gives masked (-∞) entries weight exactly 0 and fully masked rows zeros', () => {
    const x = tensor([
      [-Infinity, 0.5, 0.2, 0.4],
      [-Infinity, -Infinity, -Infinity, -Infinity],
      [3, -Infinity, -Infinity, -Infinity],
      [-Infinity, 0.1, 1.1, 0.2],
    ]);
    const y = sparsemax(x);
    expectTensor(
      y,
      [4, 4],
      [0, 0.5 - 0.1 / 3, 0.2 - 0.1 / 3, 0.4 - 0.1 / 3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0.95, 0.05],
    );
    expect(y.data[0]).toBe(0);
    expect(Array.from(y.data.subarray(4, 8))).toEqual([0, 0, 0, 0]);
  });

  it('propagates NaN to its whole slice only', () => {
    const y = sparsemax(
      tensor([
        [0, NaN, 1],
        [1, 1, -Infinity],
      ]),
    );
    expect(Array.from(y.data.subarray(0, 3)).every(Number.isNaN)).toBe(true);
    expect(Array.from(y.data.subarray(3))).toEqual([0.5, 0.5, 0]);
  });

  it('works along any axis', () => {
    const shape = [3, 4, 5];
    const x = tensor(randomData(8, 60, -1.5, 1.5), { shape });
    // Along axis a: move a last, take the last-axis sparsemax, move it back.
    const viaLast = (axis: number): Tensor => {
      const axes = [0, 1, 2].filter((i) => i !== axis).concat(axis);
      const inverse = axes.map((_, i) => axes.indexOf(i));
      return permute(sparsemax(permute(x, axes), -1), inverse);
    };
    for (const axis of [0, 1, -2, 2]) {
      const y = sparsemax(x, axis);
      expect(y.shape).toEqual(shape);
      const a = axis < 0 ? axis + 3 : axis;
      expectClose(y.data, viaLast(a).data, 1e-7);
    }
    // Along axis 1 the slices x[o, :, i] sum to 1.
    const y = sparsemax(x, 1);
    for (let o = 0; o < 3; o++) {
      for (let i = 0; i < 5; i++) {
        let s = 0;
        for (let j = 0; j < 4; j++) s += y.data[o * 20 + j * 5 + i]!;
        expect(Math.abs(s - 1)).toBeLessThan(1e-6);
      }
    }
  });

  it('runs through the backend kernels', () => {
    const backend = getBackend();
    expect(typeof backend.sparsemax).toBe('function');
    expect(typeof backend.sparsemaxGrad).toBe('function');
    const out = new Float32Array(4);
    backend.sparsemax({ x: Float32Array.from([1, 0.8, 0.1, -1]), outer: 1, n: 4, inner: 1, out });
    expectClose(out, [0.6, 0.4, 0, 0]);
  });
});

describe('sparsemax: gradient', () => {
  it('is g - mean(g) on the support and 0 elsewhere', () => {
    const x = tensor([1, 0.8, 0.1, -1]).requireGrad();
    sparsemax(x).backward(tensor([1, 2, 3, 4]));
    expectTensor(x.grad!, [4], [-0.5, 0.5, 0, 0]);
  });

  it('is zero (not NaN) for fully masked rows', () => {
    const x = tensor([
      [-Infinity, -Infinity],
      [0.2, -Infinity],
    ]).requireGrad();
    sparsemax(x).backward(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 0, 0]);
  });

  it('matches finite differences away from the support boundary', () => {
    const generator = new Generator(21);
    const rows = [2, 3, 5, 1].map((support) => rowWithKnownSparsemax(generator, 5, support).z);
    const x = tensor(rows);
    gradcheck((t) => sparsemax(t), [x], { atol: 1e-3 });
    // The same rows along axis 0.
    gradcheck((t) => sparsemax(t, 0), [permute(x, [1, 0]).clone()], { atol: 1e-3 });
  });

  it('matches finite differences with masked entries', () => {
    const generator = new Generator(22);
    const rows = [2, 3, 1].map((support) => rowWithKnownSparsemax(generator, 6, support).z);
    const x = tensor(rows);
    // Mask entries outside each row's support, and a whole row.
    const maskRows = rows.map((row, r) => {
      const m = Math.max(...row);
      return row.map((v) => (r === 2 ? true : v < m - 1.2));
    });
    const mask = tensor(
      maskRows.map((row) => row.map((b) => (b ? 1 : 0))),
      { dtype: 'bool' },
    );
    gradcheck((t) => sparsemax(maskedFill(t, mask, -Infinity)), [x], { atol: 1e-3 });
  });
});

describe('sparsemax: errors', () => {
  it('rejects non-float inputs and bad axes', () => {
    expect(() => sparsemax(tensor([1, 2], { dtype: 'int32' }))).toThrow(/sparsemax: input must be float32/);
    expect(() => sparsemax(tensor([1, 2]), 1)).toThrow(/sparsemax: axis 1 is out of range/);
    expect(() => sparsemax([1, 2] as unknown as Tensor)).toThrow(/sparsemax: input must be a Tensor/);
  });
});
