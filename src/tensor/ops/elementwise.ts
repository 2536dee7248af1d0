/** Elementwise functions of one tensor. Each kernel has a matching derivative kernel (see backend/kernel-table.ts). */
import type { UnaryOp } from '../../backend/kernels.js';
import { fail } from '../errors.js';
import { Tensor } from '../tensor.js';
import { backend, floatData, newFloat, newFloatOverwritten, record } from './common.js';

function unaryOp(op: UnaryOp, x: Tensor): Tensor {
  const xd = floatData(op, x, 'input');
  const { data: yd, tensor: y } = newFloatOverwritten(x.shape);
  backend().unary({ op, x: xd, out: yd });
  return record(op, y, [x], (g) => {
    const { data: dx, tensor } = newFloatOverwritten(x.shape);
    backend().unaryGrad({ op, x: xd, y: yd, dy: g.data as Float32Array, dx });
    return [tensor];
  });
}

export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', x);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
/** |x|; its gradient at 0 is 0. */
export const abs = (x: Tensor): Tensor => unaryOp('abs', x);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
/** σ(x) = 1 / (1 + e^-x) */
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
/** max(x, 0) */
export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
/** GELU, exact form: x·Φ(x) = x/2 · (1 + erf(x/√2)) (torch's approximate='none'). */
export const gelu = (x: Tensor): Tensor => unaryOp('gelu', x);
export const sign = (x: Tensor): Tensor => unaryOp('sign', x);
export const square = (x: Tensor): Tensor => unaryOp('square', x);
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', x);

/**
 * Limits values to [min, max] (either bound may be omitted). The gradient passes where min ≤ x ≤ max, as in
 * PyTorch.
 */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  const xd = floatData('clamp', x, 'input');
  if (min === undefined && max === undefined) fail('clamp', 'needs at least one of min and max');
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi))
    fail('clamp', `bounds must be numbers, got min=${min}, max=${max}`);
  const { data: yd, tensor: y } = newFloatOverwritten(x.shape);
  backend().clamp({ x: xd, lo, hi, out: yd });
  return record('clamp', y, [x], (g) => {
    const gd = g.data as Float32Array;
    const { data: dx, tensor } = newFloat(x.shape);
    for (let i = 0; i < dx.length; i++) dx[i] = xd[i]! >= lo && xd[i]! <= hi ? gd[i]! : 0;
    return [tensor];
  });
}
