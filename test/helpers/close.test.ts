import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/index.js';
import { expectClose } from './close.js';

// The parity helper itself must be able to fail, or every golden test would pass vacuously.
describe('expectClose', () => {
  it('passes within tolerance and fails outside it, on NaN and on shape mismatch', () => {
    expectClose(tensor([1, 2.00001]), tensor([1, 2]), 'x');
    expect(() => expectClose(tensor([1, 2.001]), tensor([1, 2]), 'x')).toThrow(/element 1/);
    expect(() => expectClose(tensor([1, NaN]), tensor([1, 2]), 'x')).toThrow(/element 1/);
    expect(() => expectClose(tensor([1, 2]), tensor([[1, 2]]), 'x')).toThrow(/shape/);
  });
});
