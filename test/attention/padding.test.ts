import { describe, expect, it } from 'vitest';
import { AttnError, Padding, paddingMaskFromLengths, Tensor } from '../../src/index.js';

const int32 = (values: number[], shape = [values.length]) =>
  new Tensor(Int32Array.from(values), shape, 'int32');
const bool = (rows: number[][]) =>
  new Tensor(Uint8Array.from(rows.flat()), [rows.length, rows[0]?.length ?? 0], 'bool');

describe('Padding', () => {
  it('fromLengths gives the mask, the lengths and the token count', () => {
    for (const lengths of [[2, 0, 3], int32([2, 0, 3])]) {
      const p = Padding.fromLengths(lengths, 4);
      expect([p.batchSize, p.length]).toEqual([3, 4]);
      expect(p.mask.dtype).toBe('bool');
      expect(p.mask.toArray()).toEqual([
        [0, 0, 1, 1],
        [1, 1, 1, 1],
        [0, 0, 0, 1],
      ]);
      expect(p.lengths.dtype).toBe('int32');
      expect(p.lengths.toArray()).toEqual([2, 0, 3]);
      expect(p.lengthsFor('someOp').toArray()).toEqual([2, 0, 3]);
      expect(p.tokens).toBe(5);
      expect(p.isPrefix).toBe(true);
      expect(p.hasPadding).toBe(true);
      // Computed once: the same tensor on every use.
      expect(p.mask).toBe(p.mask);
    }
    // T defaults to the longest length.
    const p = Padding.fromLengths([1, 2]);
    expect(p.length).toBe(2);
    expect(p.hasPadding).toBe(true);
    expect(Padding.fromLengths([2, 2]).hasPadding).toBe(false);
    expect(Padding.fromLengths([], 3).mask.shape).toEqual([0, 3]);
  });

  it('fromMask gives the lengths of a prefix mask, and the same mask back', () => {
    const mask = bool([
      [0, 0, 1],
      [0, 0, 0],
    ]);
    const p = Padding.fromMask(mask);
    expect(p.mask).toBe(mask);
    expect(p.lengths.toArray()).toEqual([2, 3]);
    expect(p.tokens).toBe(5);
    expect([p.batchSize, p.length]).toEqual([2, 3]);
    expect(Padding.fromMask(bool([[0, 0]])).hasPadding).toBe(false);
  });

  it('fromIds marks the positions holding the pad id', () => {
    const p = Padding.fromIds(
      int32(
        [
          [5, 6, 0],
          [7, 0, 0],
        ].flat(),
        [2, 3],
      ),
      0,
    );
    expect(p.mask.toArray()).toEqual([
      [0, 0, 1],
      [0, 1, 1],
    ]);
    expect(p.lengths.toArray()).toEqual([2, 1]);
    expect(p.tokens).toBe(3);
    expect(Padding.fromIds(int32([3, 4], [1, 2]), 4).mask.toArray()).toEqual([[0, 1]]);
  });

  it('a mask with a real token after padding has a mask and a token count but no lengths', () => {
    const left = Padding.fromMask(
      bool([
        [1, 0, 0],
        [0, 0, 0],
      ]),
    );
    expect(left.isPrefix).toBe(false);
    expect(left.tokens).toBe(5);
    expect(left.mask.toArray()).toEqual([
      [1, 0, 0],
      [0, 0, 0],
    ]);
    expect(() => left.lengthsFor('GRU encoder')).toThrow(AttnError);
    expect(() => left.lengthsFor('GRU encoder')).toThrow(
      'GRU encoder: padding must come after the real tokens (right padding), but sequence 0 has a token at ' +
        'position 1 after padding, which lengths cannot represent',
    );
    expect(() => left.lengths).toThrow(/^Padding\.lengths: padding must come after the real tokens/);
    const gap = Padding.fromIds(int32([4, 0, 4], [1, 3]), 0);
    expect(() => gap.lengthsFor('op')).toThrow(/sequence 0 has a token at position 2 after padding/);
  });

  it('from takes every PaddingLike, checked against the batch shape', () => {
    const mask = paddingMaskFromLengths([1, 3], 3);
    const fromLengths = Padding.fromLengths([1, 3], 3);
    expect(Padding.from(null, 'op', 2, 3)).toBeNull();
    expect(Padding.from(undefined, 'op', 2, 3)).toBeNull();
    expect(Padding.from(fromLengths, 'op', 2, 3)).toBe(fromLengths);
    expect(Padding.from(mask, 'op', 2, 3)!.mask).toBe(mask);
    expect(Padding.from([1, 3], 'op', 2, 3)!.mask.toArray()).toEqual(mask.toArray());
    expect(Padding.from(int32([1, 3]), 'op', 2, 3)!.lengths.toArray()).toEqual([1, 3]);

    expect(() => Padding.from(fromLengths, 'Model', 2, 4)).toThrow(
      'Model: the padding is for [2, 3], but the batch is [2, 4]',
    );
    expect(() => Padding.from(mask, 'Model', 3, 3)).toThrow(
      'Model: the padding mask must be bool [3, 3], got bool [2,3]',
    );
    expect(() => Padding.from([1, 2, 3], 'Model', 2, 3)).toThrow(
      'Model: lengths must have one entry per sequence (2), got 3',
    );
    expect(() => Padding.from([1, 4], 'Model', 2, 3)).toThrow(
      'Model: lengths[1] = 4 is outside [0, 3] (the padded length)',
    );
    expect(() => Padding.from(new Tensor(new Float32Array(2), [2]), 'Model', 2, 3)).toThrow(
      'Model: lengths must be int32 [2] or numbers, got float32 [2]',
    );
    expect(() => Padding.from(int32([1, 2], [1, 2]), 'Model', 2, 3)).toThrow(
      'Model: lengths must be int32 [2] or numbers, got int32 [1,2]',
    );
    expect(() => Padding.from('mask' as never, 'Model', 2, 3)).toThrow(
      'Model: padding must be a Padding, lengths (int32 [B] or numbers), a bool mask [B, T] or null, got string mask',
    );
  });

  it('the constructors reject bad shapes, dtypes and values, naming the op', () => {
    expect(() => Padding.fromLengths([1, -1], 3)).toThrow(
      'Padding.fromLengths: lengths[1] = -1 is not a non-negative integer',
    );
    expect(() => Padding.fromLengths([1.5], 3, 'myOp')).toThrow(
      'myOp: lengths[0] = 1.5 is not a non-negative integer',
    );
    expect(() => Padding.fromLengths([1, 5], 3)).toThrow(
      'Padding.fromLengths: lengths[1] = 5 is outside [0, 3] (the padded length)',
    );
    expect(() => Padding.fromLengths([1], 2.5)).toThrow(
      'Padding.fromLengths: the padded length must be a non-negative integer, got 2.5',
    );
    expect(() => Padding.fromLengths(new Tensor(new Float32Array(2), [2]))).toThrow(
      'Padding.fromLengths: lengths must be int32 [B], got float32 [2]',
    );
    expect(() => Padding.fromLengths(int32([1, 2], [2, 1]))).toThrow(
      'Padding.fromLengths: lengths must be int32 [B], got int32 [2,1]',
    );
    expect(() => Padding.fromLengths('12' as never)).toThrow(
      'Padding.fromLengths: lengths must be int32 [B] or numbers, got string 12',
    );
    expect(() => Padding.fromMask(int32([0, 1], [1, 2]))).toThrow(
      'Padding.fromMask: the padding mask must be bool [B, T], got int32 [1,2]',
    );
    expect(() => Padding.fromMask(new Tensor(Uint8Array.from([0, 1]), [2], 'bool'), 'myOp')).toThrow(
      'myOp: the padding mask must be bool [B, T], got bool [2]',
    );
    expect(() => Padding.fromIds(int32([1, 2]), 0)).toThrow(
      'Padding.fromIds: ids must be int32 [B, T], got int32 [2]',
    );
    expect(() => Padding.fromIds(new Tensor(new Float32Array(2), [1, 2]), 0)).toThrow(
      'Padding.fromIds: ids must be int32 [B, T], got float32 [1,2]',
    );
    expect(() => Padding.fromIds(int32([1, 2], [1, 2]), 0.5)).toThrow(
      'Padding.fromIds: padId must be an integer, got 0.5',
    );
  });

  it('paddingMaskFromLengths is the mask Padding.fromLengths gives', () => {
    for (const [lengths, t] of [
      [[2, 0, 3], 3],
      [[1, 2], 4],
      [[0], undefined],
    ] as const) {
      expect(paddingMaskFromLengths(lengths, t).toArray()).toEqual(
        Padding.fromLengths(lengths, t ?? Math.max(0, ...lengths)).mask.toArray(),
      );
    }
  });
});
