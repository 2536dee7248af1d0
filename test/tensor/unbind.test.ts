import { describe, expect, it } from 'vitest';
import { mul, noGrad, stack, sum, tensor } from '../../src/index.js';
import { unbind } from '../../src/index.js';
import { gradcheck, randomInput } from '../helpers/gradcheck.js';

describe('unbind', () => {
  it('gives the pieces along axis 0 as views of the same storage', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const pieces = unbind(x);
    expect(pieces.map((p) => p.toArray())).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(pieces[1]!.shape).toEqual([2]);
    expect(pieces[1]!.data.buffer).toBe(x.data.buffer);
    expect(pieces[1]!.requiresGrad).toBe(false);
  });

  it('records no graph under noGrad', () => {
    const x = randomInput([3, 2], 1).requireGrad();
    const pieces = noGrad(() => unbind(x));
    expect(pieces.every((p) => !p.requiresGrad && p.isLeaf)).toBe(true);
  });

  it('passes gradients back (finite differences), pieces used in any order and more than once', () => {
    gradcheck(
      (x) => {
        const [a, b, c] = unbind(x!);
        return stack([mul(c!, a!), b!, mul(c!, c!)], 0);
      },
      [randomInput([3, 2, 2], 2)],
    );
  });

  it('gives zero gradient to pieces the loss does not reach', () => {
    const x = randomInput([4, 3], 3).requireGrad();
    const pieces = unbind(x);
    sum(mul(pieces[2]!, 2)).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 0, 0, 0, 0, 2, 2, 2, 0, 0, 0]);
  });

  it('rejects a scalar', () => {
    expect(() => unbind(tensor(1))).toThrow('unbind: needs a tensor with at least one axis, got []');
  });
});
