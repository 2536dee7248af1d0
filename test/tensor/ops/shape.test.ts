import { describe, expect, it } from 'vitest';
import {
  arange,
  cast,
  concat,
  expand,
  flatten,
  permute,
  reshape,
  scalar,
  slice,
  split,
  squeeze,
  stack,
  tensor,
  transpose,
  unsqueeze,
  type Tensor,
} from '../../../src/index.js';
import { expectTensor, randomTensor, stridesOf, unravel } from './helpers.js';

const range = (...shape: number[]): Tensor =>
  cast(arange(shape.reduce((n, d) => n * d, 1)), 'float32').reshape(shape);

describe('reshape and flatten', () => {
  it('infer one -1 size and share storage', () => {
    const x = range(2, 3, 4);
    const y = reshape(x, [4, -1]);
    expect(y.shape).toEqual([4, 6]);
    expect(y.data).toBe(x.data);
    expect(reshape(x, [-1]).shape).toEqual([24]);
    expect(reshape(x, [2, -1, 2]).shape).toEqual([2, 6, 2]);
    expect(x.reshape([24]).toArray()).toEqual([...Array(24).keys()]);
    expect(reshape(scalar(3), [1, 1]).shape).toEqual([1, 1]);
    expect(reshape(tensor([[]]), [0, 5]).shape).toEqual([0, 5]);
    expect(reshape(x, [2, 3, 4])).toBe(x);
  });

  it('flatten merges a range of axes', () => {
    const x = range(2, 3, 4);
    expect(flatten(x).shape).toEqual([24]);
    expect(flatten(x, 1).shape).toEqual([2, 12]);
    expect(flatten(x, 0, 1).shape).toEqual([6, 4]);
    expect(x.flatten(-2, -1).shape).toEqual([2, 12]);
    expect(flatten(scalar(1)).shape).toEqual([1]);
  });
});

describe('permute and transpose', () => {
  /** out[idx] = x[idx permuted back] computed index by index. */
  function naivePermute(x: Tensor, perm: number[]): number[] {
    const shape = perm.map((a) => x.shape[a]!);
    const strides = stridesOf(x.shape);
    const size = x.size;
    const out: number[] = [];
    for (let i = 0; i < size; i++) {
      const idx = unravel(i, shape);
      let src = 0;
      idx.forEach((v, d) => (src += v * strides[perm[d]!]!));
      out.push(x.data[src]!);
    }
    return out;
  }

  it('permute matches index arithmetic for every permutation of 3 axes', () => {
    const x = randomTensor(1, [2, 3, 4]);
    for (const perm of [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ]) {
      expectTensor(
        permute(x, perm),
        perm.map((a) => x.shape[a]!),
        naivePermute(x, perm),
      );
    }
    const y = randomTensor(2, [2, 1, 3, 5]);
    expectTensor(y.permute([3, -2, 0, 1]), [5, 3, 2, 1], naivePermute(y, [3, 2, 0, 1]));
  });

  it('a permutation that moves only axes of size 1 shares the storage (a reshape), with the same values', () => {
    const x = randomTensor(3, [4, 1, 8, 6]);
    for (const perm of [
      [0, 2, 1, 3],
      [1, 0, 2, 3],
      [0, 2, 3, 1],
    ]) {
      const out = permute(x, perm);
      expectTensor(
        out,
        perm.map((a) => x.shape[a]!),
        naivePermute(x, perm),
      );
      expect(out.data).toBe(x.data);
    }
    // Size-1 axes moved, but two others swapped: a copy.
    expect(permute(x, [0, 1, 3, 2]).data).not.toBe(x.data);
    expectTensor(permute(x, [2, 1, 0, 3]), [8, 1, 4, 6], naivePermute(x, [2, 1, 0, 3]));
  });

  it('transpose swaps the last two axes by default, or any two', () => {
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(transpose(m).toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    const x = range(2, 3, 4);
    expect(x.transpose(0, 2).shape).toEqual([4, 3, 2]);
    expect(transpose(x, 0, 2).data[1]).toBe(12); // out[0,0,1] = x[1,0,0]
    expect(transpose(x, 1, 1)).toBe(x);
    expect(transpose(transpose(x)).toArray()).toEqual(x.toArray());
  });

  it('keeps int32 and bool dtypes', () => {
    const ids = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'int32' },
    );
    expectTensor(transpose(ids), [2, 2], [1, 3, 2, 4], 0, 'int32');
    const mask = tensor(
      [
        [1, 0],
        [0, 0],
      ],
      { dtype: 'bool' },
    );
    expectTensor(transpose(mask), [2, 2], [1, 0, 0, 0], 0, 'bool');
  });
});

describe('squeeze, unsqueeze and expand', () => {
  it('squeeze removes all size-1 axes or the given ones', () => {
    const x = range(1, 3, 1, 2);
    expect(squeeze(x).shape).toEqual([3, 2]);
    expect(squeeze(x, 0).shape).toEqual([3, 1, 2]);
    expect(squeeze(x, [-2, 0]).shape).toEqual([3, 2]);
    expect(x.squeeze(2).shape).toEqual([1, 3, 2]);
    expect(squeeze(tensor([[5]])).shape).toEqual([]);
  });

  it('unsqueeze inserts an axis anywhere, counting negative axes from the end', () => {
    const x = range(2, 3);
    expect(unsqueeze(x, 0).shape).toEqual([1, 2, 3]);
    expect(unsqueeze(x, 1).shape).toEqual([2, 1, 3]);
    expect(unsqueeze(x, 2).shape).toEqual([2, 3, 1]);
    expect(unsqueeze(x, -1).shape).toEqual([2, 3, 1]);
    expect(x.unsqueeze(-3).shape).toEqual([1, 2, 3]);
    expect(unsqueeze(scalar(1), 0).shape).toEqual([1]);
  });

  it('expand copies along broadcast and new leading axes', () => {
    const col = tensor([[1], [2], [3]]);
    expectTensor(expand(col, [3, 4]), [3, 4], [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    expectTensor(expand(col, [2, -1, 2]), [2, 3, 2], [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    expectTensor(tensor([1, 2]).expand([2, 2]), [2, 2], [1, 2, 1, 2]);
    expectTensor(expand(scalar(7), [2, 2]), [2, 2], [7, 7, 7, 7]);
    expect(expand(col, [3, 1])).toBe(col);
    const mask = expand(tensor([[1, 0]], { dtype: 'bool' }), [2, 2]);
    expectTensor(mask, [2, 2], [1, 0, 1, 0], 0, 'bool');
  });
});

describe('slice', () => {
  const x = range(3, 5);
  it('takes start ≤ i < end with negative indices counting from the end', () => {
    expectTensor(slice(x, 1, 1, 3), [3, 2], [1, 2, 6, 7, 11, 12]);
    expectTensor(slice(x, 1, -2), [3, 2], [3, 4, 8, 9, 13, 14]);
    expectTensor(slice(x, 1, -4, -2), [3, 2], [1, 2, 6, 7, 11, 12]);
    expectTensor(slice(x, 0, 2), [1, 5], [10, 11, 12, 13, 14]);
    expectTensor(slice(x, -2, -1), [1, 5], [10, 11, 12, 13, 14]);
    expectTensor(x.slice(0, 0, 1), [1, 5], [0, 1, 2, 3, 4]);
  });

  it('clips to the size like Python slicing and may be empty', () => {
    expect(slice(x, 1, 0, 100)).toBe(x);
    expectTensor(slice(x, 1, -100, 1), [3, 1], [0, 5, 10]);
    expectTensor(slice(x, 1, 3, 2), [3, 0], []);
    expectTensor(slice(x, 0, 5), [0, 5], []);
  });
});

describe('concat, stack and split', () => {
  it('concat joins along any axis', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([[5, 6]]);
    const c = tensor([[7], [8]]);
    expectTensor(concat([a, b]), [3, 2], [1, 2, 3, 4, 5, 6]);
    expectTensor(concat([a, c, a], 1), [2, 5], [1, 2, 7, 1, 2, 3, 4, 8, 3, 4]);
    expectTensor(concat([c, a], -1), [2, 3], [7, 1, 2, 8, 3, 4]);
    expect(concat([a])).toBe(a);
    expectTensor(concat([a, tensor(new Float32Array(0), { shape: [0, 2] })]), [2, 2], [1, 2, 3, 4]);
    const ids = concat([tensor([1], { dtype: 'int32' }), tensor([2, 3], { dtype: 'int32' })]);
    expectTensor(ids, [3], [1, 2, 3], 0, 'int32');
  });

  it('concat along a middle axis of 3-D tensors', () => {
    const a = range(2, 1, 3);
    const b = range(2, 2, 3).add(100);
    const y = concat([a, b], 1);
    expect(y.shape).toEqual([2, 3, 3]);
    expect(y.toArray()).toEqual([
      [
        [0, 1, 2],
        [100, 101, 102],
        [103, 104, 105],
      ],
      [
        [3, 4, 5],
        [106, 107, 108],
        [109, 110, 111],
      ],
    ]);
  });

  it('stack adds a new axis', () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([4, 5, 6]);
    expectTensor(stack([a, b]), [2, 3], [1, 2, 3, 4, 5, 6]);
    expectTensor(stack([a, b], 1), [3, 2], [1, 4, 2, 5, 3, 6]);
    expectTensor(stack([a, b], -1), [3, 2], [1, 4, 2, 5, 3, 6]);
    expectTensor(stack([scalar(1), scalar(2)]), [2], [1, 2]);
  });

  it('split into equal pieces (the last may be smaller) or given sizes', () => {
    const x = range(5, 2);
    const pieces = split(x, 2);
    expect(pieces.map((p) => p.shape)).toEqual([
      [2, 2],
      [2, 2],
      [1, 2],
    ]);
    expect(pieces[2]!.toArray()).toEqual([[8, 9]]);
    const parts = split(x, [1, 0, 4]);
    expect(parts.map((p) => p.shape)).toEqual([
      [1, 2],
      [0, 2],
      [4, 2],
    ]);
    expectTensor(parts[2]!, [4, 2], [2, 3, 4, 5, 6, 7, 8, 9]);
    const cols = split(x, 1, -1);
    expectTensor(cols[1]!, [5, 1], [1, 3, 5, 7, 9]);
    expect(concat(split(x, 3)).toArray()).toEqual(x.toArray());
  });
});

describe('cast', () => {
  it('float → int32 truncates toward zero; anything → bool is ≠ 0', () => {
    const x = tensor([1.7, -1.7, 0, -0.2, 3]);
    expectTensor(cast(x, 'int32'), [5], [1, -1, 0, 0, 3], 0, 'int32');
    expectTensor(cast(x, 'bool'), [5], [1, 1, 0, 1, 1], 0, 'bool');
    expectTensor(cast(tensor([0, -3], { dtype: 'int32' }), 'bool'), [2], [0, 1], 0, 'bool');
    expectTensor(cast(tensor([1, 0], { dtype: 'bool' }), 'float32'), [2], [1, 0]);
    expectTensor(cast(tensor([-2, 5], { dtype: 'int32' }), 'float32'), [2], [-2, 5]);
    expectTensor(tensor([1, 0], { dtype: 'bool' }).toDType('int32'), [2], [1, 0], 0, 'int32');
    expect(cast(x, 'float32')).toBe(x);
  });

  it('a cast result leaves the graph', () => {
    const x = tensor([1.5], { requiresGrad: true });
    const y = cast(x, 'int32');
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBe(null);
  });
});
