/**
 * Gradient clipping, in place on the parameters' `.grad`, as `torch.nn.utils.clip_grad_norm_` and
 * `clip_grad_value_`. Parameters whose gradient is null are ignored.
 */
import { getBackend } from '../backend/registry.js';
import { fail } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

/** The p = 2 running sum: one float64, whose bytes the kernel reads and writes as two int32 words. */
const runningSum = new Float64Array(1);
const runningSumWords = new Int32Array(runningSum.buffer);

export interface ClipGradNormOptions {
  /** Throw if the total norm is NaN or infinite, instead of scaling by it; default false. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales all gradients together so that their total norm is at most `maxNorm`, and returns the total norm before
 * clipping:
 *
 * ```
 * total = (Σ over every gradient element g of |g|^p)^(1/p)      (max |g| for p = Infinity)
 * g ← g · maxNorm / (total + 1e-6)    when that factor is below 1
 * ```
 *
 * The sum is accumulated in float64. As in PyTorch, the 1e-6 keeps the division finite and means that a total
 * just at `maxNorm` is scaled by a factor a hair below 1.
 */
export function clipGradNorm(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): number {
  const op = 'clipGradNorm';
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm) || maxNorm < 0) {
    fail(op, `maxNorm must be a number >= 0, got ${String(maxNorm)}`);
  }
  if (typeof normType !== 'number' || !(normType > 0)) {
    fail(op, `normType must be a number > 0 or Infinity, got ${String(normType)}`);
  }
  const grads = gradientsOf(op, parameters);
  if (grads.length === 0) return 0;
  let total = 0;
  if (normType === Infinity) {
    for (const g of grads) {
      for (let i = 0; i < g.length; i++) {
        const a = Math.abs(g[i]!);
        if (a > total || Number.isNaN(a)) total = a;
        if (Number.isNaN(total)) break;
      }
    }
  } else if (normType === 2) {
    // The sumOfSquares kernel: Σ g[i]² in float64 (sixteen partial sums per gradient), carried from one gradient
    // to the next.
    runningSum[0] = 0;
    for (const g of grads) getBackend().sumOfSquares({ x: g, sum: runningSumWords });
    total = Math.sqrt(runningSum[0]!);
  } else {
    let sum = 0;
    for (const g of grads) {
      if (normType === 1) for (let i = 0; i < g.length; i++) sum += Math.abs(g[i]!);
      else for (let i = 0; i < g.length; i++) sum += Math.abs(g[i]!) ** normType;
    }
    total = normType === 1 ? sum : sum ** (1 / normType);
  }
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    fail(op, `the total norm of order ${normType} of the gradients is ${total}, so they cannot be clipped`);
  }
  const coef = maxNorm / (total + 1e-6);
  // NaN total: PyTorch clamps the NaN factor to NaN and multiplies, making every gradient NaN; do the same.
  if (coef < 1 || Number.isNaN(coef)) {
    // g[i] = float32(g[i] · coef), the product in float64 (scaleInPlace).
    for (const g of grads) getBackend().scaleInPlace({ x: g, factor: coef });
  }
  return total;
}

/** Clamps every gradient element to [−clipValue, clipValue], in place. */
export function clipGradValue(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  const op = 'clipGradValue';
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue) || clipValue < 0) {
    fail(op, `clipValue must be a number >= 0, got ${String(clipValue)}`);
  }
  for (const g of gradientsOf(op, parameters)) {
    for (let i = 0; i < g.length; i++) {
      const v = g[i]!;
      if (v > clipValue) g[i] = clipValue;
      else if (v < -clipValue) g[i] = -clipValue;
    }
  }
}

function gradientsOf(op: string, parameters: Tensor | Iterable<Tensor>): Float32Array[] {
  const list = parameters instanceof Tensor ? [parameters] : [...parameters];
  const grads: Float32Array[] = [];
  for (const p of list) {
    if (!(p instanceof Tensor)) fail(op, 'parameters must be Tensors');
    if (p.grad === null) continue;
    if (p.grad.dtype !== 'float32') fail(op, `gradients must be float32, got ${p.grad.dtype}`);
    grads.push(p.grad.data as Float32Array);
  }
  return grads;
}
