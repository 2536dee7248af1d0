/**
 * Recycled storage: the autograd engine hands dead gradient buffers back (src/tensor/storage.ts), and the next
 * allocation of the same size reuses them. Reuse must never change a result or touch storage someone still
 * reads: gradients with and without recycling are identical, and buffers a closure keeps, a leaf adopts or the
 * caller passed in survive later allocations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  add,
  linear,
  tidy,
  manualSeed,
  randn,
  relu,
  reshape,
  split,
  sum,
  tanh,
  Tensor,
} from '../../src/index.js';
import { gruSequence } from '../../src/fused/gru-sequence.js';
import {
  isWholeStorage,
  pooledStorageBytes,
  recycle,
  recycleFloats,
  resetStoragePoolStats,
  sizeClassBytes,
  storagePoolStats,
  setStoragePoolLimit,
  uninitialisedFloats,
  zeroedFloats,
} from '../../src/tensor/storage.js';

const DEFAULT_LIMIT = 256 * 1024 * 1024;
afterEach(() => setStoragePoolLimit('auto'));

/** Fills every buffer the pool holds, so that reuse of a buffer still in use would show as wrong values. */
function scribbleOverPool(sizes: number[]): void {
  for (const n of sizes) for (let i = 0; i < 8; i++) uninitialisedFloats(n).fill(1e6);
}

/** A residual block whose graph passes one gradient buffer to two consumers and through a reshape. */
function blockGrads(): Float32Array[] {
  manualSeed(3);
  const x = randn([64, 96]).requireGrad();
  const w1 = randn([96, 96]).mul(0.1).requireGrad();
  const b1 = randn([96]).requireGrad();
  const w2 = randn([96, 96]).mul(0.1).requireGrad();
  for (let step = 0; step < 2; step++) {
    const h = relu(linear(x, w1, b1));
    const y = add(x, linear(h, w2)); // add hands its gradient to both operands
    const z = tanh(reshape(y, [96, 64]));
    sum(add(z, z)).backward();
  }
  return [x, w1, b1, w2].map((t) => Float32Array.from(t.grad!.data as Float32Array));
}

describe('recycled storage', () => {
  it('recycles dead gradient buffers during backward and gives identical gradients', () => {
    setStoragePoolLimit(0);
    const without = blockGrads();
    expect(pooledStorageBytes()).toBe(0);
    setStoragePoolLimit(DEFAULT_LIMIT);
    const withPool = blockGrads();
    expect(pooledStorageBytes()).toBeGreaterThan(0);
    expect(withPool).toEqual(without);
  });

  it("leaves a leaf's adopted gradient and the caller's upstream gradient alone", () => {
    manualSeed(4);
    const x = randn([32, 128]).requireGrad();
    const upstream = randn([32, 128]);
    const upstreamCopy = Float32Array.from(upstream.data as Float32Array);
    tanh(x).backward(upstream);
    const grad = Float32Array.from(x.grad!.data as Float32Array);
    scribbleOverPool([32 * 128]);
    expect(Float32Array.from(x.grad!.data as Float32Array)).toEqual(grad);
    expect(Float32Array.from(upstream.data as Float32Array)).toEqual(upstreamCopy);
  });

  it('does not recycle the gradient a closure made outside the ops receives (it may keep it)', () => {
    manualSeed(5);
    const x = randn([16, 256]).requireGrad();
    const y = tanh(x);
    const kept: Tensor[] = [];
    // A hand-made node, as a user's custom op would be: no releasesGrad, so its g must stay intact.
    const out = new Tensor(Float32Array.from(y.data as Float32Array), y.shape, 'float32');
    out.requiresGrad = true;
    out.gradFn = {
      name: 'custom',
      inputs: [y],
      backward: (g) => {
        kept.push(g);
        return [g];
      },
    };
    sum(add(out, out)).backward();
    const snapshot = Float32Array.from(kept[0]!.data as Float32Array);
    expect(Array.from(snapshot).every((v) => v === 2)).toBe(true);
    scribbleOverPool([16 * 256]);
    expect(Float32Array.from(kept[0]!.data as Float32Array)).toEqual(snapshot);
  });

  it('keeps a multi-output op correct: its outputs store their gradients until the op runs', () => {
    const run = () => {
      manualSeed(6);
      const pre = randn([5, 8, 3 * 32]).requireGrad();
      const h0 = randn([8, 32]).requireGrad();
      const w = randn([3 * 32, 32])
        .mul(0.2)
        .requireGrad();
      for (let step = 0; step < 2; step++) {
        const { outputs, last } = gruSequence(pre, h0, w, null);
        sum(add(tanh(outputs), 0))
          .add(sum(last))
          .backward();
      }
      return [pre, h0, w].map((t) => Float32Array.from(t.grad!.data as Float32Array));
    };
    setStoragePoolLimit(0);
    const without = run();
    setStoragePoolLimit(DEFAULT_LIMIT);
    expect(run()).toEqual(without);
    expect(pooledStorageBytes()).toBeGreaterThan(0);
  });

  it('gives zeroed storage from the pool as zeros, and a split weight one gradient of its full shape', () => {
    const n = 1 << 14;
    recycle(uninitialisedFloats(n).fill(7).buffer);
    const z = zeroedFloats(n);
    expect(z.every((x) => x === 0)).toBe(true);
    // split's pieces share one backward: the gradient of w is each used piece's gradient in place, zeros elsewhere.
    manualSeed(8);
    const w = randn([64, 96]).requireGrad();
    scribbleOverPool([64 * 96, 64 * 40]);
    const [a, , c] = split(w, [40, 16, 40], 1);
    sum(add(tanh(a!), c!)).backward();
    const g = w.grad!.data as Float32Array;
    const wd = w.data as Float32Array;
    for (let r = 0; r < 64; r++)
      for (let col = 0; col < 96; col++) {
        const x = wd[r * 96 + col]!;
        const want = col < 40 ? 1 - Math.tanh(x) ** 2 : col < 56 ? 0 : 1;
        expect(g[r * 96 + col]).toBeCloseTo(want, 5);
      }
  });

  it('keeps no more than its limit, and 0 turns recycling off', () => {
    setStoragePoolLimit(1024);
    blockGrads();
    expect(pooledStorageBytes()).toBeLessThanOrEqual(1024);
    setStoragePoolLimit(0);
    expect(pooledStorageBytes()).toBe(0);
    expect(() => setStoragePoolLimit(-1)).toThrow(/bytes must be 'auto' or a finite number ≥ 0/);
  });

  it('rounds sizes up to a quarter octave, and serves a request from its class or one up to twice its bytes', () => {
    expect([16384, 16388, 20480, 20484, 1 << 20, (1 << 20) + 4].map(sizeClassBytes)).toEqual([
      16384,
      20480,
      20480,
      24576,
      1 << 20,
      (1 << 20) + (1 << 18),
    ]);
    setStoragePoolLimit(0); // empties the pool
    setStoragePoolLimit('auto');
    const big = uninitialisedFloats(9000); // 36000 bytes: class 40960 (steps of 8192)
    expect(big.buffer.byteLength).toBe(40960);
    expect(isWholeStorage(big)).toBe(true);
    expect(isWholeStorage(big.subarray(0, 100))).toBe(false);
    const buffer = big.buffer;
    recycleFloats(big);
    // 6000 floats (24000 bytes, class 24576) may take the 40960-byte one: three classes up (28672, 32768, 40960).
    const small = uninitialisedFloats(6000);
    expect(small.buffer).toBe(buffer);
    expect(small.length).toBe(6000);
    expect(isWholeStorage(small)).toBe(true);
  });

  it('in steady state, tidy() steps of ragged lengths allocate nothing new', () => {
    setStoragePoolLimit('auto');
    manualSeed(4);
    const w = randn([64, 64]).requireGrad();
    const step = (rows: number) =>
      tidy(() => {
        w.zeroGrad();
        sum(tanh(linear(randn([rows, 64]), w))).backward();
        return 0;
      });
    const lengths = [70, 90, 130, 75, 128, 100];
    for (const rows of lengths) step(rows);
    resetStoragePoolStats();
    for (let i = 0; i < 3; i++) for (const rows of lengths) step(rows);
    const stats = storagePoolStats();
    expect(stats.requests).toBeGreaterThan(0);
    expect(stats.misses).toBe(0);
    expect(stats.droppedBytes).toBe(0);
  });
});
