/**
 * The optimiser kernels: the reference Adam/AdamW update (see the adam kernel in ../kernel-table.ts).
 *
 * float32 arithmetic, one rounding per operation, in the order of PyTorch's single-tensor Adam on float32
 * tensors: every product, sum, quotient and square root below is rounded to float (Math.fround), and the
 * scalars are rounded to float first, as PyTorch's kernels take them. Rounding an exact-in-double result of
 * two floats to float gives the float operation's own result, so the native backend's float kernel has the
 * same bits.
 */
import type { KernelArgs } from '../kernels.js';

const f = Math.fround;

export function adam(args: KernelArgs<'adam'>): void {
  const { p, g, m, v, vMax } = args;
  const beta1 = f(args.beta1);
  const c1 = f(1 - args.beta1);
  const beta2 = f(args.beta2);
  const c2 = f(1 - args.beta2);
  const stepSize = f(args.stepSize);
  const bc2 = f(args.biasCorrection2Sqrt);
  const eps = f(args.eps);
  const l2 = f(args.l2);
  const decay = f(args.decay);
  const sign = f(args.sign);
  const n = p.length;
  for (let i = 0; i < n; i++) {
    let grad = f(sign * g[i]!);
    if (l2 !== 0) grad = f(grad + f(l2 * p[i]!));
    const mi = f(f(beta1 * m[i]!) + f(c1 * grad));
    const vi = f(f(beta2 * v[i]!) + f(f(c2 * grad) * grad));
    m[i] = mi;
    v[i] = vi;
    let second = vi;
    if (vMax !== null) {
      if (second > vMax[i]!) vMax[i] = second;
      else second = vMax[i]!;
    }
    const denom = f(f(f(Math.sqrt(second)) / bc2) + eps);
    p[i] = f(f(p[i]! * decay) - f(f(stepSize * mi) / denom));
  }
}
