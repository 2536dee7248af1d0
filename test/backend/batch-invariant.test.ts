// Batch-invariant kernels: with the switch on, a row of a product or a softmax has the same bits whatever rows
// are computed beside it and whatever masked padding follows it — what lets attn serve batch requests and
// still answer each as it would alone. The reference backend always has the property (it sums in order); the
// native addon has it with setBatchInvariant(true), and without it takes faster paths that round differently.
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

/** Rows of A times Bᵀ (a Linear layer), plain and prepacked: how many of the first m rows differ from the rows of all of A's product. */
function productMismatches(be: Backend): number {
  const [rows, n, k] = [300, 70, 1100];
  const a = randomF32(rows * k, 1);
  const b = randomF32(n * k, 2);
  const full = new Float32Array(rows * n);
  be.matmul({
    a,
    b,
    out: full,
    batch: 1,
    m: rows,
    n,
    k,
    transA: false,
    transB: true,
    strideA: 0,
    strideB: 0,
  });
  const packed = be.packMatmulB(b, k, n, true);
  let bad = 0;
  for (const m of [1, 2, 3, 4, 5, 7, 144, 145]) {
    const plain = new Float32Array(m * n);
    be.matmul({ a, b, out: plain, batch: 1, m, n, k, transA: false, transB: true, strideA: 0, strideB: 0 });
    const prepacked = new Float32Array(m * n);
    be.matmulPacked(a.subarray(0, m * k), packed, prepacked, m, false);
    for (let i = 0; i < m * n; i++) {
      if (plain[i] !== full[i]) bad++;
      if (prepacked[i] !== full[i]) bad++;
    }
  }
  // Sixteen one-row products in one batched call (an attention step's scores): the pool runs them on its
  // threads, which must take the caller's choice of kernels.
  const batched = new Float32Array(16 * n);
  be.matmul({
    a,
    b,
    out: batched,
    batch: 16,
    m: 1,
    n,
    k,
    transA: false,
    transB: true,
    strideA: k,
    strideB: 0,
  });
  for (let i = 0; i < 16 * n; i++) if (batched[i] !== full[i]) bad++;
  return bad;
}

/** Softmax rows of n values alone and followed by masked (-inf) padding: how many outputs differ. */
function softmaxMismatches(be: Backend): number {
  let bad = 0;
  for (let n = 1; n <= 40; n++) {
    const x = randomF32(n, n);
    for (const pad of [1, 3, 8, 13]) {
      const padded = new Float32Array(n + pad).fill(-Infinity);
      padded.set(x);
      const alone = new Float32Array(n);
      const withPad = new Float32Array(n + pad);
      for (const log of [false, true]) {
        be.softmax({ x, outer: 1, n, inner: 1, log, out: alone });
        be.softmax({ x: padded, outer: 1, n: n + pad, inner: 1, log, out: withPad });
        for (let i = 0; i < n; i++) if (alone[i] !== withPad[i]) bad++;
        for (let i = n; i < n + pad; i++) if (withPad[i] !== (log ? -Infinity : 0)) bad++;
      }
    }
  }
  return bad;
}

describe('batch-invariant kernels', () => {
  it('the JavaScript reference: a row of a product or a softmax does not depend on its batch or padding', () => {
    expect(productMismatches(jsBackend)).toBe(0);
    expect(softmaxMismatches(jsBackend)).toBe(0);
  });

  it.skipIf(!loaded.ok)('native with setBatchInvariant(true): the same, on every GEMM path', () => {
    if (!loaded.ok) return;
    const native = createNativeBackend(loaded.addon);
    loaded.addon.setBatchInvariant(true);
    try {
      expect(productMismatches(native)).toBe(0);
      expect(softmaxMismatches(native)).toBe(0);
    } finally {
      loaded.addon.setBatchInvariant(false);
    }
  });

  it('wasm: the same with the switch on or off (it has no matrix-vector or vector-softmax path)', () => {
    const wasm = loadWasm();
    expect(wasm.ok).toBe(true);
    if (!wasm.ok) return;
    const backend = createNativeBackend(wasm.addon, 'wasm');
    for (const on of [true, false]) {
      wasm.addon.setBatchInvariant(on);
      expect(productMismatches(backend)).toBe(0);
      expect(softmaxMismatches(backend)).toBe(0);
    }
  });

  it.skipIf(!loaded.ok || loaded.addon.info().simd === 'portable')(
    'native by default: the matrix-vector product and the vector softmax round differently (the switch is what holds)',
    () => {
      if (!loaded.ok) return;
      const native = createNativeBackend(loaded.addon);
      expect(productMismatches(native)).toBeGreaterThan(0);
      expect(softmaxMismatches(native)).toBeGreaterThan(0);
    },
  );
});
