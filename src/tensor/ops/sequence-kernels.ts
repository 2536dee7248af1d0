/**
 * Kernel calls shared by the fused recurrences (gru-sequence.ts, bahdanau-gru-sequence.ts), on raw storage:
 * these ops run a whole time loop inside one autograd node, so their steps call the backend directly instead of
 * building a node (and fresh buffers) per product.
 *
 * Layout: a product h·W_hhᵀ with W_hh [3H, H] is one GEMM giving rows [B, 3H] (each row r | z | n); the GRU cell
 * kernels read that layout directly (CellArgs.rows), so no step copies its gates into gate-major blocks.
 * Weight gradients are not formed per step: the ops keep every step's row-layout gradient and input, and one
 * GEMM over all T·B rows gives the sum, instead of T GEMMs with k = B.
 */
import { uninitialisedFloats } from '../storage.js';
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

/**
 * w [rows, cols] → wᵀ [cols, rows], for the backward products dx = dy · W of every step: the GEMM runs that
 * product ~15% faster with W stored transposed (B read [n, k]) at these shapes, and one transpose per backward
 * pass costs less than the time it saves over T steps.
 */
export function transposed(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = uninitialisedFloats(rows * cols);
  backend().copy(w, 0, [1, cols], out, 0, [rows, 1], [cols, rows]);
  return out;
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
