/** Finite-difference gradient checks: ops that move data (reshape, permute, slice, concat, ...) and indexing. */
import { describe, expect, it } from 'vitest';
import {
  concat,
  embedding,
  expand,
  flatten,
  gather,
  indexSelect,
  mul,
  permute,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  tensor,
  transpose,
  unsqueeze,
  type Tensor,
} from '../../src/index.js';
import {
  analyticGradients,
  expectGradClose,
  gradcheck,
  numericGradients,
  randomInput,
} from '../helpers/gradcheck.js';

const SEEDS = [1, 2];

function ids(values: number[], shape: number[]): Tensor {
  return tensor(Int32Array.from(values), { shape });
}

describe('gradcheck: shape ops', () => {
  for (const seed of SEEDS) {
    const x = randomInput([2, 3, 4], seed);
    it(`reshape, seed ${seed}`, () => {
      gradcheck((t) => reshape(t!, [4, -1]), [x]);
      gradcheck((t) => reshape(t!, [24]), [x]);
      gradcheck((t) => reshape(t!, [2, 3, 4]), [x]);
      gradcheck((t) => reshape(t!, [1, 6, 1, 4]), [x]);
      gradcheck((t) => reshape(t!, []), [randomInput([1, 1], seed)]);
    });
    it(`flatten, seed ${seed}`, () => {
      gradcheck((t) => flatten(t!), [x]);
      gradcheck((t) => flatten(t!, 1), [x]);
      gradcheck((t) => flatten(t!, 0, 1), [x]);
      gradcheck((t) => flatten(t!, -2, -1), [x]);
      gradcheck((t) => flatten(t!), [randomInput([], seed)]);
    });
    it(`permute, seed ${seed}`, () => {
      for (const axes of [
        [2, 0, 1],
        [1, 2, 0],
        [0, 2, 1],
        [2, 1, 0],
        [0, 1, 2],
        [-1, 0, -2],
      ]) {
        gradcheck((t) => permute(t!, axes), [x]);
      }
      gradcheck((t) => permute(t!, [3, 1, 0, 2]), [randomInput([2, 1, 3, 2], seed)]);
      // Only the size-1 axis moves: the storage-sharing path.
      gradcheck((t) => permute(t!, [0, 2, 1, 3]), [randomInput([2, 1, 3, 2], seed)]);
    });
    it(`transpose, seed ${seed}`, () => {
      gradcheck((t) => transpose(t!), [x]);
      gradcheck((t) => transpose(t!, 0, 2), [x]);
      gradcheck((t) => transpose(t!, -3, 1), [x]);
      gradcheck((t) => transpose(t!, 1, 1), [x]);
    });
    it(`squeeze and unsqueeze, seed ${seed}`, () => {
      const y = randomInput([1, 3, 1, 2], seed);
      gradcheck((t) => squeeze(t!), [y]);
      gradcheck((t) => squeeze(t!, 0), [y]);
      gradcheck((t) => squeeze(t!, [-2, 0]), [y]);
      for (const axis of [0, 1, 3, -1, -4]) gradcheck((t) => unsqueeze(t!, axis), [x]);
      gradcheck((t) => unsqueeze(t!, 0), [randomInput([], seed)]);
    });
    it(`expand, seed ${seed}`, () => {
      gradcheck((t) => expand(t!, [2, 3, 4]), [randomInput([3, 1], seed)]);
      gradcheck((t) => expand(t!, [2, -1, 4]), [randomInput([3, 1], seed)]);
      gradcheck((t) => expand(t!, [2, 3, 4]), [randomInput([1, 1, 4], seed)]);
      gradcheck((t) => expand(t!, [5]), [randomInput([], seed)]);
      gradcheck((t) => expand(t!, [2, 3, 4]), [x]);
    });
    it(`slice with positive and negative indices, seed ${seed}`, () => {
      gradcheck((t) => slice(t!, 1, 1), [x]);
      gradcheck((t) => slice(t!, 1, 0, 2), [x]);
      gradcheck((t) => slice(t!, -1, -3, -1), [x]);
      gradcheck((t) => slice(t!, 2, 1, 100), [x]);
      gradcheck((t) => slice(t!, 0, -1), [x]);
      gradcheck((t) => slice(t!, 2, -10, 2), [x]);
      gradcheck((t) => slice(t!, 0, 0), [x]);
      gradcheck((t) => slice(t!, 1, 2, 2), [x]);
    });
    it(`concat, seed ${seed}`, () => {
      const a = randomInput([2, 1, 4], seed);
      const b = randomInput([2, 3, 4], seed + 1);
      const c = randomInput([2, 2, 4], seed + 2);
      gradcheck((p, q, r) => concat([p!, q!, r!], 1), [a, b, c]);
      gradcheck((p, q, r) => concat([p!, q!, r!], -2), [a, b, c], { wrt: [true, false, true] });
      gradcheck((p, q) => concat([p!, q!], 0), [b, randomInput([1, 3, 4], seed + 3)]);
      gradcheck((p, q) => concat([p!, q!], 2), [b, randomInput([2, 3, 1], seed + 4)]);
      gradcheck((p) => concat([p!], 0), [b]);
      gradcheck((p) => concat([p!, p!], 1), [b]);
    });
    it(`stack, seed ${seed}`, () => {
      const a = randomInput([3, 2], seed);
      const b = randomInput([3, 2], seed + 1);
      for (const axis of [0, 1, 2, -1, -3]) gradcheck((p, q) => stack([p!, q!], axis), [a, b]);
      gradcheck((p, q) => stack([p!, q!, p!], 1), [a, b], { wrt: [false, true] });
    });
    it(`split, seed ${seed}`, () => {
      const y = randomInput([5, 3], seed);
      gradcheck((t) => split(t!, 2), [y]);
      gradcheck((t) => split(t!, 2, 1), [y]);
      gradcheck((t) => split(t!, [1, 0, 4]), [y]);
      gradcheck((t) => split(t!, [2, 1], -1), [y]);
      gradcheck((t) => split(t!, [1, 2], 1), [randomInput([2, 3, 4], seed + 1)]);
      // Only some pieces used: the others contribute nothing.
      gradcheck((t) => split(t!, 2)[1]!, [y]);
    });
  }
});

describe('gradcheck: indexing', () => {
  for (const seed of SEEDS) {
    const x = randomInput([3, 4, 2], seed);
    it(`gather along every axis, with repeated indices, seed ${seed}`, () => {
      gradcheck((t) => gather(t!, 0, ids([0, 2, 2, 1, 0, 0, 1, 1, 2, 2, 2, 0, 1, 1, 0, 0], [2, 4, 2])), [x]);
      gradcheck(
        (t) => gather(t!, 1, ids([3, 3, 0, 1, 2, 2, 0, 0, 1, 3, 3, 3, 1, 1, 2, 0, 0, 0], [3, 3, 2])),
        [x],
      );
      gradcheck((t) => gather(t!, -1, ids([1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0], [3, 4, 1])), [x]);
      gradcheck((t) => gather(t!, 1, ids([0, 1, 2, 3, 3, 2], [2, 3])), [randomInput([2, 4], seed)]);
    });
    it(`indexSelect along every axis, with repeated indices, seed ${seed}`, () => {
      gradcheck((t) => indexSelect(t!, 0, ids([2, 0, 2, 2], [4])), [x]);
      gradcheck((t) => indexSelect(t!, 1, ids([1, 1, 3], [3])), [x]);
      gradcheck((t) => indexSelect(t!, -1, ids([1, 0, 1], [3])), [x]);
      gradcheck((t) => indexSelect(t!, 0, ids([], [0])), [x]);
    });
    it(`embedding with repeated ids, seed ${seed}`, () => {
      const w = randomInput([5, 3], seed);
      gradcheck((t) => embedding(t!, ids([4, 1, 1, 0, 4, 4], [2, 3])), [w]);
      gradcheck((t) => embedding(t!, ids([2, 2], [2])), [w]);
      gradcheck((t) => embedding(t!, ids([3], [])), [w]);
    });
    for (const paddingIdx of [1, -1]) {
      it(`embedding with paddingIdx ${paddingIdx}: that row gets zero gradient, seed ${seed}`, () => {
        const w = randomInput([5, 3], seed);
        const pad = (paddingIdx + 5) % 5;
        const lookup = ids([pad, 2, pad, 0, 2, 3], [3, 2]);
        const fn = (t: Tensor) => mul(embedding(t, lookup, paddingIdx), 2);
        const [analytic] = analyticGradients((t) => fn(t!), [w]);
        const [numeric] = numericGradients((t) => fn(t!), [w]);
        expect(Array.from(analytic!.subarray(pad * 3, pad * 3 + 3))).toEqual([0, 0, 0]);
        // The padding row is read in the forward pass, so its finite difference is not zero; every other row
        // must match it.
        expect(Array.from(numeric!.subarray(pad * 3, pad * 3 + 3)).some((v) => Math.abs(v) > 1e-2)).toBe(
          true,
        );
        numeric!.fill(0, pad * 3, pad * 3 + 3);
        expectGradClose(analytic!, numeric!, 'embedding weight');
      });
    }
  }
});
