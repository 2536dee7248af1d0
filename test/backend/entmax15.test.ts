// 1.5-entmax, the kernel pair added through the kernel table alone: the reference against an independent
// bisection, the native kernel against the reference, and the op's gradient against finite differences.
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backend/js/index.js';
import type { Backend } from '../../src/backend/kernels.js';
import { createNativeBackend } from '../../src/backend/native/backend.js';
import { loadAddon } from '../../src/backend/native/load.js';
import { loadWasm } from '../../src/backend/wasm/load.js';
import { entmax15, Generator, tensor } from '../../src/index.js';
import { gradcheck } from '../helpers/gradcheck.js';

const nativeLoaded = loadAddon();

/** 1.5-entmax of one row in double, by bisection on τ: Σ max(x/2 − τ, 0)² = 1. */
function entmaxRow(x: readonly number[]): number[] {
  const z = x.filter((v) => v !== -Infinity).map((v) => v / 2);
  if (z.length === 0) return x.map(() => 0);
  const top = Math.max(...z);
  let lo = top - 1; // the sum is ≥ 1 here
  let hi = top; // and 0 here
  for (let it = 0; it < 200; it++) {
    const mid = (lo + hi) / 2;
    const s = z.reduce((acc, v) => acc + Math.max(v - mid, 0) ** 2, 0);
    if (s > 1) lo = mid;
    else hi = mid;
  }
  const tau = (lo + hi) / 2;
  return x.map((v) => (v === -Infinity ? 0 : Math.max(v / 2 - tau, 0) ** 2));
}

function run(be: Backend, x: Float32Array, outer: number, n: number, inner: number): Float32Array {
  const out = new Float32Array(x.length).fill(Number.NaN);
  be.entmax15({ x, outer, n, inner, out });
  return out;
}

function random(n: number, seed: number, scale: number): Float32Array {
  const g = new Generator(seed);
  return Float32Array.from({ length: n }, () => (g.uniform() - 0.5) * scale);
}

describe('entmax15 (reference)', () => {
  it('matches the bisection on rows of every support size, along any axis', () => {
    const rows = [
      [0, 0],
      [1, 0, -1],
      [3, 0.1, 0.2, -4, 0],
      [0.5, 0.4, 0.3, 0.2, 0.1],
      [100, 99.5, -3, 100.25],
    ];
    for (const row of rows) {
      const y = run(jsBackend, Float32Array.from(row), 1, row.length, 1);
      const want = entmaxRow(Array.from(Float32Array.from(row)));
      y.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
      expect(y.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    }
    // Two rows of 3 along the first axis (inner 2) give the same values as the rows themselves.
    const x = Float32Array.of(1, 3, 0, 0.1, -1, 0.2);
    const y = run(jsBackend, x, 1, 3, 2);
    const a = entmaxRow([1, 0, -1]);
    const b = entmaxRow([3, 0.1, 0.2]);
    [a[0], b[0], a[1], b[1], a[2], b[2]].forEach((w, i) => expect(y[i]).toBeCloseTo(w!, 6));
  });

  it('gives -∞ exactly 0, an all -∞ row zeros, and NaN for a NaN or +∞', () => {
    const y = run(
      jsBackend,
      Float32Array.of(0, -Infinity, 0, -Infinity, -Infinity, 1, NaN, Infinity, 0),
      3,
      3,
      1,
    );
    expect(Array.from(y.subarray(0, 3))).toEqual([0.5, 0, 0.5]);
    expect(Array.from(y.subarray(3, 6))).toEqual([0, 0, 1]);
    expect(y.subarray(6).every(Number.isNaN)).toBe(true);
    expect(Array.from(run(jsBackend, Float32Array.of(-Infinity, -Infinity), 1, 2, 1))).toEqual([0, 0]);
  });

  it('matches finite differences through the entmax15 op, along both axes and with masked entries', () => {
    // Rows whose entries sit well away from the support boundary (where the gradient has its kink).
    const x = tensor([
      [1.2, 0.3, -2.5, 0.9],
      [0.1, 0.15, 0.05, -0.02],
      [4, -4, 3.2, -1],
    ]);
    gradcheck((t) => entmax15(t), [x], { atol: 1e-3 });
    gradcheck((t) => entmax15(t, 0), [x], { atol: 1e-3 });
    const masked = tensor([[1.2, -Infinity, 0.4, 0.9]]);
    const y = entmax15(masked);
    expect(y.data[1]).toBe(0);
  });
});

const wasm = loadWasm();
for (const [name, loaded] of [
  ['native', nativeLoaded],
  ['wasm', wasm],
] as const)
  describe.skipIf(!loaded.ok)(`entmax15 (${name})`, () => {
    const native = loaded.ok ? createNativeBackend(loaded.addon, name) : jsBackend;

    it('is ported: the addon exports both kernels', () => {
      expect(loaded.ok && typeof loaded.addon.entmax15).toBe('function');
      expect(loaded.ok && typeof loaded.addon.entmax15Grad).toBe('function');
    });

    it('gives the reference bits forward and backward, with masked, tied and strided slices', () => {
      for (const [outer, n, inner, scale, seed] of [
        [7, 13, 1, 6, 1],
        [3, 64, 5, 20, 2],
        [300, 40, 2, 4, 3],
        [2, 1, 3, 1, 4],
      ] as const) {
        const x = random(outer * n * inner, seed, scale);
        for (let i = 0; i < x.length; i += 7) x[i] = -Infinity;
        x[1] = x[2]!;
        const y = run(native, x, outer, n, inner);
        expect(y).toEqual(run(jsBackend, x, outer, n, inner));
        const dy = random(x.length, seed + 10, 2);
        const dx = (be: Backend) => {
          const out = new Float32Array(x.length).fill(Number.NaN);
          be.entmax15Grad({ y, dy, outer, n, inner, dx: out });
          return out;
        };
        expect(dx(native)).toEqual(dx(jsBackend));
      }
    });

    it('checks its arguments from the table', () => {
      expect(() =>
        native.entmax15({ x: new Float32Array(5), outer: 2, n: 3, inner: 1, out: new Float32Array(6) }),
      ).toThrow(/x has 5 elements, needs 6/);
    });
  });
