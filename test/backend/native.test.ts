// Every native kernel against the JavaScript reference on random inputs of awkward sizes (1, primes, sizes that
// are not multiples of the SIMD width or the GEMM/attention tiles), to float32 tolerance, once on the kernels the
// CPU detection picks (AVX2+FMA here) and once on the portable ones forced by setPortableOnly. Skipped only when
// the addon is unavailable and ATTN_BACKEND=js (a deliberate JavaScript-only run).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backend/js/index.js';
import type { Backend, BinaryOp, CompareOp, ReduceOp, UnaryOp } from '../../src/backend/kernels.js';
import { createNativeBackend } from '../../src/backend/native/backend.js';
import { loadAddon } from '../../src/backend/native/load.js';
import { loadWasm } from '../../src/backend/wasm/load.js';

const loaded = loadAddon();
const nativeLoaded = loaded;
const skip = !loaded.ok && process.env.ATTN_BACKEND === 'js';
// The WebAssembly module is committed, so it always loads: its run of the same cases is never skipped.
const wasm = loadWasm();

/** A small deterministic generator (LCG) so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomF32(n: number, seed: number, scale = 2): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() - 0.5) * scale);
}

function randomInts(n: number, hi: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * hi));
}

/** |a - b| ≤ atol + rtol·|b| elementwise, with NaN and ±∞ required to match exactly. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let where = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) {
        where = i;
        break;
      }
      continue;
    }
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (excess > worst || Number.isNaN(a)) {
      worst = Number.isNaN(a) ? Infinity : excess;
      where = i;
    }
  }
  if (where >= 0) expect(`${actual[where]} at ${where}`).toBe(`${expected[where]} at ${where}`);
}

/**
 * Operands of one fused-attention case read from [B, T, features] rows: q from its own rows, k and v side by
 * side in shared rows, out with spare columns; `strided` adds spare features in front of and after each head
 * range. Padding: none (null), all false, or random with every key of batch element 0 padded.
 */
function attentionCase(
  [batch, heads, tq, tk, d, dv]: readonly [number, number, number, number, number, number],
  causal: boolean,
  padding: 'none' | 'false' | 'random',
  strided: boolean,
  nextSeed: () => number,
) {
  const fq = strided ? heads * d + 3 : heads * d;
  const fkv = strided ? heads * (d + dv) + 1 : heads * (d + dv);
  const fo = strided ? heads * dv + 2 : heads * dv;
  const rowsQ = randomF32(batch * tq * fq, nextSeed(), 4);
  const rowsKv = randomF32(batch * tk * fkv, nextSeed(), 4);
  const [oq, ok] = strided ? [2, 1] : [0, 0];
  const layout = {
    q: { batch: tq * fq, head: d, row: fq },
    k: { batch: tk * fkv, head: d, row: fkv },
    v: { batch: tk * fkv, head: dv, row: fkv },
    out: { batch: tq * fo, head: dv, row: fo },
  };
  let pad: Uint8Array | null = null;
  if (padding !== 'none') pad = new Uint8Array(batch * tk);
  if (padding === 'random') {
    pad = Uint8Array.from(randomInts(batch * tk, 4, nextSeed()), (x) => (x === 0 ? 1 : 0));
    pad.fill(1, 0, tk);
  }
  const q = rowsQ.subarray(oq);
  const k = rowsKv.subarray(ok);
  const v = rowsKv.subarray(ok + heads * d);
  const args = { batch, heads, tq, tk, d, dv, scale: 1 / Math.sqrt(d), causal, layout };
  const bh = batch * heads;
  /** The forward on `b` into outputs prefilled with 7 (out) and NaN (weights): out, lse, weights. */
  const forward = (b: Backend) => {
    const out = new Float32Array(batch * tq * fo).fill(7);
    const lse = new Float32Array(bh * tq);
    const weights = new Float32Array(bh * tq * tk).fill(Number.NaN);
    b.attention({ q, k, v, keyPadding: pad, ...args, out, lse, weights });
    return { out, lse, weights };
  };
  /** The backward on `b` into gradient rows prefilled with 5 (spare columns must keep them): [dq rows, dk|dv rows]. */
  const grads = (
    b: Backend,
    out: Float32Array,
    lse: Float32Array,
    dOut: Float32Array,
    weights: Float32Array | null = null,
  ) => {
    const gq = new Float32Array(rowsQ.length).fill(5);
    const gkv = new Float32Array(rowsKv.length).fill(5);
    b.attentionGrad({
      q,
      k,
      v,
      keyPadding: pad,
      ...args,
      out,
      lse,
      dOut,
      dq: gq.subarray(oq),
      dk: gkv.subarray(ok),
      dV: gkv.subarray(ok + heads * d),
      weights,
    });
    return [gq, gkv];
  };
  return { q, k, v, pad, args, outLength: batch * tq * fo, forward, grads };
}

const SIZES = [1, 7, 13, 17, 64, 129, 257];

type KernelPath = 'detected' | 'portable';

/** `loaded`: the addon, or the WebAssembly module that presents the same functions (backend 'wasm'). */
function agreesWithReference(
  path: KernelPath,
  loaded: ReturnType<typeof loadAddon> | ReturnType<typeof loadWasm> = nativeLoaded,
  backendName: 'native' | 'wasm' = 'native',
): void {
  const native: Backend = loaded.ok ? createNativeBackend(loaded.addon, backendName) : jsBackend;
  beforeAll(() => {
    if (loaded.ok) loaded.addon.setPortableOnly(path === 'portable');
  });
  afterAll(() => {
    if (loaded.ok) loaded.addon.setPortableOnly(false);
  });

  it('loads and reports its threads and the SIMD path that runs', () => {
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const info = loaded.addon.info();
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(['avx512f+avx2+fma', 'avx2+fma', 'simd128', 'portable']).toContain(info.simd);
    expect(info.portableReason === '').toBe(info.simd !== 'portable');
    if (path === 'portable') expect(info).toMatchObject({ simd: 'portable' });
  });

  it('matmul over awkward m, n, k with every transpose', () => {
    let seed = 1;
    for (const m of SIZES)
      for (const n of [1, 13, 129, 257])
        for (const k of [1, 17, 64, 257])
          for (const transA of [false, true])
            for (const transB of [false, true]) {
              const a = randomF32(m * k, seed++);
              const b = randomF32(k * n, seed++);
              const args = { batch: 1, m, n, k, transA, transB, strideA: m * k, strideB: k * n };
              const want = new Float32Array(m * n);
              const got = new Float32Array(m * n).fill(NaN);
              jsBackend.matmul({ a, b, out: want, ...args });
              native.matmul({ a, b, out: got, ...args });
              expectClose(got, want, 1e-4, 1e-5 * Math.sqrt(k));
            }
  });

  it('matmul of short and deep operands: the matrix-vector, short-A and row-band paths', () => {
    let seed = 7;
    for (const m of [1, 2, 3, 4, 5, 64, 144, 145])
      for (const [n, k] of [
        [70, 1100],
        [300, 513],
      ] as const)
        for (const transA of [false, true])
          for (const transB of [false, true]) {
            const a = randomF32(m * k, seed++);
            const b = randomF32(k * n, seed++);
            const args = { batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0 };
            const want = new Float32Array(m * n);
            const got = new Float32Array(m * n).fill(NaN);
            jsBackend.matmul({ a, b, out: want, ...args });
            native.matmul({ a, b, out: got, ...args });
            expectClose(got, want, 1e-4, 1e-5 * Math.sqrt(k));
          }
  });

  it('batched matmul, with a stride-0 operand reused for every batch', () => {
    for (const [batch, m, n, k] of [
      [3, 7, 13, 17],
      [5, 1, 64, 33],
      [2, 129, 31, 257],
      [40, 6, 16, 8],
    ] as const) {
      for (const [sa, sb] of [
        [m * k, k * n],
        [0, k * n],
        [m * k, 0],
      ] as const) {
        const a = randomF32(sa === 0 ? m * k : batch * m * k, batch + m);
        const b = randomF32(sb === 0 ? k * n : batch * k * n, n + k);
        const args = { batch, m, n, k, transA: false, transB: true, strideA: sa, strideB: sb };
        const want = new Float32Array(batch * m * n);
        const got = new Float32Array(batch * m * n);
        jsBackend.matmul({ a, b, out: want, ...args });
        native.matmul({ a, b, out: got, ...args });
        expectClose(got, want, 1e-4, 1e-4);
      }
    }
  });

  it('matmul with k = 0 writes zeros', () => {
    const out = new Float32Array(6).fill(7);
    native.matmul({
      a: new Float32Array(0),
      b: new Float32Array(0),
      out,
      batch: 1,
      m: 2,
      n: 3,
      k: 0,
      transA: false,
      transB: false,
      strideA: 0,
      strideB: 0,
    });
    expect([...out]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('unary ops and their gradients', () => {
    const ops: UnaryOp[] = [
      'neg',
      'exp',
      'log',
      'sqrt',
      'abs',
      'tanh',
      'sigmoid',
      'relu',
      'gelu',
      'sign',
      'square',
      'reciprocal',
    ];
    for (const n of [1, 13, 257, 70001]) {
      const x = randomF32(n, n, 8);
      x[0] = 0;
      if (n > 3) {
        x[1] = NaN;
        x[2] = -Infinity;
      }
      for (const op of ops) {
        const input = op === 'log' || op === 'sqrt' ? x.map(Math.abs) : x;
        const want = new Float32Array(n);
        const got = new Float32Array(n);
        jsBackend.unary({ op, x: input, out: want });
        native.unary({ op, x: input, out: got });
        expectClose(got, want, 2e-6, 1e-7);
        const dy = randomF32(n, 3);
        const dWant = new Float32Array(n);
        const dGot = new Float32Array(n);
        jsBackend.unaryGrad({ op, x: input, y: want, dy, dx: dWant });
        native.unaryGrad({ op, x: input, y: want, dy, dx: dGot });
        expectClose(dGot, dWant, 2e-6, 1e-7);
      }
      const want = new Float32Array(n);
      const got = new Float32Array(n);
      jsBackend.clamp({ x, lo: -0.5, hi: 0.25, out: want });
      native.clamp({ x, lo: -0.5, hi: 0.25, out: got });
      expectClose(got, want, 0, 0);
    }
  });

  it('broadcasting binary ops, comparisons and where', () => {
    const shape = [3, 17, 13];
    const cases: [number[], number[]][] = [
      [
        [221, 13, 1],
        [221, 13, 1],
      ],
      [
        [221, 13, 1],
        [0, 0, 1],
      ],
      [
        [0, 1, 0],
        [221, 13, 1],
      ],
      [
        [1, 3, 51],
        [0, 0, 0],
      ],
    ];
    const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'];
    const cmps: CompareOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
    for (const [as, bs] of cases) {
      const a = randomF32(663, 5, 4).map((v, i) => (i % 11 === 0 ? 0.5 : v));
      const b = randomF32(663, 6, 4).map((v, i) => (i % 7 === 0 ? 0.5 : v));
      a[4] = NaN;
      for (const op of ops) {
        const want = new Float32Array(663);
        const got = new Float32Array(663);
        const pa = op === 'pow' ? a.map(Math.abs) : a;
        jsBackend.binary({ op, a: pa, aStrides: as, b, bStrides: bs, out: want, shape });
        native.binary({ op, a: pa, aStrides: as, b, bStrides: bs, out: got, shape });
        expectClose(got, want, 1e-6, 0);
      }
      for (const op of cmps) {
        const want = new Uint8Array(663);
        const got = new Uint8Array(663);
        jsBackend.compare({ op, a, aStrides: as, b, bStrides: bs, out: want, shape });
        native.compare({ op, a, aStrides: as, b, bStrides: bs, out: got, shape });
        expect(got).toEqual(want);
        const ia = Int32Array.from(a, (v) => Math.round(v * 2) || 0);
        const ib = Int32Array.from(b, (v) => Math.round(v * 2));
        jsBackend.compare({ op, a: ia, aStrides: as, b: ib, bStrides: bs, out: want, shape });
        native.compare({ op, a: ia, aStrides: as, b: ib, bStrides: bs, out: got, shape });
        expect(got).toEqual(want);
      }
      const cond = Uint8Array.from(randomInts(663, 2, 9));
      const want = new Float32Array(663);
      const got = new Float32Array(663);
      jsBackend.where({
        cond,
        condStrides: [221, 13, 1],
        a,
        aStrides: as,
        b,
        bStrides: bs,
        out: want,
        shape,
      });
      native.where({ cond, condStrides: [221, 13, 1], a, aStrides: as, b, bStrides: bs, out: got, shape });
      expectClose(got, want, 0, 0);
    }
    // Large enough to be split over threads.
    const big = randomF32(300_001, 11);
    const want = new Float32Array(300_001);
    const got = new Float32Array(300_001);
    jsBackend.binary({
      op: 'mul',
      a: big,
      aStrides: [1],
      b: big,
      bStrides: [1],
      out: want,
      shape: [300_001],
    });
    native.binary({ op: 'mul', a: big, aStrides: [1], b: big, bStrides: [1], out: got, shape: [300_001] });
    expectClose(got, want, 0, 0);
  });

  it('strided copy and copyAdd (permute, expand, slice, offsets), any dtype', () => {
    const shape = [7, 13, 5];
    const srcF = randomF32(7 * 13 * 5 + 3, 21);
    for (const [ss, so] of [
      [[65, 5, 1], 0],
      [[1, 7, 91], 2],
      [[0, 5, 1], 3],
    ] as const) {
      const want = new Float32Array(455 + 4);
      const got = new Float32Array(455 + 4);
      jsBackend.copy({
        src: srcF,
        srcOffset: so,
        srcStrides: ss,
        dst: want,
        dstOffset: 4,
        dstStrides: [65, 5, 1],
        shape,
      });
      native.copy({
        src: srcF,
        srcOffset: so,
        srcStrides: ss,
        dst: got,
        dstOffset: 4,
        dstStrides: [65, 5, 1],
        shape,
      });
      expectClose(got, want, 0, 0);
      const srcI = randomInts(460, 1000, 3);
      const wi = new Int32Array(460);
      const gi = new Int32Array(460);
      jsBackend.copy({
        src: srcI,
        srcOffset: so,
        srcStrides: ss,
        dst: wi,
        dstOffset: 1,
        dstStrides: [1, 7, 91],
        shape,
      });
      native.copy({
        src: srcI,
        srcOffset: so,
        srcStrides: ss,
        dst: gi,
        dstOffset: 1,
        dstStrides: [1, 7, 91],
        shape,
      });
      expect(gi).toEqual(wi);
      const srcB = Uint8Array.from(randomInts(460, 2, 4));
      const wb = new Uint8Array(460);
      const gb = new Uint8Array(460);
      jsBackend.copy({
        src: srcB,
        srcOffset: so,
        srcStrides: ss,
        dst: wb,
        dstOffset: 0,
        dstStrides: [65, 5, 1],
        shape,
      });
      native.copy({
        src: srcB,
        srcOffset: so,
        srcStrides: ss,
        dst: gb,
        dstOffset: 0,
        dstStrides: [65, 5, 1],
        shape,
      });
      expect(gb).toEqual(wb);
      // copyAdd into a broadcast destination (stride 0) sums several sources into one element.
      for (const ds of [
        [65, 5, 1],
        [0, 5, 1],
        [5, 0, 1],
      ]) {
        const w = randomF32(460, 8);
        const g = w.slice();
        jsBackend.copyAdd({
          src: srcF,
          srcOffset: so,
          srcStrides: ss,
          dst: w,
          dstOffset: 0,
          dstStrides: ds,
          shape,
        });
        native.copyAdd({
          src: srcF,
          srcOffset: so,
          srcStrides: ss,
          dst: g,
          dstOffset: 0,
          dstStrides: ds,
          shape,
        });
        expectClose(g, w, 1e-6, 1e-6);
      }
    }
  });

  it('copy transposing the last two axes (tiled path): partial tiles, outer axes, offsets, threads', () => {
    // dst [outer, rows, cols] contiguous from src [outer, cols, rows]: src stride 1 along rows, `rows` along cols.
    for (const [outer, rows, cols] of [
      [3, 70, 45],
      [1, 512, 1536],
      [2, 1, 33],
      [5, 31, 2],
    ] as const) {
      const n = outer * rows * cols;
      const ss = [rows * cols, 1, rows];
      const ds = [rows * cols, cols, 1];
      const src = randomF32(n + 2, 31);
      const want = new Float32Array(n + 1).fill(7);
      const got = want.slice();
      jsBackend.copy({
        src,
        srcOffset: 2,
        srcStrides: ss,
        dst: want,
        dstOffset: 1,
        dstStrides: ds,
        shape: [outer, rows, cols],
      });
      native.copy({
        src,
        srcOffset: 2,
        srcStrides: ss,
        dst: got,
        dstOffset: 1,
        dstStrides: ds,
        shape: [outer, rows, cols],
      });
      expectClose(got, want, 0, 0);
      const srcB = Uint8Array.from(randomInts(n, 256, 5));
      const wb = new Uint8Array(n);
      const gb = new Uint8Array(n);
      jsBackend.copy({
        src: srcB,
        srcOffset: 0,
        srcStrides: ss,
        dst: wb,
        dstOffset: 0,
        dstStrides: ds,
        shape: [outer, rows, cols],
      });
      native.copy({
        src: srcB,
        srcOffset: 0,
        srcStrides: ss,
        dst: gb,
        dstOffset: 0,
        dstStrides: ds,
        shape: [outer, rows, cols],
      });
      expect(gb).toEqual(wb);
    }
  });

  it('reductions and arg-reductions along any axis, NaN propagating', () => {
    const ops: ReduceOp[] = ['sum', 'max', 'min', 'logsumexp'];
    for (const [outer, n, inner] of [
      [1, 1, 1],
      [7, 13, 1],
      [3, 257, 17],
      [1, 129, 64],
      [2, 1, 7],
      // Enough work for the column blocks of one slice to be split between threads (a bias gradient's shape).
      [1, 300, 1031],
      [2, 97, 515],
    ] as const) {
      const x = randomF32(outer * n * inner, outer + n, 10);
      if (x.length > 20) x[17] = NaN;
      if (x.length > 30) x[29] = -Infinity;
      for (const op of ops) {
        const want = new Float32Array(outer * inner);
        const got = new Float32Array(outer * inner);
        jsBackend.reduce({ op, x, outer, n, inner, out: want });
        native.reduce({ op, x, outer, n, inner, out: got });
        expectClose(got, want, 1e-6, 1e-6);
      }
      for (const op of ['argmax', 'argmin'] as const) {
        const want = new Int32Array(outer * inner);
        const got = new Int32Array(outer * inner);
        jsBackend.argReduce({ op, x, outer, n, inner, out: want });
        native.argReduce({ op, x, outer, n, inner, out: got });
        expect(got).toEqual(want);
        const xi = randomInts(outer * n * inner, 5, 7);
        jsBackend.argReduce({ op, x: xi, outer, n, inner, out: want });
        native.argReduce({ op, x: xi, outer, n, inner, out: got });
        expect(got).toEqual(want);
      }
    }
  });

  it('softmax and log-softmax with their gradients, all -inf rows giving zeros', () => {
    for (const [outer, n, inner] of [
      [1, 1, 1],
      [7, 13, 1],
      [5, 257, 1],
      [3, 17, 7],
      [64, 129, 1],
    ] as const) {
      const size = outer * n * inner;
      const x = randomF32(size, n, 20);
      if (inner === 1 && outer > 2) {
        for (let j = 0; j < n; j++) x[n + j] = -Infinity; // a fully masked row
        x[2 * n] = NaN; // a NaN row
        x[Math.min(size - 1, 2 * n + 3 * n)] = -Infinity;
      }
      for (const log of [false, true]) {
        const want = new Float32Array(size);
        const got = new Float32Array(size);
        jsBackend.softmax({ x, outer, n, inner, log, out: want });
        native.softmax({ x, outer, n, inner, log, out: got });
        expectClose(got, want, 1e-5, 1e-7);
        const y = want.map((v) => (Number.isFinite(v) ? v : 0));
        const dy = randomF32(size, 4);
        const dWant = new Float32Array(size);
        const dGot = new Float32Array(size);
        jsBackend.softmaxGrad({ y, dy, outer, n, inner, log, dx: dWant });
        native.softmaxGrad({ y, dy, outer, n, inner, log, dx: dGot });
        expectClose(dGot, dWant, 1e-5, 1e-6);
      }
    }
  });

  it('cross-entropy forward and backward, with ignored rows and label smoothing', () => {
    for (const [rows, classes] of [
      [1, 1],
      [7, 13],
      [17, 257],
      [129, 64],
    ] as const) {
      const logits = randomF32(rows * classes, rows, 10);
      const targets = randomInts(rows, classes, classes);
      if (rows > 2) targets[1] = -100;
      // A row with masked (−∞) classes other than its target, as padding-masked scores give.
      if (rows > 3 && classes > 2) logits.fill(-Infinity, 3 * classes, 3 * classes + Math.floor(classes / 2));
      if (rows > 3 && classes > 2) targets[3] = classes - 1;
      for (const labelSmoothing of [0, 0.1]) {
        const args = { rows, classes, ignoreIndex: -100, labelSmoothing };
        const lw = new Float32Array(rows);
        const lg = new Float32Array(rows);
        const lseW = new Float32Array(rows);
        const lseG = new Float32Array(rows).fill(NaN);
        jsBackend.crossEntropy({ logits, targets, ...args, loss: lw, logSumExp: lseW });
        native.crossEntropy({ logits, targets, ...args, loss: lg, logSumExp: lseG });
        expectClose(lg, lw, 1e-5, 1e-6);
        expectClose(lseG, lseW, 1e-6, 1e-6);
        const rowGrad = randomF32(rows, 2);
        const dw = new Float32Array(rows * classes);
        const dg = new Float32Array(rows * classes).fill(NaN);
        jsBackend.crossEntropyGrad({ logits, logSumExp: lseW, targets, ...args, rowGrad, dLogits: dw });
        native.crossEntropyGrad({ logits, logSumExp: lseW, targets, ...args, rowGrad, dLogits: dg });
        expectClose(dg, dw, 1e-5, 1e-7);
      }
    }
  });

  it('linear bias + ReLU in one pass: same bits as the reference', () => {
    for (const [rows, n] of [
      [1, 1],
      [7, 13],
      [300, 257],
      [2048, 1024],
    ] as const) {
      const y0 = randomF32(rows * n, n, 4);
      y0[0] = NaN;
      const bias = randomF32(n, 2, 5);
      for (const activation of ['relu', null] as const) {
        for (const b of [bias, null]) {
          const want = y0.slice();
          const got = y0.slice();
          jsBackend.linearBiasAct({ y: want, bias: b, rows, n, activation });
          native.linearBiasAct({ y: got, bias: b, rows, n, activation });
          expectClose(got, want, 0, 0);
        }
      }
    }
  });

  it("a linear layer's product with its bias and ReLU applied per tile: the bits of matmul then linearBiasAct", () => {
    // One shape per GEMM path: matrix-vector (m ≤ 4, transposed B), short A (two KC slices), serial blocks
    // (too small to thread), row bands (several KC slices and B chunks), shared A, and a transposed A.
    for (const [m, n, k, transA, transB] of [
      [3, 701, 300, false, true],
      [64, 700, 1100, false, true],
      [200, 100, 90, false, true],
      [600, 40, 2600, false, false],
      [200, 300, 700, false, true],
      [300, 257, 520, true, false],
    ] as const) {
      const a = randomF32(m * k, m + k, 1);
      a[k + 3] = NaN; // a NaN row of C: ReLU turns it into 0 on both paths
      const b = randomF32(k * n, n, 1);
      const bias = randomF32(n, 7, 3);
      const args = { batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0 };
      for (const activation of ['relu', null] as const) {
        for (const bb of [bias, null]) {
          if (!bb && !activation) continue;
          const want = new Float32Array(m * n);
          native.matmul({ a, b, out: want, ...args });
          native.linearBiasAct({ y: want, bias: bb, rows: m, n, activation });
          const got = new Float32Array(m * n).fill(7);
          native.matmulBiasAct({ a, b, out: got, ...args, bias: bb, activation });
          expectClose(got, want, 0, 0);
          const reference = new Float32Array(m * n);
          jsBackend.matmulBiasAct({ a, b, out: reference, ...args, bias: bb, activation });
          expectClose(got, reference, 1e-4, 1e-4);
        }
      }
    }
  });

  it("a linear layer's backward end: ReLU derivative and bias sums in one pass, in place or not", () => {
    for (const [rows, n] of [
      [1, 1],
      [5, 13],
      [63, 9],
      [130, 37],
      [1100, 64],
      [70, 2100], // wider than one column block of sums
    ] as const) {
      // y has exact zeros (ReLU outputs) and negatives; g has every sign.
      const y = randomF32(rows * n, n, 8).map((v) => (v < 0.2 ? 0 : v));
      const g = randomF32(rows * n, n + 1, 9);
      for (const activation of ['relu', null] as const) {
        for (const withSums of [true, false]) {
          const want = new Float32Array(rows * n);
          const got = new Float32Array(rows * n);
          const sumsWant = withSums ? new Float32Array(n) : null;
          const sumsGot = withSums ? new Float32Array(n) : null;
          jsBackend.linearActGrad({ y, g, rows, n, activation, dPre: want, biasGrad: sumsWant });
          native.linearActGrad({ y, g, rows, n, activation, dPre: got, biasGrad: sumsGot });
          expectClose(got, want, 0, 0);
          if (sumsWant) expectClose(sumsGot!, sumsWant, 1e-6, 1e-6);
          if (activation === 'relu') {
            expect(want).toEqual(g.map((v, i) => (y[i]! > 0 ? v : 0)));
            // In place over g, and sums alone.
            const inPlace = g.slice();
            native.linearActGrad({ y, g: inPlace, rows, n, activation, dPre: inPlace, biasGrad: null });
            expectClose(inPlace, want, 0, 0);
          } else if (sumsWant) {
            const alone = new Float32Array(n);
            native.linearActGrad({ y, g, rows, n, activation: null, dPre: null, biasGrad: alone });
            expectClose(alone, sumsWant, 1e-6, 1e-6);
            const direct = new Float32Array(n);
            for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) direct[i]! += g[r * n + i]!;
            expectClose(sumsWant, direct, 1e-4, 1e-4);
          }
        }
      }
    }
  });

  it('layer norm forward and backward, with and without affine parameters', () => {
    for (const [rows, n] of [
      [1, 1],
      [7, 13],
      [129, 17],
      [300, 257],
    ] as const) {
      const x = randomF32(rows * n, n, 6);
      for (const [withGamma, withBeta] of [
        [true, true],
        [false, false],
        [true, false],
        [false, true],
      ] as const) {
        const affine = withGamma || withBeta;
        const gamma = withGamma ? randomF32(n, 1) : null;
        const beta = withBeta ? randomF32(n, 2) : null;
        const ow = new Float32Array(rows * n);
        const og = new Float32Array(rows * n);
        const mw = new Float32Array(rows);
        const mg = new Float32Array(rows);
        const rw = new Float32Array(rows);
        const rg = new Float32Array(rows);
        jsBackend.layerNorm({ x, gamma, beta, rows, n, eps: 1e-5, out: ow, mean: mw, rstd: rw });
        native.layerNorm({ x, gamma, beta, rows, n, eps: 1e-5, out: og, mean: mg, rstd: rg });
        expectClose(og, ow, 1e-5, 1e-6);
        expectClose(mg, mw, 1e-6, 1e-7);
        expectClose(rg, rw, 1e-6, 1e-7);
        const dy = randomF32(rows * n, 3);
        const dxw = new Float32Array(rows * n);
        const dxg = new Float32Array(rows * n);
        // As the op asks: dγ with γ, dβ with β (or both when either exists, to cover the kernel's mixes).
        const dgw = affine ? new Float32Array(n) : null;
        const dgg = affine ? new Float32Array(n) : null;
        const dbw = withBeta ? new Float32Array(n) : null;
        const dbg = withBeta ? new Float32Array(n) : null;
        jsBackend.layerNormGrad({
          x,
          gamma,
          mean: mw,
          rstd: rw,
          dy,
          rows,
          n,
          dx: dxw,
          dGamma: dgw,
          dBeta: dbw,
        });
        native.layerNormGrad({ x, gamma, mean: mw, rstd: rw, dy, rows, n, dx: dxg, dGamma: dgg, dBeta: dbg });
        expectClose(dxg, dxw, 1e-4, 1e-5);
        if (dgw && dgg) expectClose(dgg, dgw, 1e-5, 1e-5);
        if (dbw && dbg) expectClose(dbg, dbw, 1e-5, 1e-5);
      }
    }
  });

  it('indexSelect, indexAdd, gather and scatterAdd with repeated indices', () => {
    for (const [outer, n, inner, m] of [
      [1, 1, 1, 1],
      [3, 13, 7, 17],
      [2, 257, 64, 129],
    ] as const) {
      const index = randomInts(m, n, m + 1);
      const src = randomF32(outer * n * inner, 3);
      const ow = new Float32Array(outer * m * inner);
      const og = new Float32Array(outer * m * inner);
      jsBackend.indexSelect({ src, outer, n, inner, index, out: ow });
      native.indexSelect({ src, outer, n, inner, index, out: og });
      expect(og).toEqual(ow);
      const srcI = randomInts(outer * n * inner, 99, 4);
      const iw = new Int32Array(outer * m * inner);
      const ig = new Int32Array(outer * m * inner);
      jsBackend.indexSelect({ src: srcI, outer, n, inner, index, out: iw });
      native.indexSelect({ src: srcI, outer, n, inner, index, out: ig });
      expect(ig).toEqual(iw);
      const upd = randomF32(outer * m * inner, 5);
      const dw = randomF32(outer * n * inner, 6);
      const dg = dw.slice();
      jsBackend.indexAdd({ dst: dw, outer, n, inner, index, src: upd });
      native.indexAdd({ dst: dg, outer, n, inner, index, src: upd });
      expectClose(dg, dw, 0, 0);
      const gIndex = randomInts(outer * m * inner, n, 7);
      jsBackend.gather({ src, outer, n, inner, index: gIndex, m, out: ow });
      native.gather({ src, outer, n, inner, index: gIndex, m, out: og });
      expect(og).toEqual(ow);
      const sw = randomF32(outer * n * inner, 8);
      const sg = sw.slice();
      jsBackend.scatterAdd({ dst: sw, outer, n, inner, index: gIndex, m, src: upd });
      native.scatterAdd({ dst: sg, outer, n, inner, index: gIndex, m, src: upd });
      expectClose(sg, sw, 0, 0);
    }
  });

  it('fused attention forward and backward: masks, awkward lengths, weights on request', () => {
    let seed = 100;
    for (const [batch, heads, tq, tk, d, dv] of [
      [1, 1, 1, 1, 1, 1],
      [2, 3, 7, 13, 17, 5],
      [1, 2, 129, 65, 64, 64],
      [2, 1, 67, 131, 8, 16],
    ] as const) {
      for (const causal of [false, true]) {
        for (const padded of [false, true]) {
          const args = { batch, heads, tq, tk, d, dv, scale: 1 / Math.sqrt(d), causal };
          const q = randomF32(batch * heads * tq * d, seed++, 4);
          const k = randomF32(batch * heads * tk * d, seed++, 4);
          const v = randomF32(batch * heads * tk * dv, seed++);
          let pad: Uint8Array | null = null;
          if (padded) {
            pad = Uint8Array.from(randomInts(batch * tk, 4, seed++), (x) => (x === 0 ? 1 : 0));
            pad.fill(1, 0, tk); // batch 0 has every key padded: zero output and gradients
          }
          const bh = batch * heads;
          const ow = new Float32Array(bh * tq * dv);
          const og = new Float32Array(bh * tq * dv).fill(NaN);
          const lw = new Float32Array(bh * tq);
          const lg = new Float32Array(bh * tq);
          const ww = new Float32Array(bh * tq * tk);
          const wg = new Float32Array(bh * tq * tk).fill(NaN);
          jsBackend.attention({ q, k, v, keyPadding: pad, ...args, out: ow, lse: lw, weights: ww });
          native.attention({ q, k, v, keyPadding: pad, ...args, out: og, lse: lg, weights: wg });
          expectClose(og, ow, 1e-4, 1e-5);
          expectClose(lg, lw, 1e-5, 1e-5);
          expectClose(wg, ww, 1e-4, 1e-6);
          const o2 = new Float32Array(bh * tq * dv);
          native.attention({ q, k, v, keyPadding: pad, ...args, out: o2, lse: lg, weights: null });
          expectClose(o2, og, 0, 0);
          const dOut = randomF32(bh * tq * dv, seed++);
          const grads = (b: Backend): Float32Array[] => {
            const dq = new Float32Array(q.length).fill(NaN);
            const dk = new Float32Array(k.length).fill(NaN);
            const dvv = new Float32Array(v.length).fill(NaN);
            b.attentionGrad({ q, k, v, keyPadding: pad, ...args, out: ow, lse: lw, dOut, dq, dk, dV: dvv });
            return [dq, dk, dvv];
          };
          const want = grads(jsBackend);
          const got = grads(native);
          for (let i = 0; i < 3; i++) expectClose(got[i]!, want[i]!, 1e-3, 1e-4);
        }
      }
    }
  });

  it('fused attention with strided operands: heads read from and written into [B, T, features] rows', () => {
    let seed = 300;
    for (const [batch, heads, tq, tk, d, dv] of [
      [1, 1, 1, 1, 1, 1],
      [2, 3, 7, 13, 5, 3],
      [3, 2, 130, 67, 16, 8],
    ] as const) {
      for (const causal of [false, true]) {
        // q, k and v are ranges of one packed [B, T, 3·H·d + 1] buffer when tq = tk, else q apart from a packed
        // [B, tk, 2·H·d + 1] key-value buffer; out is [tq, B, H·dv + 2] (time-major, with spare columns).
        const E = heads * d;
        const packed = tq === tk;
        const fq = packed ? 2 * E + heads * dv + 1 : E + 3;
        const fkv = packed ? fq : E + heads * dv + 1;
        const fo = heads * dv + 2;
        const rowsQ = randomF32(batch * tq * fq, seed++, 4);
        const rowsKv = packed ? rowsQ : randomF32(batch * tk * fkv, seed++, 4);
        const q = rowsQ.subarray(1);
        const k = rowsKv.subarray(packed ? 1 + E : 0);
        const v = rowsKv.subarray(packed ? 1 + 2 * E : E);
        const layout = {
          q: { batch: tq * fq, head: d, row: fq },
          k: { batch: tk * fkv, head: d, row: fkv },
          v: { batch: tk * fkv, head: dv, row: fkv },
          out: { batch: fo, head: dv, row: batch * fo },
        };
        const args = { batch, heads, tq, tk, d, dv, scale: 1 / Math.sqrt(d), causal, layout };
        const pad = Uint8Array.from(randomInts(batch * tk, 4, seed++), (x) => (x === 0 ? 1 : 0));
        const bh = batch * heads;
        const ow = new Float32Array(tq * batch * fo).fill(7);
        const og = ow.slice();
        const lw = new Float32Array(bh * tq);
        const lg = new Float32Array(bh * tq);
        const ww = new Float32Array(bh * tq * tk);
        const wg = new Float32Array(bh * tq * tk).fill(NaN);
        jsBackend.attention({ q, k, v, keyPadding: pad, ...args, out: ow, lse: lw, weights: ww });
        native.attention({ q, k, v, keyPadding: pad, ...args, out: og, lse: lg, weights: wg });
        expectClose(og, ow, 1e-4, 1e-5); // spare columns keep their 7s on both
        expectClose(lg, lw, 1e-5, 1e-5);
        expectClose(wg, ww, 1e-4, 1e-6);
        const dOut = randomF32(tq * batch * fo, seed++);
        const grads = (b: Backend): Float32Array[] => {
          // Gradients land in the operands' own ranges of buffers shaped like theirs; the rest keeps its 5s.
          const gq = new Float32Array(rowsQ.length).fill(5);
          const gkv = packed ? gq : new Float32Array(rowsKv.length).fill(5);
          b.attentionGrad({
            q,
            k,
            v,
            keyPadding: pad,
            ...args,
            out: ow,
            lse: lw,
            dOut,
            dq: gq.subarray(1),
            dk: gkv.subarray(packed ? 1 + E : 0),
            dV: gkv.subarray(packed ? 1 + 2 * E : E),
          });
          return packed ? [gq] : [gq, gkv];
        };
        const want = grads(jsBackend);
        const got = grads(native);
        for (let i = 0; i < want.length; i++) expectClose(got[i]!, want[i]!, 1e-3, 1e-4);
        // The same heads through contiguous [B, H, T, ·] copies give the same gradients.
        const gather = (
          src: Float32Array,
          s: { batch: number; head: number; row: number },
          t: number,
          w: number,
        ) => {
          const dst = new Float32Array(bh * t * w);
          for (let h = 0; h < bh; h++)
            for (let i = 0; i < t; i++) {
              const at = Math.floor(h / heads) * s.batch + (h % heads) * s.head + i * s.row;
              dst.set(src.subarray(at, at + w), (h * t + i) * w);
            }
          return dst;
        };
        const plain = { batch, heads, tq, tk, d, dv, scale: args.scale, causal };
        const dq = new Float32Array(bh * tq * d);
        const dk = new Float32Array(bh * tk * d);
        const dvv = new Float32Array(bh * tk * dv);
        native.attentionGrad({
          q: gather(q, layout.q, tq, d),
          k: gather(k, layout.k, tk, d),
          v: gather(v, layout.v, tk, dv),
          keyPadding: pad,
          ...plain,
          out: gather(ow, layout.out, tq, dv),
          lse: lw,
          dOut: gather(dOut, layout.out, tq, dv),
          dq,
          dk,
          dV: dvv,
        });
        const gqv = got[0]!.subarray(1);
        expectClose(gather(gqv, layout.q, tq, d), dq, 0, 0);
        const gk = packed ? got[0]!.subarray(1 + E) : got[1]!;
        expectClose(gather(gk, layout.k, tk, d), dk, 0, 0);
        const gv = packed ? got[0]!.subarray(1 + 2 * E) : got[1]!.subarray(E);
        expectClose(gather(gv, layout.v, tk, dv), dvv, 0, 0);
      }
    }
  });

  it('fused attention over short key ranges (tk ≤ 256, d and dv multiples of 16) and just past them', () => {
    // The AVX2 path for short keys: one score tile per query row, query blocks of 128 in the backward, operands
    // gathered from strided rows. Lengths around its tiles (16 columns, 6 rows, 128 queries, 256 keys); padding
    // absent, present but all false, or random with batch 0 fully padded; heads read from and written into
    // [B, T, features] rows (q apart from k and v, out with spare columns).
    let seed = 500;
    for (const [batch, heads, tq, tk, d, dv] of [
      [2, 2, 7, 13, 16, 32],
      [1, 3, 130, 129, 32, 16],
      [2, 1, 129, 256, 16, 16],
      [3, 2, 40, 1, 16, 16],
      [1, 2, 20, 257, 16, 16],
    ] as const) {
      for (const causal of [false, true]) {
        for (const padding of ['none', 'false', 'random'] as const) {
          const c = attentionCase([batch, heads, tq, tk, d, dv], causal, padding, true, () => seed++);
          const want = c.forward(jsBackend);
          const got = c.forward(native);
          expectClose(got.out, want.out, 1e-4, 1e-5);
          expectClose(got.lse, want.lse, 1e-5, 1e-5);
          expectClose(got.weights, want.weights, 1e-4, 1e-6);
          const o2 = want.out.slice();
          native.attention({
            q: c.q,
            k: c.k,
            v: c.v,
            keyPadding: c.pad,
            ...c.args,
            out: o2,
            lse: got.lse,
            weights: null,
          });
          expectClose(o2, got.out, 0, 0); // the weights cost a pass, never a different output
          const dOut = randomF32(c.outLength, seed++);
          const wantGrads = c.grads(jsBackend, want.out, want.lse, dOut);
          const gotGrads = c.grads(native, want.out, want.lse, dOut);
          for (let i = 0; i < 2; i++) expectClose(gotGrads[i]!, wantGrads[i]!, 1e-3, 1e-4); // spare columns keep their 5s
        }
      }
    }
  });

  it('fused attention backward from kept weights: same gradients as the recompute, on every path', () => {
    // The ops keep the forward's weights P for short keys and hand them to attentionGrad, which then reads P
    // instead of recomputing it. Shapes: the short-key path with one and with two query blocks, tq ≠ tk, several
    // heads; one head (the tiled backward after the short forward, below one head per thread); d not a multiple
    // of 16 (the tiled path, one key tile); more than 256 keys (several key tiles; one head: the key blocks
    // split over threads). Every shape with and without the causal mask and with a padding mask that pads all
    // keys of batch element 0; operands strided in [B, T, features] rows on every other shape.
    let seed = 1500;
    const shapes = [
      [2, 4, 128, 128, 64, 64],
      [1, 3, 130, 129, 32, 16],
      [2, 2, 7, 13, 16, 32],
      [1, 1, 40, 100, 16, 16],
      [2, 2, 33, 70, 17, 5],
      [1, 2, 20, 257, 16, 16],
      [1, 1, 150, 300, 8, 8],
    ] as const;
    shapes.forEach((shape, index) => {
      for (const causal of [false, true]) {
        for (const padded of [false, true]) {
          const c = attentionCase(shape, causal, padded ? 'random' : 'none', index % 2 === 0, () => seed++);
          const js = c.forward(jsBackend);
          const nat = c.forward(native);
          expectClose(nat.weights, js.weights, 1e-4, 1e-6);
          const dOut = randomF32(c.outLength, seed++);
          const jsRecomputed = c.grads(jsBackend, js.out, js.lse, dOut);
          const jsKept = c.grads(jsBackend, js.out, js.lse, dOut, js.weights);
          const nativeRecomputed = c.grads(native, nat.out, nat.lse, dOut);
          const nativeKept = c.grads(native, nat.out, nat.lse, dOut, nat.weights);
          for (let i = 0; i < 2; i++) {
            expectClose(jsKept[i]!, jsRecomputed[i]!, 1e-5, 1e-6);
            expectClose(nativeKept[i]!, nativeRecomputed[i]!, 1e-4, 1e-5);
            expectClose(nativeKept[i]!, jsKept[i]!, 1e-3, 1e-4); // spare columns keep their 5s
          }
        }
      }
    });
  });

  it('gruCell and gruCellGrad over awkward B, H, with and without b_hn', () => {
    let seed = 900;
    for (const batch of [1, 3, 7, 17, 64])
      for (const hidden of [1, 3, 7, 17, 64])
        for (const withBias of [false, true]) {
          const n = batch * hidden;
          const args = { batch, hidden };
          const xg = randomF32(3 * n, seed++, 6);
          const hg = randomF32(3 * n, seed++, 6);
          const h = randomF32(n, seed++);
          const bias = withBias ? randomF32(hidden, seed++) : null;
          const dhNew = randomF32(n, seed++);
          const run = (b: Backend) => {
            const hNew = new Float32Array(n).fill(NaN);
            const gates = new Float32Array(3 * n).fill(NaN);
            b.gruCell({ xg, hg, h, biasHn: bias, ...args, hNew, gates });
            const dxg = new Float32Array(3 * n).fill(NaN);
            const dhg = new Float32Array(3 * n).fill(NaN);
            const dh = new Float32Array(n).fill(NaN);
            b.gruCellGrad({ hg, h, biasHn: bias, gates, dhNew, ...args, dxg, dhg, dh });
            return [hNew, gates, dxg, dhg, dh];
          };
          const want = run(jsBackend);
          const got = run(native);
          for (let i = 0; i < want.length; i++) expectClose(got[i]!, want[i]!, 1e-5, 1e-6);
        }
  });

  it('lstmCell and lstmCellGrad over awkward B, H', () => {
    let seed = 1900;
    for (const batch of [1, 3, 7, 17, 64])
      for (const hidden of [1, 3, 7, 17, 64]) {
        const n = batch * hidden;
        const args = { batch, hidden };
        const xg = randomF32(4 * n, seed++, 6);
        const hg = randomF32(4 * n, seed++, 6);
        const c = randomF32(n, seed++, 4);
        const dhNew = randomF32(n, seed++);
        const dcNew = randomF32(n, seed++);
        const run = (b: Backend) => {
          const hNew = new Float32Array(n).fill(NaN);
          const cNew = new Float32Array(n).fill(NaN);
          const gates = new Float32Array(4 * n).fill(NaN);
          b.lstmCell({ xg, hg, c, ...args, hNew, cNew, gates });
          const dPre = new Float32Array(4 * n).fill(NaN);
          const dc = new Float32Array(n).fill(NaN);
          b.lstmCellGrad({ c, cNew, gates, dhNew, dcNew, ...args, dPre, dc });
          return [hNew, cNew, gates, dPre, dc];
        };
        const want = run(jsBackend);
        const got = run(native);
        for (let i = 0; i < want.length; i++) expectClose(got[i]!, want[i]!, 1e-5, 1e-6);
      }
  });

  it('is deterministic: the same call twice gives the same bits', () => {
    const a = randomF32(300 * 200, 1);
    const b = randomF32(200 * 310, 2);
    const args = { batch: 1, m: 300, n: 310, k: 200, transA: false, transB: false, strideA: 0, strideB: 0 };
    const c1 = new Float32Array(300 * 310);
    const c2 = new Float32Array(300 * 310);
    native.matmul({ a, b, out: c1, ...args });
    native.matmul({ a, b, out: c2, ...args });
    expect(c2).toEqual(c1);
  });
}

describe.skipIf(skip)('native backend agrees with the JavaScript reference (detected SIMD path)', () =>
  agreesWithReference('detected'),
);

describe.skipIf(skip)('native backend agrees with the JavaScript reference (portable kernels)', () =>
  agreesWithReference('portable'),
);

describe('wasm backend agrees with the JavaScript reference (SIMD128 kernels)', () =>
  agreesWithReference('detected', wasm, 'wasm'));

describe('wasm backend agrees with the JavaScript reference (portable kernels)', () =>
  agreesWithReference('portable', wasm, 'wasm'));

describe.skipIf(!loaded.ok)('native SIMD switches and thread counts', () => {
  // A fresh process, so that the environment is read when the addon loads; prints info() and a checksum of the
  // bits of a threaded product.
  function child(env: Record<string, string>): {
    threads: number;
    simd: string;
    reason: string;
    bits: string;
  } {
    const script = `
      const addon = require(${JSON.stringify(loaded.ok ? loaded.path : '')});
      // A square product (the row-band path), a short, deep one (the short-A path, two KC slices) and three rows
      // times a transposed B (the matrix-vector path).
      let h = 0;
      for (const [m, n, k] of [[200, 200, 200], [64, 700, 1100], [3, 701, 1100]]) {
        const a = new Float32Array(m * k), b = new Float32Array(k * n), c = new Float32Array(m * n);
        for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
        for (let i = 0; i < b.length; i++) b[i] = Math.cos(3 * i);
        addon.matmul(a, b, c, 1, m, n, k, false, true, 0, 0);
        for (const w of new Uint32Array(c.buffer)) h = (Math.imul(h, 31) + w) >>> 0;
      }
      const { threads, simd, portableReason } = addon.info();
      console.log(JSON.stringify({ threads, simd, reason: portableReason, bits: h.toString(16) }));`;
    const out = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    return JSON.parse(out) as { threads: number; simd: string; reason: string; bits: string };
  }

  const detected = loaded.ok ? loaded.addon.info().simd : 'none';
  const avx2 = detected === 'avx2+fma' || detected === 'avx512f+avx2+fma';
  const avx512 = detected === 'avx512f+avx2+fma';

  it.skipIf(!avx2)('setPortableOnly switches kernels at run time: other bits, same values', () => {
    if (!loaded.ok) return;
    const n = 96;
    const a = randomF32(n * n, 5);
    const b = randomF32(n * n, 6);
    const product = () => {
      const c = new Float32Array(n * n);
      loaded.addon.matmul!(a, b, c, 1, n, n, n, false, false, 0, 0);
      return c;
    };
    const fused = product();
    loaded.addon.setPortableOnly(true);
    const info = loaded.addon.info();
    const portable = product();
    loaded.addon.setPortableOnly(false);
    expect(info).toMatchObject({ simd: 'portable', portableReason: 'forced' });
    expect(loaded.addon.info()).toMatchObject({ simd: detected, portableReason: '' });
    // FMA rounds once where the portable kernel rounds the product and the sum: some bits must differ.
    expect(portable).not.toEqual(fused);
    expectClose(portable, fused, 1e-4, 1e-4);
  });

  /** Runs `f` on the detected kernels and again with AVX-512 off: the two results. */
  function wideAndNarrow<T>(f: () => T): [T, T] {
    if (!loaded.ok) throw new Error('no addon');
    const wide = f();
    loaded.addon.setAvx512Off(true);
    try {
      expect(loaded.addon.info().simd).toBe('avx2+fma');
      return [wide, f()];
    } finally {
      loaded.addon.setAvx512Off(false);
    }
  }

  /** The first element whose bits differ, -1 for none (toEqual over 10⁵ elements takes seconds). */
  function firstBitDifference(a: Float32Array, b: Float32Array): number {
    const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
    const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
    return x.length !== y.length ? 0 : x.findIndex((bits, j) => bits !== y[j]);
  }

  it.skipIf(!avx512)("the AVX-512 GEMM kernel gives the AVX2 kernel's bits on every path", () => {
    if (!loaded.ok) return;
    const native = createNativeBackend(loaded.addon);
    // Every element of C is one FMA chain over k in the same order on both kernels, so the bits match: the
    // matrix-vector path (m = 1 to 4, transposed B; AVX-512VL gives it more accumulators), the short-A path (with and without a prepacked B), the
    // row-band and shared-A threaded paths, edge tiles (sizes not multiples of 6 or 16, k over two KC slices),
    // and the bias + ReLU epilogue with NaN rows.
    const shapes: [number, number, number][] = [
      [1, 515, 300],
      [2, 70, 1100],
      [3, 701, 1100],
      [4, 1537, 520],
      [7, 33, 600],
      [64, 1536, 512],
      [97, 129, 1100],
      [300, 257, 700],
      [1000, 77, 300],
    ];
    let seed = 100;
    for (const [m, n, k] of shapes)
      for (const transA of [false, true])
        for (const transB of [false, true]) {
          const a = randomF32(m * k, seed++);
          if (!transA) a.fill(NaN, k, 2 * k);
          const b = randomF32(k * n, seed++);
          const bias = randomF32(n, seed++);
          const args = { batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0 };
          const [wide, narrow] = wideAndNarrow(() => {
            const plain = new Float32Array(m * n);
            native.matmul({ a, b, out: plain, ...args });
            const fused = new Float32Array(m * n);
            native.matmulBiasAct({ a, b, out: fused, ...args, bias, activation: 'relu' });
            const packed = new Float32Array(m * n);
            native.matmulPacked(a, native.packMatmulB(b, k, n, transB), packed, m, transA);
            return [plain, fused, packed];
          });
          wide.forEach((w, i) => {
            const product = ['matmul', 'biasAct', 'packed'][i];
            expect({ m, n, k, transA, transB, product, at: firstBitDifference(w, narrow[i]!) }).toMatchObject(
              {
                at: -1,
              },
            );
          });
        }
    expect(loaded.addon.info().simd).toBe('avx512f+avx2+fma');
  });

  it.skipIf(!avx512)("the short-key attention's AVX-512 tile gives the AVX2 tile's bits", () => {
    if (!loaded.ok) return;
    const native = createNativeBackend(loaded.addon);
    // Forward (out, lse, weights) and backward (dq, dk|dv rows) of the short-key path: tiles of 1-6 rows, one
    // and two backward query blocks, causal and padded.
    let seed = 900;
    for (const shape of [
      [2, 2, 7, 13, 16, 32],
      [1, 3, 130, 129, 32, 16],
      [2, 1, 40, 256, 64, 64],
    ] as const)
      for (const causal of [false, true]) {
        const c = attentionCase(shape, causal, 'random', true, () => seed++);
        const dOut = randomF32(c.outLength, seed++);
        const [wide, narrow] = wideAndNarrow(() => {
          const { out, lse, weights } = c.forward(native);
          return [out, lse, weights, ...c.grads(native, out, lse, dOut)];
        });
        wide.forEach((w, i) => {
          const output = ['out', 'lse', 'weights', 'dq', 'dkv'][i];
          expect({ shape, causal, output, at: firstBitDifference(w, narrow[i]!) }).toMatchObject({ at: -1 });
        });
      }
  });

  it.skipIf(!avx512)('ATTN_NO_AVX512=1 runs the AVX2 GEMM kernel, with the same bits', () => {
    const narrow = child({ ATTN_NO_AVX512: '1' });
    expect(narrow).toMatchObject({ simd: 'avx2+fma', reason: '' });
    expect(narrow.bits).toBe(child({}).bits);
  });

  it('ATTN_NO_SIMD=1 runs the portable kernels and says why', () => {
    expect(child({ ATTN_NO_SIMD: '1' })).toMatchObject({ simd: 'portable', reason: 'ATTN_NO_SIMD' });
  });

  it('a product has the same bits on 1 and 3 threads (k is never split)', () => {
    const one = child({ ATTN_THREADS: '1' });
    const three = child({ ATTN_THREADS: '3' });
    expect([one.threads, three.threads]).toEqual([1, 3]);
    expect(three.bits).toBe(one.bits);
  });
});

describe.skipIf(!loaded.ok)('native binding rejects bad arguments with JS errors, not crashes', () => {
  const native = loaded.ok ? createNativeBackend(loaded.addon) : jsBackend;

  it('checks an empty array as present, not as left out', () => {
    expect(() => native.unary({ op: 'neg', x: new Float32Array(4), out: new Float32Array(0) })).toThrow(
      /out has 0 elements, needs 4/,
    );
  });

  it('reduces an empty [outer, n, inner] view without touching memory, as the reference does', () => {
    for (const [outer, n, inner] of [
      [0, 3, 2],
      [2, 3, 0],
      [0, 0, 5],
    ] as const)
      for (const op of ['sum', 'max', 'min', 'logsumexp'] as const) {
        const x = new Float32Array(outer * n * inner);
        const got = new Float32Array(outer * inner);
        const want = new Float32Array(outer * inner);
        native.reduce({ op, x, outer, n, inner, out: got });
        jsBackend.reduce({ op, x, outer, n, inner, out: want });
        expect(got).toEqual(want);
      }
  });

  it('checks array lengths', () => {
    const args = { batch: 1, m: 4, n: 4, k: 4, transA: false, transB: false, strideA: 16, strideB: 16 };
    expect(() =>
      native.matmul({ a: new Float32Array(3), b: new Float32Array(16), out: new Float32Array(16), ...args }),
    ).toThrow(RangeError);
    expect(() =>
      native.matmul({ a: new Float32Array(16), b: new Float32Array(16), out: new Float32Array(15), ...args }),
    ).toThrow(/out has 15 elements, needs 16/);
    expect(() =>
      native.softmax({
        x: new Float32Array(5),
        outer: 2,
        n: 3,
        inner: 1,
        log: false,
        out: new Float32Array(6),
      }),
    ).toThrow(RangeError);
    expect(() =>
      native.binary({
        op: 'add',
        a: new Float32Array(4),
        aStrides: [1],
        b: new Float32Array(3),
        bStrides: [1],
        out: new Float32Array(4),
        shape: [4],
      }),
    ).toThrow(/too short/);
    expect(() =>
      native.copy({
        src: new Float32Array(4),
        srcOffset: 2,
        srcStrides: [1],
        dst: new Float32Array(4),
        dstOffset: 0,
        dstStrides: [1],
        shape: [4],
      }),
    ).toThrow(RangeError);
    expect(() =>
      native.layerNorm({
        x: new Float32Array(6),
        gamma: new Float32Array(2),
        beta: null,
        rows: 2,
        n: 3,
        eps: 1e-5,
        out: new Float32Array(6),
        mean: new Float32Array(2),
        rstd: new Float32Array(2),
      }),
    ).toThrow(/gamma/);
  });

  it('checks dtypes', () => {
    const bad = new Int32Array(4) as unknown as Float32Array;
    expect(() => native.unary({ op: 'exp', x: bad, out: new Float32Array(4) })).toThrow(TypeError);
    expect(() =>
      native.reduce({ op: 'sum', x: bad, outer: 1, n: 4, inner: 1, out: new Float32Array(1) }),
    ).toThrow(/Float32Array/);
    const wrongIndex = new Float32Array(2) as unknown as Int32Array;
    expect(() =>
      native.indexSelect({
        src: new Float32Array(4),
        outer: 1,
        n: 4,
        inner: 1,
        index: wrongIndex,
        out: new Float32Array(2),
      }),
    ).toThrow(TypeError);
    const notArray = [1, 2, 3] as unknown as Float32Array;
    expect(() => native.unary({ op: 'exp', x: notArray, out: new Float32Array(3) })).toThrow(TypeError);
  });

  it('checks indices, targets and op names', () => {
    expect(() =>
      native.indexSelect({
        src: new Float32Array(4),
        outer: 1,
        n: 4,
        inner: 1,
        index: Int32Array.of(0, 4),
        out: new Float32Array(2),
      }),
    ).toThrow(/out of range/);
    expect(() =>
      native.scatterAdd({
        dst: new Float32Array(4),
        outer: 1,
        n: 4,
        inner: 1,
        index: Int32Array.of(-1),
        m: 1,
        src: new Float32Array(1),
      }),
    ).toThrow(/out of range/);
    const args = { rows: 1, classes: 3, ignoreIndex: -100, labelSmoothing: 0 };
    expect(() =>
      native.crossEntropy({
        logits: new Float32Array(3),
        targets: Int32Array.of(3),
        ...args,
        loss: new Float32Array(1),
        logSumExp: new Float32Array(3),
      }),
    ).toThrow(/out of range/);
    expect(() =>
      native.unary({ op: 'nope' as UnaryOp, x: new Float32Array(1), out: new Float32Array(1) }),
    ).toThrow(/unknown/);
  });

  it('checks attention buffers', () => {
    const args = { batch: 1, heads: 1, tq: 4, tk: 4, d: 2, dv: 2, scale: 1, causal: false };
    const f = (n: number) => new Float32Array(n);
    expect(() =>
      native.attention({
        q: f(8),
        k: f(7),
        v: f(8),
        keyPadding: null,
        ...args,
        out: f(8),
        lse: f(4),
        weights: null,
      }),
    ).toThrow(/k has 7/);
    expect(() =>
      native.attention({
        q: f(8),
        k: f(8),
        v: f(8),
        keyPadding: new Uint8Array(2),
        ...args,
        out: f(8),
        lse: f(4),
        weights: null,
      }),
    ).toThrow(/keyPadding/);
    expect(() =>
      native.attention({
        q: f(8),
        k: f(8),
        v: f(8),
        keyPadding: null,
        ...args,
        out: f(8),
        lse: f(4),
        weights: f(15),
      }),
    ).toThrow(/weights/);
    // With strides, the buffers must reach the last row of the last head: q's rows 3 apart need 3·3 + 2.
    const s = (row: number) => ({ batch: 0, head: 0, row });
    const layout = { q: s(3), k: s(2), v: s(2), out: s(2) };
    expect(() =>
      native.attention({
        q: f(10),
        k: f(8),
        v: f(8),
        keyPadding: null,
        ...args,
        layout,
        out: f(8),
        lse: f(4),
        weights: null,
      }),
    ).toThrow(/q has 10 elements, needs 11/);
    expect(() =>
      native.attentionGrad({
        q: f(11),
        k: f(8),
        v: f(8),
        keyPadding: null,
        ...args,
        layout,
        out: f(8),
        lse: f(4),
        dOut: f(8),
        dq: f(10),
        dk: f(8),
        dV: f(8),
      }),
    ).toThrow(/dq has 10/);
  });

  it("checks the lengths of the recurrent cells' arrays", () => {
    const f = (n: number) => new Float32Array(n);
    const args = { batch: 2, hidden: 3 };
    expect(() =>
      native.gruCell({ xg: f(18), hg: f(17), h: f(6), biasHn: null, ...args, hNew: f(6), gates: f(18) }),
    ).toThrow(/hg has 17/);
    expect(() =>
      native.gruCell({ xg: f(18), hg: f(18), h: f(6), biasHn: f(2), ...args, hNew: f(6), gates: f(18) }),
    ).toThrow(/biasHn/);
    expect(() =>
      native.gruCellGrad({
        hg: f(18),
        h: f(6),
        biasHn: null,
        gates: f(18),
        dhNew: f(6),
        ...args,
        dxg: f(18),
        dhg: f(18),
        dh: f(5),
      }),
    ).toThrow(RangeError);
    expect(() =>
      native.lstmCell({ xg: f(24), hg: f(24), c: f(6), ...args, hNew: f(6), cNew: f(5), gates: f(24) }),
    ).toThrow(/cNew/);
    expect(() =>
      native.lstmCellGrad({
        c: f(6),
        cNew: f(6),
        gates: f(23),
        dhNew: f(6),
        dcNew: f(6),
        ...args,
        dPre: f(24),
        dc: f(6),
      }),
    ).toThrow(/gates/);
  });
});
