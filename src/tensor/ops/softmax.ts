/** softmax and log-softmax along one axis. */
import { axisView, normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { backend, floatData, newFloatOverwritten, record } from './common.js';

/**
 * softmax(x)_i = exp(x_i) / Σ_j exp(x_j) along `axis`, computed shifted by the maximum. A slice that is all -∞
 * (every position masked) gives zeros rather than NaN.
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp('softmax', x, axis, false);
}

/** log-softmax(x)_i = x_i - log Σ_j exp(x_j) along `axis`. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp('logSoftmax', x, axis, true);
}

function softmaxOp(op: string, x: Tensor, axis: number, log: boolean): Tensor {
  const xd = floatData(op, x, 'input');
  const a = normalizeAxis(op, axis, Math.max(1, x.ndim));
  const { outer, n, inner } = axisView(x.ndim === 0 ? [1] : x.shape, a);
  const { data: yd, tensor: y } = newFloatOverwritten(x.shape);
  backend().softmax({ x: xd, outer, n, inner, log, out: yd });
  return record(op, y, [x], (g) => {
    const { data: dx, tensor } = newFloatOverwritten(x.shape);
    backend().softmaxGrad({ y: yd, dy: g.data as Float32Array, outer, n, inner, log, dx });
    return [tensor];
  });
}
