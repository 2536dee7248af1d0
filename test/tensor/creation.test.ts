import { describe, expect, it } from 'vitest';
import {
  AttnError,
  arange,
  eye,
  full,
  ones,
  onesLike,
  scalar,
  tensor,
  Tensor,
  zeros,
  zerosLike,
} from '../../src/index.js';

describe('tensor()', () => {
  it('infers the shape of nested arrays', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(tensor([[[1], [2]]]).shape).toEqual([1, 2, 1]);
    expect(tensor(5).shape).toEqual([]);
    expect(tensor(5).item()).toBe(5);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(scalar(2.5, { dtype: 'float32' }).toArray()).toBe(2.5);
  });

  it('rejects ragged input', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(AttnError);
    expect(() => tensor([[1, 2], [3]])).toThrow(/^tensor: values are ragged/);
    expect(() => tensor([[1, 2], 3])).toThrow(/^tensor: values are ragged/);
    expect(() => tensor([1, [2]])).toThrow(/^tensor: values are ragged/);
    expect(() => tensor([[[1]], [[1, 2]]])).toThrow(/^tensor: values are ragged/);
  });

  it('takes a dtype, a shape and requiresGrad', () => {
    const ids = tensor([1, 2.9, -2.9], { dtype: 'int32' });
    expect(ids.dtype).toBe('int32');
    expect(Array.from(ids.data)).toEqual([1, 2, -2]);
    const mask = tensor([1, 0, 1], { dtype: 'bool' });
    expect(mask.data).toBeInstanceOf(Uint8Array);
    const reshaped = tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
    expect(reshaped.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(
      /^tensor: shape \[2,2\] needs 4 values, got 3/,
    );
    const w = tensor([1, 2], { requiresGrad: true });
    expect(w.requiresGrad).toBe(true);
    expect(w.isLeaf).toBe(true);
  });

  it('stores bool values as 0 and 1 (anything non-zero is true)', () => {
    expect(Array.from(tensor([2, 0, -1, 0.5], { dtype: 'bool' }).data)).toEqual([1, 0, 1, 1]);
    expect(Array.from(tensor(new Float32Array([0.5, 0, 256]), { dtype: 'bool' }).data)).toEqual([1, 0, 1]);
    expect(Array.from(full([2], 3, { dtype: 'bool' }).data)).toEqual([1, 1]);
  });

  it('copies typed arrays and infers their dtype', () => {
    const src = new Float32Array([1, 2, 3, 4]);
    const t = tensor(src, { shape: [2, 2] });
    src[0] = 100;
    expect(t.data[0]).toBe(1);
    expect(t.data).not.toBe(src);
    const ids = new Int32Array([3, 4]);
    const ti = tensor(ids);
    ids[0] = 0;
    expect(ti.dtype).toBe('int32');
    expect(Array.from(ti.data)).toEqual([3, 4]);
    expect(tensor(new Uint8Array([1, 0])).dtype).toBe('bool');
    const converted = tensor(new Float32Array([1.5, -2.5]), { dtype: 'int32' });
    expect(converted.dtype).toBe('int32');
    expect(Array.from(converted.data)).toEqual([1, -2]);
    expect(() => tensor(new Float32Array(3), { shape: [2, 2] })).toThrow(
      'tensor: shape [2,2] needs 4 values, got 3',
    );
  });

  it('the Tensor constructor wraps storage without copying', () => {
    const data = new Float32Array([1, 2]);
    const t = new Tensor(data, [2, 1]);
    expect(t.data).toBe(data);
    expect(t.shape).toEqual([2, 1]);
    expect(() => new Tensor(data, [3])).toThrow('Tensor: shape [3] needs 3 elements, storage has 2');
    expect(() => new Tensor(data, [2], 'int32')).toThrow(
      'Tensor: storage is a Float32Array but dtype is int32',
    );
  });
});

describe('filled tensors', () => {
  it('zeros, ones and full', () => {
    const z = zeros([2, 3]);
    expect(z.shape).toEqual([2, 3]);
    expect(Array.from(z.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(ones([3]).data)).toEqual([1, 1, 1]);
    expect(Array.from(full([2], -Infinity).data)).toEqual([-Infinity, -Infinity]);
    expect(full([], 7).item()).toBe(7);
    expect(zeros([0, 4]).size).toBe(0);
    const ids = ones([2], { dtype: 'int32' });
    expect(ids.dtype).toBe('int32');
    expect(ids.data).toBeInstanceOf(Int32Array);
    expect(zeros([2], { requiresGrad: true }).requiresGrad).toBe(true);
  });

  it('zerosLike and onesLike keep shape and dtype', () => {
    const ids = tensor([[1, 2]], { dtype: 'int32' });
    const z = zerosLike(ids);
    expect(z.shape).toEqual([1, 2]);
    expect(z.dtype).toBe('int32');
    expect(Array.from(onesLike(ids).data)).toEqual([1, 1]);
    expect(onesLike(ids, { dtype: 'float32' }).dtype).toBe('float32');
  });

  it('arange follows torch.arange', () => {
    const a = arange(5);
    expect(a.dtype).toBe('int32');
    expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(arange(2, 5).data)).toEqual([2, 3, 4]);
    expect(Array.from(arange(5, 0, -2).data)).toEqual([5, 3, 1]);
    expect(Array.from(arange(1, 8, 3).data)).toEqual([1, 4, 7]);
    const f = arange(0, 1, 0.25);
    expect(f.dtype).toBe('float32');
    expect(Array.from(f.data)).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(0, 0.3, 0.1).size).toBe(3);
    expect(arange(0, 3, 1, { dtype: 'float32' }).dtype).toBe('float32');
    expect(arange(3, 3).size).toBe(0);
    expect(arange(3, 0).size).toBe(0);
    expect(() => arange(0, 3, 0)).toThrow(/^arange: needs finite bounds and a non-zero step/);
  });

  it('eye is the identity', () => {
    expect(eye(3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(eye(0).shape).toEqual([0, 0]);
    expect(eye(2, { dtype: 'int32' }).dtype).toBe('int32');
  });
});
