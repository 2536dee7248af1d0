/**
 * sparsemax (Martins & Astudillo, 2016), 1.5-entmax and α-entmax (Peters, Niculae & Martins, 2019) along one axis.
 */
import { axisView, normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fail } from '../errors.js';
import { backend, floatData, newFloat, record } from './common.js';

/**
 * sparsemax(x) = argmin_{p ∈ Δ} ‖p - x‖² along `axis`: the Euclidean projection onto the probability simplex,
 *
 *   sparsemax(x)_i = max(x_i - τ, 0),  τ = (Σ_{j≤k} x_(j) - 1) / k,
 *   k = max{ k : 1 + k·x_(k) > Σ_{j≤k} x_(j) }  over x sorted descending.
 *
 * Like softmax it sums to 1 along the axis, but small entries get weight exactly 0. Entries equal to -∞
 * (masked) get exactly 0, and a slice that is all -∞ gives zeros rather than NaN.
 *
 * Gradient: with S the support (outputs > 0), dx_i = [i ∈ S] · (g_i - mean_{j∈S} g_j).
 */
export function sparsemax(x: Tensor, axis = -1): Tensor {
  return simplexOp('sparsemax', x, axis);
}

/**
 * 1.5-entmax along `axis`: between softmax and sparsemax, sparse but smooth on its support,
 *
 *   entmax15(x)_i = max(x_i/2 − τ, 0)²,  τ such that the slice sums to 1
 *
 * (found exactly by sorting; see the entmax15 kernel). Entries equal to -∞ get exactly 0, and a slice that is all
 * -∞ gives zeros. Gradient: with s = √y, dx = s ⊙ g − s · (Σ s ⊙ g) / (Σ s).
 */
export function entmax15(x: Tensor, axis = -1): Tensor {
  return simplexOp('entmax15', x, axis);
}

/**
 * α-entmax along `axis`, for any α > 1 (Peters, Niculae & Martins, 2019):
 *
 *   entmax_α(x)_i = [(α − 1)x_i − τ]_+^{1/(α−1)},  τ such that the slice sums to 1
 *
 * (τ found by bisection; see the entmaxBisect kernel). α = 2 is sparsemax, α = 1.5 is entmax15 (which finds τ
 * exactly by sorting), and α → 1 approaches softmax; the larger α, the sparser the weights. Entries equal to -∞
 * get exactly 0, and a slice that is all -∞ gives zeros. Gradient: with s = y^{2−α} on the support (0 off it),
 * dx = s ⊙ g − s · (Σ s ⊙ g) / (Σ s).
 */
export function entmaxBisect(x: Tensor, alpha: number, axis = -1): Tensor {
  const op = 'entmaxBisect';
  checkAlpha(op, alpha);
  const xd = floatData(op, x, 'input');
  const a = normalizeAxis(op, axis, Math.max(1, x.ndim));
  const { outer, n, inner } = axisView(x.ndim === 0 ? [1] : x.shape, a);
  const { data: yd, tensor: y } = newFloat(x.shape);
  backend().entmaxBisect({ x: xd, outer, n, inner, alpha, out: yd });
  return record(op, y, [x], (g) => {
    const { data: dx, tensor } = newFloat(x.shape);
    backend().entmaxBisectGrad({ y: yd, dy: g.data as Float32Array, outer, n, inner, alpha, dx });
    return [tensor];
  });
}

/** α must be a finite number above 1 (α = 1 is softmax, which has no threshold to bisect). */
export function checkAlpha(op: string, alpha: unknown): number {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || !(alpha > 1))
    fail(op, `alpha must be a finite number greater than 1, got ${String(alpha)}`);
  return alpha;
}

/** x viewed as [outer, n, inner] along `axis`, the kernel `op` and its gradient kernel `${op}Grad`. */
function simplexOp(op: 'sparsemax' | 'entmax15', x: Tensor, axis: number): Tensor {
  const xd = floatData(op, x, 'input');
  const a = normalizeAxis(op, axis, Math.max(1, x.ndim));
  const { outer, n, inner } = axisView(x.ndim === 0 ? [1] : x.shape, a);
  const { data: yd, tensor: y } = newFloat(x.shape);
  const be = backend();
  be[op]({ x: xd, outer, n, inner, out: yd });
  return record(op, y, [x], (g) => {
    const { data: dx, tensor } = newFloat(x.shape);
    const args = { y: yd, dy: g.data as Float32Array, outer, n, inner, dx };
    if (op === 'sparsemax') backend().sparsemaxGrad(args);
    else backend().entmax15Grad(args);
    return [tensor];
  });
}
