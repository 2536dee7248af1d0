import { expect } from 'vitest';
import { formatShape, type Tensor } from '../../src/index.js';

/** Tolerance for float32 parity with PyTorch: |a - e| ≤ atol + rtol·|e| element by element. */
export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/**
 * Asserts same shape and elementwise closeness; on failure names the tensor, the worst element and its values.
 */
export function expectClose(actual: Tensor, expected: Tensor, name: string, tol: Tolerance = {}): void {
  const atol = tol.atol ?? 1e-5;
  const rtol = tol.rtol ?? 1e-4;
  expect(formatShape(actual.shape), `${name}: shape`).toBe(formatShape(expected.shape));
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.size; i++) {
    const a = actual.data[i]!;
    const e = expected.data[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${name}: element ${worst} is ${actual.data[worst]}, expected ${expected.data[worst]} (atol ${atol}, rtol ${rtol})`,
    );
  }
}
