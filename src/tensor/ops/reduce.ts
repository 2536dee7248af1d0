/** Reductions along one or more axes: sum, mean, max, min, logsumexp, variance, argmax, argmin. */
import type { ReduceOp } from '../../backend/kernels.js';
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { axisView, formatShape, normalizeAxes, normalizeAxis, shapesEqual, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { eq, div, mul, sub } from './binary.js';
import { backend, floatData, noGradOutput, record, checkTensor } from './common.js';
import { exp } from './elementwise.js';
import { cast, expand, reshape } from './shape.js';

export type Axes = number | readonly number[];

/**
 * Reduces `axes` (sorted) of data with `shape`. Runs of adjacent axes are reduced in one kernel call; separate
 * runs one after another (sum, max, min and logsumexp all compose that way). Returns the data and its shape with
 * the reduced axes kept as 1.
 */
function reduceAxes(op: ReduceOp, data: Float32Array, shape: readonly number[], axes: readonly number[]) {
  const kept = shape.slice();
  let current = data;
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a - 1) last[1] = a;
    else runs.push([a, a]);
  }
  for (let r = runs.length - 1; r >= 0; r--) {
    const [a0, a1] = runs[r]!;
    const outer = sizeOf(kept.slice(0, a0));
    const n = sizeOf(kept.slice(a0, a1 + 1));
    const inner = sizeOf(kept.slice(a1 + 1));
    const out = new Float32Array(outer * inner);
    backend().reduce({ op, x: current, outer, n, inner, out });
    for (let a = a0; a <= a1; a++) kept[a] = 1;
    current = out;
  }
  return { data: current, kept };
}

function resultShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  return keepdim
    ? shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : shape.filter((_, i) => !axes.includes(i));
}

function reduction(op: ReduceOp, name: string, x: Tensor, axesArg: Axes | undefined, keepdim: boolean) {
  const xd = floatData(name, x, 'input');
  const axes = normalizeAxes(name, axesArg, x.ndim);
  if (op !== 'sum' && axes.some((a) => x.shape[a] === 0)) {
    fail(name, `cannot reduce an empty axis of shape ${formatShape(x.shape)}`);
  }
  const { data, kept } =
    axes.length === 0 ? { data: xd.slice(), kept: x.shape.slice() } : reduceAxes(op, xd, x.shape, axes);
  return { out: new Tensor(data, resultShape(x.shape, axes, keepdim), 'float32'), kept, axes };
}

/** Sum over `axes` (all axes when omitted). */
export function sum(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const { out, kept } = reduction('sum', 'sum', x, axes, keepdim);
  return record('sum', out, [x], (g) => [expand(reshape(g, kept), x.shape)]);
}

/** Mean over `axes` (all axes when omitted). */
export function mean(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  floatData('mean', x, 'input');
  const list = normalizeAxes('mean', axes, x.ndim);
  const count = list.reduce((n, a) => n * x.shape[a]!, 1);
  return mul(sum(x, list, keepdim), 1 / count);
}

/**
 * Gradient of max/min: shared equally among the elements that attain the extreme (as torch.amax/amin).
 */
function extremum(op: 'max' | 'min', x: Tensor, axes: Axes | undefined, keepdim: boolean): Tensor {
  const { out, kept, axes: list } = reduction(op, op, x, axes, keepdim);
  return record(op, out, [x], (g) => {
    const hit = cast(eq(x, reshape(out, kept)), 'float32');
    const share = div(hit, sum(hit, list, true));
    return [mul(share, reshape(g, kept))];
  });
}

/** Maximum over `axes` (all axes when omitted). Use argmax for the positions. */
export function max(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  return extremum('max', x, axes, keepdim);
}

export function min(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  return extremum('min', x, axes, keepdim);
}

/** log Σ exp(x) over `axes`, computed stably (shifted by the maximum). */
export function logsumexp(x: Tensor, axes: Axes, keepdim = false): Tensor {
  const { out, kept } = reduction('logsumexp', 'logsumexp', x, axes, keepdim);
  return record('logsumexp', out, [x], (g) => [mul(exp(sub(x, reshape(out, kept))), reshape(g, kept))]);
}

/** Variance over `axes` with Bessel's correction by default (correction = 1, as torch.var). */
export function variance(
  x: Tensor,
  axes?: Axes,
  options: { correction?: number; keepdim?: boolean } = {},
): Tensor {
  floatData('variance', x, 'input');
  const list = normalizeAxes('variance', axes, x.ndim);
  const count = list.reduce((n, a) => n * x.shape[a]!, 1);
  const correction = options.correction ?? 1;
  const centered = sub(x, mean(x, list, true));
  return div(sum(mul(centered, centered), list, options.keepdim ?? false), Math.max(0, count - correction));
}

function argReduction(
  op: 'argmax' | 'argmin',
  x: Tensor,
  axis: number | undefined,
  keepdim: boolean,
): Tensor {
  checkTensor(op, x, 'input');
  if (x.dtype === 'bool') fail(op, 'input must be float32 or int32, got bool');
  if (x.size === 0) fail(op, `cannot take ${op} of an empty tensor of shape ${formatShape(x.shape)}`);
  if (axis === undefined) {
    const out = new Int32Array(1);
    backend().argReduce({ op, x: x.data, outer: 1, n: x.size, inner: 1, out });
    return noGradOutput(op, new Tensor(out, keepdim ? x.shape.map(() => 1) : [], 'int32'), [x]);
  }
  const a = normalizeAxis(op, axis, x.ndim);
  const { outer, n, inner } = axisView(x.shape, a);
  const out = new Int32Array(outer * inner);
  backend().argReduce({ op, x: x.data, outer, n, inner, out });
  return noGradOutput(op, new Tensor(out, resultShape(x.shape, [a], keepdim), 'int32'), [x]);
}

/** Index of the first maximum along `axis` (of the flattened tensor when omitted), as int32. */
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argReduction('argmax', x, axis, keepdim);
}

export function argmin(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argReduction('argmin', x, axis, keepdim);
}

/**
 * Sums a gradient of a broadcast result back to the shape of the operand that was broadcast: over the leading
 * axes the operand lacked and over the axes where it had size 1.
 */
export function sumTo(grad: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(grad.shape, shape)) return grad;
  const lead = grad.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < grad.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && grad.shape[i] !== 1)) axes.push(i);
  }
  return noGrad(() => reshape(sum(grad, axes, true), shape));
}
