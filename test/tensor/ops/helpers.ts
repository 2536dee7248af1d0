/** Shared helpers of the forward-value tests: tolerant comparison and deterministic random data. */
import { assert, expect } from 'vitest';
import { Generator, Tensor, tensor } from '../../../src/index.js';

/**
 * Elementwise |actual - expected| ≤ tol·(1 + |expected|); NaN must meet NaN and an infinity the same infinity.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Number.isNaN(e)
      ? Number.isNaN(a)
      : Number.isFinite(e)
        ? Math.abs(a - e) <= tol * (1 + Math.abs(e))
        : a === e;
    if (!ok) assert.fail(`at flat index ${i}: got ${a}, expected ${e} (tolerance ${tol})`);
  }
}

/** Checks the shape, dtype (float32 unless given) and values of a tensor. */
export function expectTensor(
  t: Tensor,
  shape: readonly number[],
  values: ArrayLike<number>,
  tol = 1e-6,
  dtype = 'float32',
): void {
  expect(t).toBeInstanceOf(Tensor);
  expect(t.shape).toEqual(shape);
  expect(t.dtype).toBe(dtype);
  expectClose(t.data, values, tol);
}

/** Uniform values in [low, high) from a seeded generator, as a Float32Array. */
export function randomData(seed: number, size: number, low = -1, high = 1): Float32Array {
  return new Generator(seed).fillUniform(new Float32Array(size), low, high);
}

/** A float32 tensor of uniform values in [-1, 1). */
export function randomTensor(seed: number, shape: readonly number[]): Tensor {
  const size = shape.reduce((n, d) => n * d, 1);
  return tensor(randomData(seed, size), { shape });
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** The multi-index of flat position `flat` in a row-major tensor of `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return idx;
}

/** Flat position of a multi-index, reading axes of size 1 as broadcast (index 0). */
export function ravelBroadcast(index: readonly number[], shape: readonly number[]): number {
  const strides = stridesOf(shape);
  const lead = index.length - shape.length;
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat += (shape[i] === 1 ? 0 : index[i + lead]!) * strides[i]!;
  return flat;
}
