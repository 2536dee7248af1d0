/** Finite-difference gradient checks: matmul in all its forms. */
import { describe, it } from 'vitest';
import { add, matmul, softmax, type MatmulOptions, type Shape } from '../../src/index.js';
import { gradcheck, randomInput } from '../helpers/gradcheck.js';

const SEEDS = [1, 2];

/** Logical (untransposed) operand shapes: A is [..., m, k] (or [k]), B is [..., k, n] (or [k]). */
const CASES: [string, Shape, Shape][] = [
  ['2-D', [3, 4], [4, 5]],
  ['2-D with m = n = 1', [1, 4], [4, 1]],
  ['2-D with k = 1', [3, 1], [1, 2]],
  ['batched', [2, 3, 4], [2, 4, 5]],
  ['batched A, shared B', [2, 3, 4], [4, 5]],
  ['two batch axes of A, shared B', [2, 2, 3, 4], [4, 5]],
  ['shared A, batched B', [3, 4], [2, 4, 5]],
  ['batch broadcast [2,1] with [1,3]', [2, 1, 3, 4], [1, 3, 4, 2]],
  ['batch broadcast [2,3] with [3]', [2, 3, 2, 4], [3, 4, 3]],
  ['batch of size 1 with batch', [1, 3, 4], [2, 4, 2]],
  ['vector @ matrix', [4], [4, 5]],
  ['matrix @ vector', [3, 4], [4]],
  ['vector @ vector', [4], [4]],
  ['batched matrix @ vector', [2, 3, 4], [4]],
  ['vector @ batched matrix', [4], [2, 4, 3]],
];

/** The stored shape of an operand whose last two axes are transposed (vectors stay as they are). */
function stored(shape: Shape, trans: boolean): number[] {
  if (!trans || shape.length < 2) return [...shape];
  const s = [...shape];
  [s[s.length - 2], s[s.length - 1]] = [s[s.length - 1]!, s[s.length - 2]!];
  return s;
}

describe('gradcheck: matmul', () => {
  for (const [name, sa, sb] of CASES) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const options: MatmulOptions = { transA, transB };
        it(`${name} ${sa.length}-D @ ${sb.length}-D, transA ${transA}, transB ${transB}`, () => {
          for (const seed of SEEDS) {
            const a = randomInput(stored(sa, transA), seed);
            const b = randomInput(stored(sb, transB), seed + 50);
            gradcheck((x, y) => matmul(x!, y!, options), [a, b]);
            gradcheck((x, y) => matmul(x!, y!, options), [a, b], { wrt: [true, false] });
            gradcheck((x, y) => matmul(x!, y!, options), [a, b], { wrt: [false, true] });
          }
        });
      }
    }
  }

  it('a larger product (blocked kernel, more than four rows)', () => {
    const a = randomInput([2, 9, 6], 3, { scale: 0.5 });
    const b = randomInput([6, 7], 4, { scale: 0.5 });
    gradcheck((x, y) => matmul(x!, y!), [a, b]);
    gradcheck((x, y) => matmul(x!, y!, { transB: true }), [a, randomInput([7, 6], 5, { scale: 0.5 })]);
  });

  it('the same tensor on both sides: x·xᵀ and xᵀ·x', () => {
    const x = randomInput([3, 4], 6);
    gradcheck((t) => matmul(t!, t!, { transB: true }), [x]);
    gradcheck((t) => matmul(t!, t!, { transA: true }), [x]);
  });

  it('scaled dot-product attention composed from ops', () => {
    const q = randomInput([2, 3, 4], 7, { scale: 0.7 });
    const k = randomInput([2, 5, 4], 8, { scale: 0.7 });
    const v = randomInput([2, 5, 4], 9);
    const bias = randomInput([3, 5], 10, { scale: 0.3 });
    gradcheck(
      (Q, K, V, B) => matmul(softmax(add(matmul(Q!, K!, { transB: true }), B!), -1), V!),
      [q, k, v, bias],
    );
  });
});
