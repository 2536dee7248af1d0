import { afterEach, describe, expect, it } from 'vitest';
import { concat, matmul, randn, relu, slice, softmax, tensor, zeros } from '../../src/index.js';
import {
  hasUninitialisedAllocator,
  setUninitialisedAllocator,
  uninitialisedFloats,
  type UninitialisedAllocator,
} from '../../src/tensor/storage.js';

// The suite's setup installs an allocator that fills "uninitialised" storage with NaN (test/setup/backend.ts):
// every op that claims to overwrite its output is checked by every test that reads that output.
const poison: UninitialisedAllocator = (n) => new Float32Array(n).fill(Number.NaN);

afterEach(() => setUninitialisedAllocator(poison, 0));

describe('uninitialised output storage', () => {
  it('is poisoned with NaN in the test suite, so an element a kernel skips cannot pass unnoticed', () => {
    expect(hasUninitialisedAllocator()).toBe(true);
    const x = uninitialisedFloats(5);
    expect(x).toHaveLength(5);
    expect(Array.from(x).every(Number.isNaN)).toBe(true);
  });

  it('gives zeroed arrays below the minimum length and without an allocator', () => {
    setUninitialisedAllocator(poison, 16);
    expect(Array.from(uninitialisedFloats(15))).toEqual(new Array(15).fill(0));
    expect(Number.isNaN(uninitialisedFloats(16)[0])).toBe(true);
    setUninitialisedAllocator(null);
    expect(hasUninitialisedAllocator()).toBe(false);
    expect(Array.from(uninitialisedFloats(100_000).subarray(0, 4))).toEqual([0, 0, 0, 0]);
  });

  it('rejects an allocator that returns the wrong length', () => {
    setUninitialisedAllocator((n) => new Float32Array(n + 1), 0);
    expect(() => uninitialisedFloats(3)).toThrow(/returned 4 floats for a request of 3/);
  });

  it('ops that overwrite their output leave no element unwritten, edge cases included', () => {
    // k = 0: the product is all zeros, written by the kernel rather than left from the allocation.
    expect(Array.from(matmul(zeros([3, 0]), zeros([0, 2])).data)).toEqual([0, 0, 0, 0, 0, 0]);
    const x = randn([3, 7]);
    for (const y of [
      relu(x),
      softmax(x, 0),
      slice(x, 1, 2, 5),
      concat([x, x], 1),
      matmul(x, x, { transB: true }),
    ])
      expect(Array.from(y.data).some(Number.isNaN)).toBe(false);
    expect(Array.from(concat([tensor([1, 2]), tensor([3])]).data)).toEqual([1, 2, 3]);
  });
});
