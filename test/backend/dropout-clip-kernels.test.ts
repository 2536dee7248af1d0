// The dropoutMask, sumOfSquares and scaleInPlace kernels: the reference against the JavaScript loops they
// replace (Generator.fillUniform + comparison; clipGradNorm's float64 loops), and the native addon and the
// WebAssembly module against the reference bit for bit, odd lengths included; then the ops (dropout,
// clipGradNorm) on the native backend against the reference backend.
import { afterEach, describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backend/js/index.js';
import type { Backend } from '../../src/backend/kernels.js';
import { createNativeBackend } from '../../src/backend/native/backend.js';
import { loadAddon } from '../../src/backend/native/load.js';
import { getBackend, setBackend } from '../../src/backend/registry.js';
import { loadWasm } from '../../src/backend/wasm/load.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { dropout, Generator, ones, Tensor, zeros } from '../../src/index.js';

const loaded = loadAddon();
const wasm = loadWasm();
const lengths = [0, 1, 3, 7, 8, 13, 1031, 70001];

function words(g: Generator): Int32Array {
  const w = new Int32Array(4);
  g.storeWords(w);
  return w;
}

/** The mask as the dropout op drew it before the kernel: fillUniform, then the comparison. */
function oldMask(g: Generator, n: number, p: number): Float32Array {
  const keep = 1 - p;
  const scale = 1 / keep;
  const mask = g.fillUniform(new Float32Array(n));
  for (let i = 0; i < n; i++) mask[i] = mask[i]! < keep ? scale : 0;
  return mask;
}

function randomGrads(seed: number, sizes: number[], scale: number): Float32Array[] {
  const g = new Generator(seed);
  return sizes.map((n) => Float32Array.from({ length: n }, () => g.normal() * scale));
}

/** clipGradNorm's p = 2 sum as the JavaScript loop computed it. */
function oldSum(grads: Float32Array[]): number {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  return sum;
}

function sumOn(be: Backend, grads: Float32Array[]): number {
  const acc = new Float64Array(1);
  const w = new Int32Array(acc.buffer);
  for (const g of grads) be.sumOfSquares({ x: g, sum: w });
  return acc[0]!;
}

describe('dropoutMask, sumOfSquares, scaleInPlace (reference)', () => {
  for (const n of lengths)
    it(`dropoutMask n=${n}: the mask and the state after of fillUniform + comparison`, () => {
      for (const [seed, p] of [
        [0, 0.1],
        [7, 0.5],
        [-3, 0.999],
      ] as const) {
        const a = new Generator(seed);
        const b = new Generator(seed);
        const state = words(a);
        const out = new Float32Array(n).fill(Number.NaN);
        jsBackend.dropoutMask({ state, keep: 1 - p, scale: 1 / (1 - p), out });
        a.loadWords(state);
        expect(out).toEqual(oldMask(b, n, p));
        expect(a.getState()).toEqual(b.getState());
        expect(a.nextUint32()).toBe(b.nextUint32());
      }
    });

  it('sumOfSquares: sixteen partial sums per array, added in order, chained over several arrays', () => {
    const grads = randomGrads(1, [1, 7, 1031, 13, 70001], 1e3);
    let want = 0;
    for (const g of grads) {
      const parts = new Array<number>(16).fill(0);
      for (let i = 0; i < g.length; i++) parts[i % 16]! += g[i]! * g[i]!;
      want += parts.reduce((a, b) => a + b, 0);
    }
    expect(sumOn(jsBackend, grads)).toBe(want);
    // The same sum as one loop in index order, to float64 rounding.
    expect(Math.abs(sumOn(jsBackend, grads) - oldSum(grads))).toBeLessThan(1e-12 * oldSum(grads));
  });

  it('scaleInPlace rounds the float64 product once', () => {
    const [x] = randomGrads(2, [1031], 3);
    const y = Float32Array.from(x!);
    jsBackend.scaleInPlace({ x: y, factor: 0.1234567 });
    expect(y).toEqual(Float32Array.from(x!, (v) => v * 0.1234567));
  });
});

const targets = [
  { name: 'native', skip: !loaded.ok, backend: () => (loaded.ok ? createNativeBackend(loaded.addon) : null) },
  // The WebAssembly module is committed: its run is never skipped.
  { name: 'wasm', skip: false, backend: () => (wasm.ok ? createNativeBackend(wasm.addon, 'wasm') : null) },
] as const;

for (const target of targets)
  describe.skipIf(target.skip)(`${target.name}: dropoutMask, sumOfSquares, scaleInPlace`, () => {
    const be = target.backend()!;
    it('exports the three kernels', () => {
      const addon =
        target.name === 'native' ? (loaded.ok ? loaded.addon : null) : wasm.ok ? wasm.addon : null;
      expect(typeof addon?.dropoutMask).toBe('function');
      expect(typeof addon?.sumOfSquares).toBe('function');
      expect(typeof addon?.scaleInPlace).toBe('function');
    });

    for (const n of lengths)
      it(`dropoutMask n=${n}: same mask bits and state as the reference`, () => {
        for (const [seed, p] of [
          [0, 0.1],
          [11, 0.3],
          [2 ** 40 + 5, 0.75],
        ] as const) {
          const s1 = words(new Generator(seed));
          const s2 = Int32Array.from(s1);
          const o1 = new Float32Array(n).fill(Number.NaN);
          const o2 = new Float32Array(n).fill(Number.NaN);
          jsBackend.dropoutMask({ state: s1, keep: 1 - p, scale: 1 / (1 - p), out: o1 });
          be.dropoutMask({ state: s2, keep: 1 - p, scale: 1 / (1 - p), out: o2 });
          expect(new Uint32Array(o2.buffer)).toEqual(new Uint32Array(o1.buffer));
          expect(s2).toEqual(s1);
        }
      });

    it('sumOfSquares: same float64 bits as the reference, chained, on every SIMD path', () => {
      const addon =
        target.name === 'native' ? (loaded.ok ? loaded.addon : null) : wasm.ok ? wasm.addon : null;
      // AVX-512, AVX2 and the portable loop on x86 (where the CPU has them); SIMD128 and scalar in wasm.
      const paths: [string, () => void][] = [
        ['default', () => {}],
        ['no AVX-512', () => addon!.setAvx512Off(true)],
        ['portable', () => addon!.setPortableOnly(true)],
      ];
      for (const [path, set] of paths) {
        set();
        try {
          for (const scale of [1e-20, 1, 1e3, 1e17]) {
            const grads = randomGrads(3, [1, 7, 8, 15, 16, 17, 1031, 13, 70001, 3], scale);
            expect({ path, scale, sum: sumOn(be, grads) }).toEqual({
              path,
              scale,
              sum: sumOn(jsBackend, grads),
            });
          }
        } finally {
          addon!.setAvx512Off(false);
          addon!.setPortableOnly(false);
        }
      }
    });

    it('scaleInPlace: same bits as the reference, NaN factor included', () => {
      for (const factor of [0.1234567, 1 / 3, 1e-30, Number.NaN]) {
        for (const n of lengths) {
          const [x] = randomGrads(n, [n], 5);
          const a = Float32Array.from(x!);
          const b = Float32Array.from(x!);
          jsBackend.scaleInPlace({ x: a, factor });
          be.scaleInPlace({ x: b, factor });
          expect(new Uint32Array(b.buffer)).toEqual(new Uint32Array(a.buffer));
        }
      }
    });

    describe('the ops on this backend against the reference backend', () => {
      const previous = getBackend();
      afterEach(() => setBackend(previous));

      function onBackend<T>(backend: Backend, f: () => T): T {
        setBackend(backend);
        try {
          return f();
        } finally {
          setBackend(previous);
        }
      }

      it('dropout: same output and generator state', () => {
        for (const shape of [[1], [3, 5], [7, 13, 11]]) {
          const x = ones(shape);
          const run = (backend: Backend) =>
            onBackend(backend, () => {
              const g = new Generator(5);
              const y = [dropout(x, 0.1, true, g), dropout(x, 0.6, true, g)].map((t) => [...t.data]);
              return { y, state: g.getState() };
            });
          expect(run(be)).toEqual(run(jsBackend));
        }
      });

      it('clipGradNorm (p = 2): same total and clipped gradients', () => {
        const run = (backend: Backend, maxNorm: number) =>
          onBackend(backend, () => {
            const params = randomGrads(9, [5, 1031, 8, 70001], 0.01).map((g) => {
              const p = zeros([g.length]);
              p.grad = new Tensor(g, [g.length]);
              return p;
            });
            const total = clipGradNorm(params, maxNorm);
            return { total, grads: params.map((p) => [...p.grad!.data]) };
          });
        for (const maxNorm of [0.5, 1e6]) expect(run(be, maxNorm)).toEqual(run(jsBackend, maxNorm));
      });
    });
  });
