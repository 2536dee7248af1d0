import type { PackedMatrix } from '../kernels.js';
import type { KernelArgs } from '../kernels.js';

// Cache blocking: a KC×NC panel of B (128×256 floats = 128 KiB) stays in L2 while four rows of A stream over it.
const KC = 128;
const NC = 256;

/**
 * C[b] = op(A[b]) · op(B[b]). Transposed operands are first packed into row-major scratch, so the product itself
 * is always the cache-friendly i-p-j order with four rows of C updated per pass over a row of B.
 */
export function matmul(args: KernelArgs<'matmul'>): void {
  const { a, b, out } = args;
  const { batch, m, n, k, transA, transB, strideA, strideB } = args;
  const packA = transA ? new Float32Array(m * k) : null;
  const packB = transB ? new Float32Array(k * n) : null;
  let packedA = -1;
  let packedB = -1;
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * strideA;
    const bOff = bi * strideB;
    let A = a;
    let aBase = aOff;
    if (packA) {
      if (packedA !== aOff) transposeInto(a, aOff, k, m, packA);
      packedA = aOff;
      A = packA;
      aBase = 0;
    }
    let B = b;
    let bBase = bOff;
    if (packB) {
      if (packedB !== bOff) transposeInto(b, bOff, n, k, packB);
      packedB = bOff;
      B = packB;
      bBase = 0;
    }
    gemmNN(A, aBase, B, bBase, out, bi * m * n, m, n, k);
  }
}

/**
 * A transposed B is transposed once here, as matmul would at every call; the products then run the same loop on
 * the same numbers, so they give matmul's bits.
 */
export function packMatmulB(
  b: Float32Array,
  k: number,
  n: number,
  transB: boolean,
  reuse?: PackedMatrix,
): PackedMatrix {
  if (!transB) return { b, k, n, transB, packedBy: 'js', packed: null };
  const fits = reuse?.packedBy === 'js' && reuse.packed?.length === k * n;
  const packed = fits ? reuse.packed! : new Float32Array(k * n);
  transposeInto(b, 0, n, k, packed);
  return { b, k, n, transB, packedBy: 'js', packed };
}

export function matmulPacked(
  a: Float32Array,
  { b, k, n, transB, packedBy, packed }: PackedMatrix,
  out: Float32Array,
  m: number,
  transA: boolean,
): void {
  const args = { batch: 1, m, n, k, transA, strideA: 0, strideB: 0 };
  if (packed && packedBy === 'js') matmul({ a, b: packed, out, ...args, transB: false });
  else matmul({ a, b, out, ...args, transB });
}

/** dst [cols, rows] = transpose of src [rows, cols] starting at offset. */
function transposeInto(
  src: Float32Array,
  offset: number,
  rows: number,
  cols: number,
  dst: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const s = offset + r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[s + c]!;
  }
}

function gemmNN(
  A: Float32Array,
  aBase: number,
  B: Float32Array,
  bBase: number,
  C: Float32Array,
  cBase: number,
  m: number,
  n: number,
  k: number,
): void {
  C.fill(0, cBase, cBase + m * n);
  if (k === 0) return;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const j1 = Math.min(n, j0 + NC);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const p1 = Math.min(k, p0 + KC);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const c0 = cBase + i * n;
        const c1 = c0 + n;
        const c2 = c1 + n;
        const c3 = c2 + n;
        const a0 = aBase + i * k;
        const a1 = a0 + k;
        const a2 = a1 + k;
        const a3 = a2 + k;
        for (let p = p0; p < p1; p++) {
          const x0 = A[a0 + p]!;
          const x1 = A[a1 + p]!;
          const x2 = A[a2 + p]!;
          const x3 = A[a3 + p]!;
          const bRow = bBase + p * n;
          for (let j = j0; j < j1; j++) {
            const y = B[bRow + j]!;
            C[c0 + j]! += x0 * y;
            C[c1 + j]! += x1 * y;
            C[c2 + j]! += x2 * y;
            C[c3 + j]! += x3 * y;
          }
        }
      }
      for (; i < m; i++) {
        const c0 = cBase + i * n;
        const a0 = aBase + i * k;
        for (let p = p0; p < p1; p++) {
          const x0 = A[a0 + p]!;
          const bRow = bBase + p * n;
          for (let j = j0; j < j1; j++) C[c0 + j]! += x0 * B[bRow + j]!;
        }
      }
    }
  }
}
