import { describe, expect, it } from 'vitest';
import { embedding, gather, indexSelect, oneHot, tensor } from '../../../src/index.js';
import { expectTensor, randomTensor } from './helpers.js';

const int = (values: number[] | number[][] | number[][][]) => tensor(values, { dtype: 'int32' });

describe('gather', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it('picks along axis 1 and axis 0 (torch.gather)', () => {
    expectTensor(
      gather(
        x,
        1,
        int([
          [2, 0],
          [1, 1],
        ]),
      ),
      [2, 2],
      [3, 1, 5, 5],
    );
    expectTensor(gather(x, -1, int([[0], [2]])), [2, 1], [1, 6]);
    expectTensor(gather(x, 0, int([[1, 0, 1]])), [1, 3], [4, 2, 6]);
    expectTensor(
      gather(
        x,
        0,
        int([
          [1, 1, 0],
          [0, 1, 1],
          [1, 0, 0],
        ]),
      ),
      [3, 3],
      [4, 5, 3, 1, 5, 6, 4, 2, 3],
    );
  });

  it('along the middle axis of a 3-D tensor matches the definition', () => {
    const t = randomTensor(4, [2, 4, 3]);
    const index = int([
      [
        [3, 0, 1],
        [2, 2, 0],
      ],
      [
        [0, 1, 3],
        [1, 3, 2],
      ],
    ]);
    const y = gather(t, 1, index);
    expect(y.shape).toEqual([2, 2, 3]);
    for (let o = 0; o < 2; o++)
      for (let j = 0; j < 2; j++)
        for (let i = 0; i < 3; i++)
          expect(y.data[o * 6 + j * 3 + i]).toBe(t.data[o * 12 + index.data[o * 6 + j * 3 + i]! * 3 + i]);
  });

  it('keeps an int32 dtype', () => {
    expectTensor(gather(int([[10, 20, 30]]), 1, int([[2, 2]])), [1, 2], [30, 30], 0, 'int32');
  });
});

describe('indexSelect', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it('selects whole rows or columns, repeats allowed', () => {
    expectTensor(indexSelect(x, 0, int([1, 1, 0])), [3, 3], [4, 5, 6, 4, 5, 6, 1, 2, 3]);
    expectTensor(indexSelect(x, 1, int([2, 0])), [2, 2], [3, 1, 6, 4]);
    expectTensor(indexSelect(x, -1, int([])), [2, 0], []);
    const t = randomTensor(8, [2, 3, 4]);
    const y = indexSelect(t, 1, int([2, 0]));
    expect(y.shape).toEqual([2, 2, 4]);
    expect(Array.from(y.data.subarray(0, 4))).toEqual(Array.from(t.data.subarray(8, 12)));
    expect(Array.from(y.data.subarray(12, 16))).toEqual(Array.from(t.data.subarray(12, 16)));
  });

  it('works on int32 and bool tensors', () => {
    expectTensor(indexSelect(int([7, 8, 9]), 0, int([2, 0])), [2], [9, 7], 0, 'int32');
    const mask = tensor([1, 0, 1], { dtype: 'bool' });
    expectTensor(indexSelect(mask, 0, int([1, 2])), [2], [0, 1], 0, 'bool');
  });
});

describe('embedding', () => {
  const weight = tensor([
    [0, 0.5],
    [1, 1.5],
    [2, 2.5],
  ]);
  it('looks up rows for ids of any shape', () => {
    expectTensor(embedding(weight, int([2, 0])), [2, 2], [2, 2.5, 0, 0.5]);
    expectTensor(
      embedding(
        weight,
        int([
          [1, 2],
          [0, 1],
        ]),
      ),
      [2, 2, 2],
      [1, 1.5, 2, 2.5, 0, 0.5, 1, 1.5],
    );
    expectTensor(embedding(weight, tensor(1, { dtype: 'int32' })), [2], [1, 1.5]);
    expectTensor(embedding(weight, int([0, 1]), 0), [2, 2], [0, 0.5, 1, 1.5]);
  });
});

describe('oneHot', () => {
  it('encodes int32 ids as int32 or float32', () => {
    expectTensor(oneHot(int([2, 0, 1]), 3), [3, 3], [0, 0, 1, 1, 0, 0, 0, 1, 0], 0, 'int32');
    expectTensor(oneHot(int([[1], [3]]), 4, 'float32'), [2, 1, 4], [0, 1, 0, 0, 0, 0, 0, 1]);
    expectTensor(oneHot(tensor(0, { dtype: 'int32' }), 2), [2], [1, 0], 0, 'int32');
  });
});
