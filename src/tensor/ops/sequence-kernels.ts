/**
 * Kernel calls shared by the fused recurrences (gru-sequence.ts, bahdanau-gru-sequence.ts), on raw storage:
 * these ops run a whole time loop inside one autograd node, so their steps call the backend directly instead of
 * building a node (and fresh buffers) per product.
 *
 * Layouts: the GRU cell kernels read gate-major [3, B, H] blocks; a product h·W_hhᵀ with W_hh [3H, H] is one
 * GEMM giving rows [B, 3H] (each row r | z | n). `toGateMajor` / `toRows` move a step's block between the two
 * (98K floats for B = 64, H = 512: noise next to the GEMM that made it, and cheaper than three gate GEMMs).
 * Weight gradients are not formed per step: the ops keep every step's row-layout gradient and input, and one
 * GEMM over all T·B rows gives the sum, instead of T GEMMs with k = B.
 */
import { backend } from './common.js';

/** out [m, n] = op(a) · op(b), a [m, k] (or [k, m] with transA), b [k, n] (or [n, k] with transB). */
export function gemm(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
): void {
  backend().matmul(a, b, out, { batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0 });
}

/** rows [B, 3H] (row stride `stride` ≥ 3H, from `offset`) → gate-major [3, B, H] at dst[dstOffset…]. */
export function toGateMajor(
  rows: Float32Array,
  offset: number,
  stride: number,
  dst: Float32Array,
  dstOffset: number,
  batch: number,
  hidden: number,
): void {
  backend().copy(
    rows,
    offset,
    [hidden, stride, 1],
    dst,
    dstOffset,
    [batch * hidden, hidden, 1],
    [3, batch, hidden],
  );
}

/** gate-major [3, B, H] at src[srcOffset…] → rows [B, 3H] at dst[dstOffset…]. */
export function toRows(
  src: Float32Array,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  batch: number,
  hidden: number,
): void {
  backend().copy(
    src,
    srcOffset,
    [batch * hidden, hidden, 1],
    dst,
    dstOffset,
    [hidden, 3 * hidden, 1],
    [3, batch, hidden],
  );
}

/** out = a + b over n contiguous elements (out may be a or b). */
export function addInto(a: Float32Array, b: Float32Array, out: Float32Array): void {
  backend().binary('add', a, [1], b, [1], out, [out.length]);
}

/** out[i, j] += bias[j] for out [rows, n]. */
export function addBias(out: Float32Array, bias: Float32Array, rows: number, n: number): void {
  backend().binary('add', out, [n, 1], bias, [0, 1], out, [rows, n]);
}

/** Column sums of x [rows, n] into out [n]. */
export function columnSums(x: Float32Array, rows: number, n: number, out: Float32Array): void {
  backend().reduce('sum', x, 1, rows, n, out);
}
