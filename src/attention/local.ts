/**
 * Local attention windows (Luong, Pham & Manning 2015). Instead of every source position, query t attends a
 * window [p_t - D, p_t + D] around an aligned position p_t:
 *   local-m (monotonic):  p_t = t
 *   local-p (predictive): p_t = (S - 1) · sigmoid(v_pᵀ tanh(W_p h_t)), and the weights inside the window are
 *                          multiplied by a Gaussian exp(-(s - p_t)² / (2σ²)) with σ = D/2, so that the position
 *                          p_t itself is learned through that factor.
 * (The paper writes S · sigmoid(...) with 1-based positions; with 0-based positions the range is [0, S - 1].)
 */
import { fail } from '../tensor/errors.js';
import { abs, arange, cast, div, exp, gt, mul, reshape, square, sub, unsqueeze } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';

export type LocalKind = 'local-m' | 'local-p';

export interface LocalWindow {
  kind: LocalKind;
  /** D: the window covers 2D + 1 positions. */
  halfWidth: number;
}

export function checkWindow(op: string, window: LocalWindow): void {
  if (window.kind !== 'local-m' && window.kind !== 'local-p') {
    fail(op, `window.kind must be 'local-m' or 'local-p', got ${String(window.kind)}`);
  }
  if (!Number.isInteger(window.halfWidth) || window.halfWidth < 0) {
    fail(op, `window.halfWidth must be a non-negative integer, got ${window.halfWidth}`);
  }
  // p_t is real-valued for local-p: a window [p_t, p_t] almost never holds a key, so every weight would be 0.
  if (window.kind === 'local-p' && window.halfWidth === 0) {
    fail(op, `window.halfWidth must be at least 1 for local-p (a real-valued p_t), got 0`);
  }
}

/** Key positions 0..tk-1 as float32 [1, 1, tk]. */
function keyPositions(tk: number): Tensor {
  return reshape(cast(arange(0, tk), 'float32'), [1, 1, tk]);
}

/** bool [B, Tq, Tk]: true where |s - p_t| > D, i.e. outside the window (centers: float32 [B, Tq]). */
export function outsideWindow(centers: Tensor, tk: number, halfWidth: number): Tensor {
  return gt(abs(sub(keyPositions(tk), unsqueeze(centers, -1))), halfWidth);
}

/** exp(-(s - p_t)² / (2σ²)) with σ = D/2, float32 [B, Tq, Tk]; differentiable in the centers. */
export function gaussianWindow(centers: Tensor, tk: number, halfWidth: number): Tensor {
  const sigma = Math.max(halfWidth, 1e-3) / 2;
  const distance = sub(keyPositions(tk), unsqueeze(centers, -1));
  return exp(div(mul(square(distance), -1), 2 * sigma * sigma));
}
