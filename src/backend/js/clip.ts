/**
 * The kernels of clipGradNorm's p = 2 norm (see sumOfSquares and scaleInPlace in ../kernel-table.ts): a float64
 * sum of squares in sixteen partial sums, and a float64 scaling.
 */
import type { KernelArgs } from '../kernels.js';

/** Partial sums of the squares (see the kernel table): element i goes to partial i mod 16. */
const PARTIALS = 16;
const parts = new Float64Array(PARTIALS);

export function sumOfSquares(args: KernelArgs<'sumOfSquares'>): void {
  const { x } = args;
  // The running sum is one float64 stored in the two int32 words of `sum`.
  const acc = new Float64Array(args.sum.buffer, args.sum.byteOffset, 1);
  parts.fill(0);
  for (let i = 0; i < x.length; i++) parts[i & (PARTIALS - 1)]! += x[i]! * x[i]!;
  let total = 0;
  for (let j = 0; j < PARTIALS; j++) total += parts[j]!;
  acc[0] = acc[0]! + total;
}

export function scaleInPlace(args: KernelArgs<'scaleInPlace'>): void {
  const { x, factor } = args;
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * factor;
}
