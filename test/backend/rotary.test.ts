// The rotary kernel (RoPE), added through the kernel table: the reference against the formula in double, the
// native kernel against the reference bit for bit (forward and inverse), and the op's gradient against finite
// differences.
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backend/js/index.js';
import type { Backend } from '../../src/backend/kernels.js';
import { createNativeBackend } from '../../src/backend/native/backend.js';
import { loadAddon } from '../../src/backend/native/load.js';
import { Generator, matmul, randn, rotary, Tensor } from '../../src/index.js';
import { rotaryAngles } from '../../src/tensor/ops/rotary.js';
import { gradcheck } from '../helpers/gradcheck.js';

const loaded = loadAddon();

function random(n: number, seed: number, scale: number): Float32Array {
  const g = new Generator(seed);
  return Float32Array.from({ length: n }, () => (g.uniform() - 0.5) * scale);
}

function run(
  be: Backend,
  x: Float32Array,
  outer: number,
  t: number,
  d: number,
  offset: number,
  inverse: boolean,
) {
  const { cos, sin } = rotaryAngles(t, d, offset, 10000);
  const out = new Float32Array(x.length).fill(Number.NaN);
  be.rotary({ x, cos, sin, outer, t, d, inverse, out });
  return out;
}

describe('rotary (reference)', () => {
  it('turns features i and i + d/2 by (offset + t)·10000^(−2i/d)', () => {
    const [outer, t, d, offset] = [2, 3, 6, 5];
    const x = random(outer * t * d, 1, 4);
    const y = run(jsBackend, x, outer, t, d, offset, false);
    const h = d / 2;
    for (let o = 0; o < outer; o++)
      for (let r = 0; r < t; r++)
        for (let i = 0; i < h; i++) {
          const angle = (offset + r) * Math.pow(10000, (-2 * i) / d);
          const row = (o * t + r) * d;
          const [a, b] = [x[row + i]!, x[row + h + i]!];
          expect(y[row + i]).toBeCloseTo(a * Math.cos(angle) - b * Math.sin(angle), 5);
          expect(y[row + h + i]).toBeCloseTo(b * Math.cos(angle) + a * Math.sin(angle), 5);
        }
    // inverse undoes it.
    const back = run(jsBackend, y, outer, t, d, offset, true);
    back.forEach((v, i) => expect(v).toBeCloseTo(x[i]!, 5));
  });

  it('makes the scores of rotated queries and keys depend on the distance only', () => {
    const q = randn([1, 1, 4], { generator: new Generator(3) });
    const k = randn([1, 1, 4], { generator: new Generator(4) });
    const score = (m: number, n: number) =>
      matmul(rotary(q, { offset: m }), rotary(k, { offset: n }), { transB: true }).data[0]!;
    expect(score(7, 3)).toBeCloseTo(score(4, 0), 4);
    expect(score(20, 25)).toBeCloseTo(score(0, 5), 4);
  });

  it('matches finite differences through the op, at an offset and with other bases', () => {
    const x = randn([2, 3, 4, 6], { generator: new Generator(5) });
    gradcheck((t) => rotary(t), [x]);
    gradcheck((t) => rotary(t, { offset: 9, base: 500 }), [x]);
  });

  it('names the op and the shapes on bad input', () => {
    expect(() => rotary(new Tensor(new Float32Array(6), [2, 3]))).toThrow(/rotary.*even d.*\[2,3\]/);
    expect(() => rotary(new Tensor(new Float32Array(4), [2, 2]), { offset: -1 })).toThrow(/offset/);
  });
});

describe.skipIf(!loaded.ok)('rotary (native)', () => {
  const native = loaded.ok ? createNativeBackend(loaded.addon) : jsBackend;

  it('is ported: the addon exports it', () => {
    expect(loaded.ok && typeof loaded.addon.rotary).toBe('function');
  });

  it('gives the reference bits, forward and inverse, small and threaded', () => {
    for (const [outer, t, d, offset, seed] of [
      [1, 1, 2, 0, 1],
      [3, 7, 8, 4, 2],
      [64, 33, 32, 100, 3],
      [2, 5, 64, 0, 4],
    ] as const) {
      const x = random(outer * t * d, seed, 10);
      for (const inverse of [false, true])
        expect(run(native, x, outer, t, d, offset, inverse)).toEqual(
          run(jsBackend, x, outer, t, d, offset, inverse),
        );
    }
  });

  it('checks its arguments from the table', () => {
    const f = new Float32Array(6);
    expect(() =>
      native.rotary({ x: f, cos: f, sin: f, outer: 1, t: 2, d: 3, inverse: false, out: new Float32Array(6) }),
    ).toThrow(/even number of features/);
  });
});
