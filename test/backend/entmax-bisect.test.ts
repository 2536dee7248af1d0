// α-entmax by bisection, the kernel pair added through the kernel table: the reference against the closed forms
// (α = 2 sparsemax, α = 1.5 the exact entmax15, α → 1 softmax), the op's gradient against finite differences,
// and the native kernel against the reference.
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backend/js/index.js';
import type { Backend } from '../../src/backend/kernels.js';
import { createNativeBackend } from '../../src/backend/native/backend.js';
import { loadAddon } from '../../src/backend/native/load.js';
import { entmax15, entmaxBisect, Generator, sparsemax, tensor } from '../../src/index.js';
import { gradcheck } from '../helpers/gradcheck.js';

const loaded = loadAddon();

function run(
  be: Backend,
  x: Float32Array,
  outer: number,
  n: number,
  inner: number,
  alpha: number,
): Float32Array {
  const out = new Float32Array(x.length).fill(Number.NaN);
  be.entmaxBisect({ x, outer, n, inner, alpha, out });
  return out;
}

function random(n: number, seed: number, scale: number): Float32Array {
  const g = new Generator(seed);
  return Float32Array.from({ length: n }, () => (g.uniform() - 0.5) * scale);
}

/** Softmax of one row in double. */
function softmaxRow(x: Float32Array): number[] {
  const max = Math.max(...x);
  const e = Array.from(x, (v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const ROWS = [
  [0, 0],
  [1, 0, -1],
  [3, 0.1, 0.2, -4, 0],
  [0.5, 0.4, 0.3, 0.2, 0.1],
  [100, 99.5, -3, 100.25],
  [2.5, -1.5, 0.75, 0.7, -0.2, 1.9, 0.05],
];

describe('entmaxBisect (reference)', () => {
  it('is sparsemax at α = 2 and entmax15 at α = 1.5, on rows of every support size, along any axis', () => {
    for (const row of ROWS) {
      const x = Float32Array.from(row);
      const y2 = run(jsBackend, x, 1, row.length, 1, 2);
      const y15 = run(jsBackend, x, 1, row.length, 1, 1.5);
      const sm = sparsemax(tensor(row)).data;
      const e15 = entmax15(tensor(row)).data;
      y2.forEach((v, i) => expect(Math.abs(v - sm[i]!)).toBeLessThan(1e-6));
      y15.forEach((v, i) => expect(Math.abs(v - e15[i]!)).toBeLessThan(1e-6));
      expect(y15.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    }
    // Two rows of 3 along the first axis (inner 2) give the same values as the rows themselves.
    const y = run(jsBackend, Float32Array.of(1, 3, 0, 0.1, -1, 0.2), 1, 3, 2, 1.7);
    const a = run(jsBackend, Float32Array.of(1, 0, -1), 1, 3, 1, 1.7);
    const b = run(jsBackend, Float32Array.of(3, 0.1, 0.2), 1, 3, 1, 1.7);
    expect(Array.from(y)).toEqual([a[0], b[0], a[1], b[1], a[2], b[2]]);
  });

  it('approaches softmax as α → 1, and is sparser the larger α', () => {
    for (const row of ROWS.slice(0, 4)) {
      const x = Float32Array.from(row);
      const soft = softmaxRow(x);
      const near = run(jsBackend, x, 1, row.length, 1, 1.001);
      near.forEach((v, i) => expect(Math.abs(v - soft[i]!)).toBeLessThan(2e-3));
      const nearer = run(jsBackend, x, 1, row.length, 1, 1.0001);
      nearer.forEach((v, i) => expect(Math.abs(v - soft[i]!)).toBeLessThan(2e-4));
    }
    const x = Float32Array.from(ROWS[5]!);
    const support = (alpha: number) => run(jsBackend, x, 1, x.length, 1, alpha).filter((v) => v > 0).length;
    expect([1.05, 1.5, 2, 4].map(support)).toEqual([7, 2, 2, 1]);
  });

  it('gives -∞ exactly 0, an all -∞ row zeros, and NaN for a NaN or +∞', () => {
    const y = run(
      jsBackend,
      Float32Array.of(0, -Infinity, 0, -Infinity, -Infinity, 1, NaN, Infinity, 0),
      3,
      3,
      1,
      1.3,
    );
    expect(Array.from(y.subarray(0, 3))).toEqual([0.5, 0, 0.5]);
    expect(Array.from(y.subarray(3, 6))).toEqual([0, 0, 1]);
    expect(y.subarray(6).every(Number.isNaN)).toBe(true);
    expect(Array.from(run(jsBackend, Float32Array.of(-Infinity, -Infinity), 1, 2, 1, 3))).toEqual([0, 0]);
  });

  it('matches finite differences through the op, along both axes, for several α', () => {
    // Rows whose entries sit well away from the support boundary (where the gradient has its kink).
    const x = tensor([
      [1.2, 0.3, -2.5, 0.9],
      [0.1, 0.15, 0.05, -0.02],
      [4, -4, 3.2, -1],
    ]);
    for (const alpha of [1.2, 1.5, 2]) {
      gradcheck((t) => entmaxBisect(t, alpha), [x], { atol: 1e-3 });
      gradcheck((t) => entmaxBisect(t, alpha, 0), [x], { atol: 1e-3 });
    }
    // Above α = 2, s = y^{2−α} grows without bound towards the support's edge: rows whose weights stay clear of 0.
    const wide = tensor([
      [1.2, 0.3, -2.5, 0.9],
      [0.6, 0.9, -1.5, 0.4],
    ]);
    gradcheck((t) => entmaxBisect(t, 2.5), [wide], { atol: 1e-3 });
    const masked = tensor([[1.2, -Infinity, 0.4, 0.9]]);
    expect(entmaxBisect(masked, 1.5).data[1]).toBe(0);
  });

  it('has entmax15Grad at α = 1.5 and sparsemaxGrad at α = 2', () => {
    const x = random(4 * 9, 5, 6);
    const dy = random(x.length, 6, 2);
    const grad = (be: Backend, kernel: 'entmax15Grad' | 'sparsemaxGrad' | number, y: Float32Array) => {
      const dx = new Float32Array(x.length);
      if (typeof kernel === 'number')
        be.entmaxBisectGrad({ y, dy, outer: 4, n: 9, inner: 1, alpha: kernel, dx });
      else be[kernel]({ y, dy, outer: 4, n: 9, inner: 1, dx });
      return dx;
    };
    const y15 = run(jsBackend, x, 4, 9, 1, 1.5);
    const y2 = run(jsBackend, x, 4, 9, 1, 2);
    const close = (a: Float32Array, b: Float32Array) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 6));
    close(grad(jsBackend, 1.5, y15), grad(jsBackend, 'entmax15Grad', y15));
    close(grad(jsBackend, 2, y2), grad(jsBackend, 'sparsemaxGrad', y2));
  });

  it('rejects α ≤ 1 and a non-finite α, naming the op and the argument', () => {
    const x = tensor([1, 2, 3]);
    for (const alpha of [1, 0.5, -2, Number.NaN, Infinity])
      expect(() => entmaxBisect(x, alpha)).toThrow(
        /entmaxBisect: alpha must be a finite number greater than 1/,
      );
  });
});

describe.skipIf(!loaded.ok)('entmaxBisect (native)', () => {
  const native = loaded.ok ? createNativeBackend(loaded.addon) : jsBackend;

  it('is ported: the addon exports both kernels', () => {
    expect(loaded.ok && typeof loaded.addon.entmaxBisect).toBe('function');
    expect(loaded.ok && typeof loaded.addon.entmaxBisectGrad).toBe('function');
  });

  it('agrees with the reference forward and backward, with masked, tied and strided slices', () => {
    // pow's last bit may differ between libm and V8, so to rounding rather than bit for bit.
    for (const [outer, n, inner, scale, seed, alpha] of [
      [7, 13, 1, 6, 1, 1.5],
      [3, 64, 5, 20, 2, 1.25],
      [300, 40, 2, 4, 3, 2],
      [2, 1, 3, 1, 4, 3.5],
      [50, 17, 1, 8, 5, 1.01],
    ] as const) {
      const x = random(outer * n * inner, seed, scale);
      for (let i = 0; i < x.length; i += 7) x[i] = -Infinity;
      x[1] = x[2]!;
      const y = run(native, x, outer, n, inner, alpha);
      const want = run(jsBackend, x, outer, n, inner, alpha);
      y.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-7 + 1e-6 * want[i]!));
      const dy = random(x.length, seed + 10, 2);
      const dx = (be: Backend) => {
        const out = new Float32Array(x.length).fill(Number.NaN);
        be.entmaxBisectGrad({ y: want, dy, outer, n, inner, alpha, dx: out });
        return out;
      };
      const got = dx(native);
      dx(jsBackend).forEach((v, i) =>
        expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(v)),
      );
    }
  });

  it('checks its arguments from the table', () => {
    expect(() =>
      native.entmaxBisect({
        x: new Float32Array(5),
        outer: 2,
        n: 3,
        inner: 1,
        alpha: 1.5,
        out: new Float32Array(6),
      }),
    ).toThrow(/x has 5 elements, needs 6/);
    expect(() =>
      native.entmaxBisect({
        x: new Float32Array(6),
        outer: 2,
        n: 3,
        inner: 1,
        alpha: 0.9,
        out: new Float32Array(6),
      }),
    ).toThrow(/alpha must be greater than 1/);
  });
});
