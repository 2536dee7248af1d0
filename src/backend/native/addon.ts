/**
 * The functions the compiled addon exports. Each table kernel is one function taking the kernel's fields in
 * table order (src/backend/kernel-table.ts), as the generated glue (native/generated/, written by
 * scripts/gen-native-glue.mjs) reads them: arrays as typed arrays or null, enums as their index in the table's
 * value list (after 0 for null when nullable), a layout as its strides flattened set by set (batch, head, row)
 * or undefined. The glue checks every array's type and length against the table's rules and throws a TypeError
 * or RangeError naming the kernel and argument otherwise.
 */
import type { KernelName } from '../kernel-table.js';

/** A table kernel's native entry point: the fields in table order. */
export type NativeKernel = (...fields: unknown[]) => void;

export type NativeAddon = { readonly [N in KernelName]?: NativeKernel } & {
  /**
   * simd: 'avx512f+avx2+fma' (the GEMM micro-kernel and the short-key attention tile on AVX-512, the rest on
   * AVX2), 'avx2+fma' or 'portable'; portableReason: why the portable kernels run ('ATTN_NO_SIMD', 'forced' by
   * setPortableOnly, 'cpu' without AVX2+FMA), '' when they do not.
   */
  info(): { threads: number; simd: string; portableReason: string };
  /** Forces the portable (non-SIMD) kernels, or gives the choice back to CPU detection; for tests. */
  setPortableOnly(portable: boolean): void;
  /** Forces the AVX2 kernels on an AVX-512 machine, or gives the choice back to CPU detection; for tests. */
  setAvx512Off(off: boolean): void;
  /**
   * Kernels whose bits for a row do not depend on the rows computed beside it or the masked padding after it
   * (the tiled product for few rows, softmax summed in order), or the default faster paths; for the calling
   * JS thread (each worker_thread chooses for itself).
   */
  setBatchInvariant(on: boolean): void;
  /** The length of the Float32Array that packB fills for op(B) [k×n]. */
  packedBFloats(k: number, n: number): number;
  packB(b: Float32Array, k: number, n: number, transB: boolean, packed: Float32Array): void;
  /** matmul with batch 1 and B also given as packB packed it (same shape and transB). */
  matmulPrepacked(
    a: Float32Array,
    b: Float32Array,
    packed: Float32Array,
    out: Float32Array,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
  ): void;
};
