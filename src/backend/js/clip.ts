/**
 * The kernels of clipGradNorm's p = 2 norm (see sumOfSquares and scaleInPlace in ../kernel-table.ts): a
 * sequential float64 sum of squares and a float64 scaling, the loops src/optim/clip.ts ran before they became
 * kernels.
 */
import type { KernelArgs } from '../kernels.js';

export function sumOfSquares(args: KernelArgs<'sumOfSquares'>): void {
  const { x } = args;
  // The running sum is one float64 stored in the two int32 words of `sum`.
  const acc = new Float64Array(args.sum.buffer, args.sum.byteOffset, 1);
  let sum = acc[0]!;
  for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
  acc[0] = sum;
}

export function scaleInPlace(args: KernelArgs<'scaleInPlace'>): void {
  const { x, factor } = args;
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * factor;
}
