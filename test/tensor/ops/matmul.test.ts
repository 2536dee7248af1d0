import { describe, expect, it } from 'vitest';
import { matmul, tensor, type Tensor } from '../../../src/index.js';
import { expectTensor, randomData, randomTensor } from './helpers.js';

/**
 * C = op(A)·op(B) for one matrix each, by the textbook triple loop in double precision. A is stored [k, m] when
 * transA, B is stored [n, k] when transB.
 */
function naive(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
  transA = false,
  transB = false,
): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a[p * m + i]! : a[i * k + p]!;
        const y = transB ? b[j * k + p]! : b[p * n + j]!;
        s += x * y;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

const slice = (t: Tensor, index: number, size: number) => t.data.subarray(index * size, (index + 1) * size);

describe('matmul', () => {
  it('multiplies a hand-checked 2×3 by 3×2', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tensor([
      [7, 8],
      [9, 10],
      [11, 12],
    ]);
    expect(matmul(a, b).toArray()).toEqual([
      [58, 64],
      [139, 154],
    ]);
    expect(a.matmul(b, { transA: false }).toArray()).toEqual([
      [58, 64],
      [139, 154],
    ]);
  });

  // Sizes cross the kernel's blocking: 4 rows of A per pass, KC = 128 (k), NC = 256 (n).
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 1],
    [4, 4, 4],
    [7, 13, 5],
    [13, 129, 7],
    [5, 257, 3],
    [9, 7, 257],
    [3, 130, 300],
    [129, 13, 1],
    [1, 257, 129],
  ];
  for (const [m, k, n] of sizes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`[${m}×${k}]·[${k}×${n}] with transA=${transA}, transB=${transB} matches the triple loop`, () => {
          const a = randomTensor(m * 1000 + k, transA ? [k, m] : [m, k]);
          const b = randomTensor(n * 1000 + k + 1, transB ? [n, k] : [k, n]);
          const c = matmul(a, b, { transA, transB });
          expectTensor(c, [m, n], naive(a.data, b.data, m, k, n, transA, transB), 1e-5);
        });
      }
    }
  }

  it('k = 0 gives zeros', () => {
    const c = matmul(
      tensor(new Float32Array(0), { shape: [2, 0] }),
      tensor(new Float32Array(0), { shape: [0, 3] }),
    );
    expectTensor(c, [2, 3], [0, 0, 0, 0, 0, 0]);
  });

  it('broadcasts batch axes: full, shared and partial', () => {
    const m = 5;
    const k = 6;
    const n = 7;
    const cases: [number[], number[], number[]][] = [
      [[3], [3], [3]],
      [[], [4], [4]],
      [[4], [], [4]],
      [[2, 1], [3], [2, 3]],
      [
        [2, 1],
        [1, 3],
        [2, 3],
      ],
      [[1], [2, 3], [2, 3]],
      // A's batch axes fold into its rows when B is one matrix (one GEMM over every row).
      [[2, 3], [], [2, 3]],
    ];
    for (const [ba, bb, bc] of cases) {
      for (const [transA, transB] of [
        [false, false],
        [true, true],
        [true, false],
        [false, true],
      ] as const) {
        const a = randomTensor(1, [...ba, ...(transA ? [k, m] : [m, k])]);
        const b = randomTensor(2, [...bb, ...(transB ? [n, k] : [k, n])]);
        const c = matmul(a, b, { transA, transB });
        expect(c.shape).toEqual([...bc, m, n]);
        const batch = bc.reduce((p, d) => p * d, 1);
        // Index of the batch matrix of an operand with batch shape `own` for output batch index `bi`.
        const pick = (own: number[], bi: number) => {
          let rest = bi;
          let flat = 0;
          let stride = 1;
          const full = [...Array(bc.length - own.length).fill(1), ...own];
          for (let ax = bc.length - 1; ax >= 0; ax--) {
            const i = rest % bc[ax]!;
            rest = Math.floor(rest / bc[ax]!);
            flat += (full[ax] === 1 ? 0 : i) * stride;
            stride *= full[ax]!;
          }
          return flat;
        };
        for (let bi = 0; bi < batch; bi++) {
          const want = naive(
            slice(a, pick(ba, bi), m * k),
            slice(b, pick(bb, bi), k * n),
            m,
            k,
            n,
            transA,
            transB,
          );
          const got = slice(c, bi, m * n);
          want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
        }
      }
    }
  });

  it('treats 1-D operands as vectors and drops their axis', () => {
    const v = tensor([1, 2, 3]);
    const w = tensor([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expectTensor(matmul(v, w), [2], [4, 5]);
    expectTensor(matmul(w, tensor([1, 2])), [3], [1, 2, 3]);
    expectTensor(matmul(w, v, { transA: true }), [2], [4, 5]);
    expectTensor(matmul(tensor([[1, 2, 3]]), v), [1], [14]);
    expectTensor(matmul(v, v), [], [14]);
    expectTensor(matmul(v, tensor([[1, 1, 1]]), { transB: true }), [1], [6]);
    // A vector against a batch of matrices, and a batch of matrices against a vector.
    const batch = randomTensor(5, [2, 3, 4]);
    const left = matmul(v, batch);
    expect(left.shape).toEqual([2, 4]);
    for (let b = 0; b < 2; b++) {
      const want = naive(v.data, slice(batch, b, 12), 1, 3, 4);
      want.forEach((x, j) => expect(left.data[b * 4 + j]).toBeCloseTo(x, 5));
    }
    const u = tensor(randomData(6, 4));
    const right = matmul(batch, u);
    expect(right.shape).toEqual([2, 3]);
    for (let b = 0; b < 2; b++) {
      const want = naive(slice(batch, b, 12), u.data, 3, 4, 1);
      want.forEach((x, i) => expect(right.data[b * 3 + i]).toBeCloseTo(x, 5));
    }
  });
});
