/**
 * Kernel calls shared by the fused recurrences (gru-sequence.ts, bahdanau-gru-sequence.ts, luong-gru-sequence.ts),
 * on raw storage: these ops run a whole time loop inside one autograd node, so their steps call the backend
 * directly instead of building a node (and fresh buffers) per product.
 *
 * Layout: a product h·W_hhᵀ with W_hh [3H, H] is one GEMM giving rows [B, 3H] (each row r | z | n); the GRU cell
 * kernels read that layout directly (CellArgs.rows), so no step copies its gates into gate-major blocks.
 * Weight gradients are not formed per step: the ops keep every step's row-layout gradient and input, and one
 * GEMM over all T·B rows gives the sum, instead of T GEMMs with k = B. A weight that multiplies a new state at
 * every step is prepared for the backend's GEMM once per pass (packRhs), not at every step's product.
 */
import type { PackedMatrix } from '../backend/kernels.js';
import { backend } from '../tensor/ops/common.js';
import { uninitialisedFloats } from '../tensor/storage.js';

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
  backend().matmul({ a, b, out, batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0 });
}

/**
 * The packed copies of each weight (one per layout), reused by the next pass over the same weight: a loop uses
 * its packed weights only until it ends, and JavaScript runs one loop at a time, so a later pass may overwrite
 * them. Packing into a fresh 3 MiB buffer at every pass cost 1-1.5 ms of page faults, three times the packing.
 * Held weakly: a weight's copies go when the weight does.
 */
const packs = new WeakMap<Float32Array, PackedMatrix[]>();

/**
 * op(w) [k, n] (w stored [n, k] when transB) prepared for gemmPacked: the native GEMM packs it into its
 * micro-kernel panels here, once, instead of in every step's product (for a 64-row step, packing a 1536×512
 * weight costs about a quarter of the product). Forward products read W_hh as h·W_hhᵀ (transB), backward ones
 * as dy·W; both pack to the same panels, so neither needs a transposed copy.
 */
export function packRhs(w: Float32Array, k: number, n: number, transB: boolean): PackedMatrix {
  const kept = packs.get(w) ?? [];
  const i = kept.findIndex((p) => p.k === k && p.n === n && p.transB === transB);
  const reuse = i >= 0 ? kept[i] : spares.pop();
  const packed = backend().packMatmulB(w, k, n, transB, reuse);
  if (i >= 0) kept[i] = packed;
  else kept.push(packed);
  packs.set(w, kept);
  return packed;
}

/**
 * Packed copies whose weight lives for one pass only (a column block of W_ih that a fused op receives as a
 * fresh copy each forward pass): releasePacks hands their storage to the next packRhs of a weight seen for the
 * first time, which would otherwise allocate 3 MiB and leave the old copy for the collector at every pass.
 */
const spares: PackedMatrix[] = [];

/** Gives back the packed copies of `w`, a weight that no loop will multiply by again. */
export function releasePacks(w: Float32Array): void {
  const kept = packs.get(w);
  if (!kept) return;
  packs.delete(w);
  spares.push(...kept);
  if (spares.length > 8) spares.splice(0, spares.length - 8);
}

/** out [m, n] = a [m, k] · op(W) for a W that packRhs prepared; the same values as gemm. */
export function gemmPacked(a: Float32Array, w: PackedMatrix, out: Float32Array, m: number): void {
  backend().matmulPacked(a, w, out, m, false);
}

/** out = a + b over n contiguous elements (out may be a or b). */
export function addInto(a: Float32Array, b: Float32Array, out: Float32Array): void {
  backend().binary({ op: 'add', a, aStrides: [1], b, bStrides: [1], out, shape: [out.length] });
}

/** out[i, j] += bias[j] for out [rows, n]. */
export function addBias(out: Float32Array, bias: Float32Array, rows: number, n: number): void {
  backend().binary({ op: 'add', a: out, aStrides: [n, 1], b: bias, bStrides: [0, 1], out, shape: [rows, n] });
}

/** Column sums of x [rows, n] into out [n] (a bias gradient: the row-streaming pass of linearActGrad). */
export function columnSums(x: Float32Array, rows: number, n: number, out: Float32Array): void {
  backend().linearActGrad({ y: x, g: x, rows, n, activation: null, dPre: null, biasGrad: out });
}

/** Step t's block of a time-major buffer of blocks of `size`. */
export function block(a: Float32Array, t: number, size: number): Float32Array {
  return a.subarray(t * size, (t + 1) * size);
}

/**
 * A batch-first [B, T, C] copy of time-major rows [T, B, C] (row r of step t at offset + (t·B + r)·rowStride,
 * its C values contiguous): how the fused recurrences hand their per-step buffers out as outputs.
 */
export function batchFirstRows(
  src: Float32Array,
  steps: number,
  batch: number,
  cols: number,
  rowStride = cols,
  offset = 0,
): Float32Array {
  const dst = uninitialisedFloats(batch * steps * cols);
  backend().copy({
    src,
    srcOffset: offset,
    srcStrides: [rowStride, batch * rowStride, 1],
    dst,
    dstOffset: 0,
    dstStrides: [steps * cols, cols, 1],
    shape: [batch, steps, cols],
  });
  return dst;
}

/**
 * A time-major [T, B, C] copy of a batch-first output's gradient [B, T, C]; null (no gradient) stays null. Both
 * copies swap the two leading axes, so this is batchFirstRows read with B and T exchanged.
 */
export function timeMajorRows(
  src: Float32Array | null,
  steps: number,
  batch: number,
  cols: number,
): Float32Array | null {
  return src === null ? null : batchFirstRows(src, batch, steps, cols);
}
