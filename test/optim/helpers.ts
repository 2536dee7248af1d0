import { expect } from 'vitest';
import { Tensor, tensor } from '../../src/index.js';

/** A float32 leaf parameter with these values. */
export function param(values: number[]): Tensor {
  return tensor(values).requireGrad();
}

/** Sets the parameter's gradient. */
export function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values);
}

/** The parameter equals the hand-computed values rounded to float32 (to a few float32 ulps). */
export function expectValues(p: Tensor, expected: number[]): void {
  expect(p.data.length).toBe(expected.length);
  expected.forEach((e, i) => {
    expect(Math.abs(p.data[i]! - e), `element ${i}: ${p.data[i]} vs ${e}`).toBeLessThanOrEqual(
      4e-7 * Math.max(1, Math.abs(e)),
    );
  });
}
