// The prepacked right operand (packMatmulB / matmulPacked) on both backends: the same bits as matmul on the
// backend that packed it, values within float32 tolerance of the reference, on shapes that cross every GEMM
// path's edges (m around the short-A limit of 144 and the matrix-vector limit of 4, m not a multiple of 6, n
// not a multiple of 16, k over several 512-deep slices), and the same bits on 1 and 3 threads.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backend/js/index.js';
import type { Backend } from '../../src/backend/kernels.js';
import { createNativeBackend } from '../../src/backend/native/backend.js';
import { loadAddon } from '../../src/backend/native/load.js';
import { loadWasm } from '../../src/backend/wasm/load.js';

const loaded = loadAddon();

function randomF32(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

function expectClose(actual: Float32Array, expected: Float32Array, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    if (!(err <= worst)) worst = err; // NaN (an element never written) becomes the worst
  }
  expect(worst).toBeLessThanOrEqual(tol);
}

const SHAPES: [number, number, number][] = [
  [1, 17, 513],
  [4, 33, 70],
  [5, 16, 1],
  [7, 1, 9],
  [64, 100, 1100],
  [143, 37, 1537],
  [144, 64, 600],
  [145, 20, 515],
];

function packedAgrees(be: Backend, name: string): void {
  it(`${name}: matmulPacked gives matmul's bits for every transpose and path`, () => {
    let seed = 1;
    for (const [m, n, k] of SHAPES)
      for (const transA of [false, true])
        for (const transB of [false, true]) {
          const a = randomF32(m * k, seed++);
          const b = randomF32(k * n, seed++);
          const want = new Float32Array(m * n);
          be.matmul({ a, b, out: want, batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0 });
          const packed = be.packMatmulB(b, k, n, transB);
          // Twice from one packing: the packed copy is read, never consumed.
          for (let rep = 0; rep < 2; rep++) {
            const got = new Float32Array(m * n).fill(NaN);
            be.matmulPacked(a, packed, got, m, transA);
            expect(got).toEqual(want);
          }
          if (be !== jsBackend) {
            const reference = new Float32Array(m * n);
            jsBackend.matmul({
              a,
              b,
              out: reference,
              batch: 1,
              m,
              n,
              k,
              transA,
              transB,
              strideA: 0,
              strideB: 0,
            });
            expectClose(want, reference, 1e-4 * Math.sqrt(k));
          }
        }
  });

  it(`${name}: packing into a reused PackedMatrix gives the new B's product, in the same buffer`, () => {
    const [m, n, k] = [20, 50, 600];
    const a = randomF32(m * k, 21);
    const first = be.packMatmulB(randomF32(k * n, 22), k, n, true);
    const b = randomF32(k * n, 23);
    const again = be.packMatmulB(b, k, n, true, first);
    if (first.packed) expect(again.packed).toBe(first.packed);
    const want = new Float32Array(m * n);
    be.matmul({ a, b, out: want, batch: 1, m, n, k, transA: false, transB: true, strideA: 0, strideB: 0 });
    const got = new Float32Array(m * n).fill(NaN);
    be.matmulPacked(a, again, got, m, false);
    expect(got).toEqual(want);
    // A PackedMatrix of another shape is not reused.
    const other = be.packMatmulB(randomF32(k * 7, 24), k, 7, true, first);
    if (first.packed) expect(other.packed).not.toBe(first.packed);
  });

  it(`${name}: a B packed transposed and untransposed gives the same product`, () => {
    // W [n, k] read as h·Wᵀ (transB) and its transpose stored [k, n]: the forward and backward uses of a weight.
    const [m, n, k] = [64, 70, 1100];
    const a = randomF32(m * k, 11);
    const w = randomF32(n * k, 12);
    const wT = new Float32Array(k * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) wT[j * n + i] = w[i * k + j]!;
    const viaTrans = new Float32Array(m * n);
    const viaPlain = new Float32Array(m * n);
    be.matmulPacked(a, be.packMatmulB(w, k, n, true), viaTrans, m, false);
    be.matmulPacked(a, be.packMatmulB(wT, k, n, false), viaPlain, m, false);
    expect(viaPlain).toEqual(viaTrans);
  });
}

describe('prepacked matmul (JavaScript reference)', () => packedAgrees(jsBackend, 'js'));

describe.skipIf(!loaded.ok)('prepacked matmul (native)', () => {
  const native = loaded.ok ? createNativeBackend(loaded.addon) : jsBackend;
  packedAgrees(native, 'native');

  it('reads a PackedMatrix that the reference made as a plain product', () => {
    const [m, n, k] = [9, 32, 40];
    const a = randomF32(m * k, 3);
    const b = randomF32(k * n, 4);
    const want = new Float32Array(m * n);
    native.matmul({
      a,
      b,
      out: want,
      batch: 1,
      m,
      n,
      k,
      transA: false,
      transB: true,
      strideA: 0,
      strideB: 0,
    });
    const got = new Float32Array(m * n);
    native.matmulPacked(a, jsBackend.packMatmulB(b, k, n, true), got, m, false);
    expect(got).toEqual(want);
  });

  it('rejects a packed buffer that is too short', () => {
    if (!loaded.ok) return;
    const addon = loaded.addon;
    expect(addon.packedBFloats(10, 17)).toBe(10 * 32);
    expect(() => addon.packB(new Float32Array(170), 10, 17, false, new Float32Array(170))).toThrow(
      /packed has 170 elements, needs 320/,
    );
  });

  it('a tiny product (one sentence’s attention step) gives the bits of its rows inside a product too big for that path', () => {
    if (!loaded.ok) return;
    const be = createNativeBackend(loaded.addon);
    const ROWS = 200; // 200·n·k multiply-adds: the packed paths
    let seed = 500;
    for (const [m, n, k] of [
      [1, 256, 7],
      [7, 256, 1],
      [5, 19, 9],
      [1, 8, 1],
      [3, 40, 100],
    ] as const)
      for (const transA of [false, true])
        for (const transB of [false, true]) {
          // At most four rows of A times a transposed B take the matrix-vector path, which sums in lanes.
          if (m <= 4 && !transA && transB) continue;
          const a = randomF32(m * k, seed++);
          const b = randomF32(k * n, seed++);
          const tiny = new Float32Array(m * n).fill(NaN);
          be.matmul({ a, b, out: tiny, batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0 });
          // The same rows of op(A) as the first m of ROWS: [ROWS, k] untransposed, [k, ROWS] transposed.
          const big = randomF32(ROWS * k, seed++);
          for (let i = 0; i < m; i++)
            for (let p = 0; p < k; p++)
              big[transA ? p * ROWS + i : i * k + p] = a[transA ? p * m + i : i * k + p]!;
          const out = new Float32Array(ROWS * n);
          be.matmul({ a: big, b, out, batch: 1, m: ROWS, n, k, transA, transB, strideA: 0, strideB: 0 });
          expect({ m, n, k, transA, transB, tiny }).toEqual({
            m,
            n,
            k,
            transA,
            transB,
            tiny: out.subarray(0, m * n),
          });
          const reference = new Float32Array(m * n);
          jsBackend.matmul({
            a,
            b,
            out: reference,
            batch: 1,
            m,
            n,
            k,
            transA,
            transB,
            strideA: 0,
            strideB: 0,
          });
          expectClose(tiny, reference, 1e-4 * Math.sqrt(k));
        }
    // Batched, as the attention of 64 sentences: each product is the one alone.
    const [batch, m, n, k] = [64, 1, 256, 7];
    const a = randomF32(batch * m * k, 901);
    const b = randomF32(batch * k * n, 902);
    const all = new Float32Array(batch * m * n);
    be.matmul({
      a,
      b,
      out: all,
      batch,
      m,
      n,
      k,
      transA: false,
      transB: false,
      strideA: m * k,
      strideB: k * n,
    });
    for (const i of [0, 31, 63]) {
      const one = new Float32Array(m * n);
      const ai = a.subarray(i * m * k, (i + 1) * m * k);
      const bi = b.subarray(i * k * n, (i + 1) * k * n);
      be.matmul({
        a: ai,
        b: bi,
        out: one,
        batch: 1,
        m,
        n,
        k,
        transA: false,
        transB: false,
        strideA: 0,
        strideB: 0,
      });
      expect(all.subarray(i * m * n, (i + 1) * m * n)).toEqual(one);
    }
  });

  it('packs and multiplies with the same bits on 1 and 3 threads', () => {
    if (!loaded.ok) return;
    // m not a multiple of 6, n not a multiple of 16, k over three 512-deep slices; a shape the short path
    // threads (64×1536×512, a GRU step) and one it does not split evenly.
    const script = `
      const addon = require(${JSON.stringify(loaded.path)});
      let h = 0;
      for (const [m, n, k, tb] of [[61, 333, 1300, true], [64, 1536, 512, true], [100, 90, 1537, false]]) {
        const a = new Float32Array(m * k), b = new Float32Array(k * n), c = new Float32Array(m * n);
        for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
        for (let i = 0; i < b.length; i++) b[i] = Math.cos(3 * i);
        const p = new Float32Array(addon.packedBFloats(k, n));
        addon.packB(b, k, n, tb, p);
        addon.matmulPrepacked(a, b, p, c, m, n, k, false, tb);
        for (const w of new Uint32Array(c.buffer)) h = (Math.imul(h, 31) + w) >>> 0;
        addon.matmul(a, b, c, 1, m, n, k, false, tb, 0, 0);
        for (const w of new Uint32Array(c.buffer)) h = (Math.imul(h, 31) + w) >>> 0;
      }
      console.log(addon.info().threads + ' ' + h.toString(16));`;
    const run = (threads: string) =>
      execFileSync(process.execPath, ['-e', script], {
        env: { ...process.env, ATTN_THREADS: threads },
        encoding: 'utf8',
      }).trim();
    const [one, three] = [run('1'), run('3')];
    expect(one.split(' ')[0]).toBe('1');
    expect(three.split(' ')[0]).toBe('3');
    expect(three.split(' ')[1]).toBe(one.split(' ')[1]);
  });
});

describe('prepacked matmul (wasm)', () => {
  const wasm = loadWasm();
  const backend = wasm.ok ? createNativeBackend(wasm.addon, 'wasm') : jsBackend;
  it('loads', () => expect(wasm.ok).toBe(true));
  packedAgrees(backend, 'wasm');

  it('reads a PackedMatrix that another backend made as a plain product', () => {
    const [m, n, k] = [9, 32, 40];
    const a = randomF32(m * k, 3);
    const b = randomF32(k * n, 4);
    const args = { batch: 1, m, n, k, transA: false, transB: true, strideA: 0, strideB: 0 };
    const want = new Float32Array(m * n);
    backend.matmul({ a, b, out: want, ...args });
    const got = new Float32Array(m * n);
    backend.matmulPacked(a, jsBackend.packMatmulB(b, k, n, true), got, m, false);
    expect(got).toEqual(want);
  });

  it('the SIMD128 micro-kernel gives the portable kernel’s bits (a multiply then an add, p in order)', () => {
    if (!wasm.ok) return;
    for (const [m, n, k, transA, transB] of [
      [61, 333, 1300, false, true],
      [100, 90, 517, true, false],
      [6, 8, 3, false, false],
    ] as const) {
      const a = randomF32(m * k, 5);
      const b = randomF32(k * n, 6);
      const args = { batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0 };
      const simd = new Float32Array(m * n);
      const portable = new Float32Array(m * n);
      expect(wasm.addon.info().simd).toBe('simd128');
      backend.matmul({ a, b, out: simd, ...args });
      wasm.addon.setPortableOnly(true);
      try {
        expect(wasm.addon.info()).toMatchObject({ simd: 'portable', portableReason: 'forced' });
        backend.matmul({ a, b, out: portable, ...args });
      } finally {
        wasm.addon.setPortableOnly(false);
      }
      expect(Buffer.from(simd.buffer).equals(Buffer.from(portable.buffer))).toBe(true);
    }
  });

  it('rejects a packed buffer that is too short', () => {
    if (!wasm.ok) return;
    const addon = wasm.addon;
    const size = addon.packedBFloats(10, 17);
    expect(size).toBeGreaterThanOrEqual(10 * 17);
    expect(() => addon.packB(new Float32Array(170), 10, 17, false, new Float32Array(170))).toThrow(
      new RegExp(`packed has 170 elements, needs ${size}`),
    );
  });
});
