/** Elementwise functions of two tensors with NumPy broadcasting, comparisons, where and maskedFill. */
import type { BinaryOp, CompareOp } from '../../backend/kernels.js';
import { allocateOverwritten, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { broadcastShapes, broadcastStrides, formatShape, shapesEqual, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import {
  asTensor,
  backend,
  boolData,
  checkTensor,
  floatData,
  newFloatOverwritten,
  noGradOutput,
  record,
} from './common.js';
import { log } from './elementwise.js';
import { sumTo } from './reduce.js';
import { cast } from './shape.js';

function binaryForward(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const ad = floatData(op, a, 'first operand');
  const bd = floatData(op, b, 'second operand');
  const shape = broadcastShapes(op, a.shape, b.shape);
  const { data, tensor } = newFloatOverwritten(shape);
  backend().binary({
    op,
    a: ad,
    aStrides: broadcastStrides(a.shape, shape),
    b: bd,
    bStrides: broadcastStrides(b.shape, shape),
    out: data,
    shape,
  });
  return tensor;
}

function operands(op: string, a: Tensor | number, b: Tensor | number): [Tensor, Tensor] {
  return [asTensor(op, a, 'first operand'), asTensor(op, b, 'second operand')];
}

/** a + b */
export function add(a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y] = operands('add', a, b);
  const out = binaryForward('add', x, y);
  return record('add', out, [x, y], (g) => [sumTo(g, x.shape), sumTo(g, y.shape)]);
}

/** a - b */
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y] = operands('sub', a, b);
  const out = binaryForward('sub', x, y);
  return record('sub', out, [x, y], (g) => [
    sumTo(g, x.shape),
    y.requiresGrad ? sumTo(neg1(g), y.shape) : null,
  ]);
}

/** a · b (elementwise) */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y] = operands('mul', a, b);
  const out = binaryForward('mul', x, y);
  return record('mul', out, [x, y], (g) => [
    x.requiresGrad ? sumTo(binaryForward('mul', g, y), x.shape) : null,
    y.requiresGrad ? sumTo(binaryForward('mul', g, x), y.shape) : null,
  ]);
}

/** a / b:  ∂/∂a = 1/b,  ∂/∂b = -a/b² */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y] = operands('div', a, b);
  const out = binaryForward('div', x, y);
  return record('div', out, [x, y], (g) => [
    x.requiresGrad ? sumTo(binaryForward('div', g, y), x.shape) : null,
    y.requiresGrad ? sumTo(neg1(binaryForward('div', binaryForward('mul', g, out), y)), y.shape) : null,
  ]);
}

/**
 * a^b:  ∂/∂a = b·a^(b-1),  ∂/∂b = a^b·ln a. As in PyTorch, ∂/∂a = 0 where b = 0 and ∂/∂b = 0 where a = 0 and
 * b ≥ 0: a^b is constant there, and the formulas would give 0·∞ = NaN.
 */
export function pow(a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y] = operands('pow', a, b);
  const out = binaryForward('pow', x, y);
  return record('pow', out, [x, y], (g) => {
    const dA = () =>
      where(eq(y, 0), 0, mul(y, binaryForward('pow', x, binaryForward('sub', y, asTensor('pow', 1, 'one')))));
    const dB = () => {
      const outLnA = mul(out, log(x));
      return where(eq(x, 0), where(ge(y, 0), 0, outLnA), outLnA);
    };
    return [
      x.requiresGrad ? sumTo(mul(g, dA()), x.shape) : null,
      y.requiresGrad ? sumTo(mul(g, dB()), y.shape) : null,
    ];
  });
}

/**
 * Elementwise maximum. Where a = b the gradient is split evenly between the two, as in PyTorch.
 */
export function maximum(a: Tensor | number, b: Tensor | number): Tensor {
  return extremum('maximum', a, b);
}

export function minimum(a: Tensor | number, b: Tensor | number): Tensor {
  return extremum('minimum', a, b);
}

function extremum(op: 'maximum' | 'minimum', a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y] = operands(op, a, b);
  const out = binaryForward(op, x, y);
  return record(op, out, [x, y], (g) => {
    const wins = cast(compare(op === 'maximum' ? 'gt' : 'lt', x, y), 'float32');
    const ties = cast(compare('eq', x, y), 'float32');
    const shareA = binaryForward('add', wins, binaryForward('mul', ties, asTensor(op, 0.5, 'half')));
    const shareB = binaryForward('sub', asTensor(op, 1, 'one'), shareA);
    return [
      x.requiresGrad ? sumTo(binaryForward('mul', g, shareA), x.shape) : null,
      y.requiresGrad ? sumTo(binaryForward('mul', g, shareB), y.shape) : null,
    ];
  });
}

function neg1(t: Tensor): Tensor {
  return binaryForward('mul', t, asTensor('neg', -1, 'minus one'));
}

function compare(op: CompareOp, a: Tensor | number, b: Tensor | number): Tensor {
  const x =
    a instanceof Tensor ? a : asTensor(op, a, 'first operand', b instanceof Tensor ? b.dtype : 'float32');
  const y = b instanceof Tensor ? b : asTensor(op, b, 'second operand', x.dtype);
  checkTensor(op, x, 'first operand');
  checkTensor(op, y, 'second operand');
  if (x.dtype !== y.dtype) fail(op, `operands must have the same dtype, got ${x.dtype} and ${y.dtype}`);
  const shape = broadcastShapes(op, x.shape, y.shape);
  const out = new Uint8Array(sizeOf(shape));
  backend().compare({
    op,
    a: x.data,
    aStrides: broadcastStrides(x.shape, shape),
    b: y.data,
    bStrides: broadcastStrides(y.shape, shape),
    out,
    shape,
  });
  return noGradOutput(op, new Tensor(out, shape, 'bool'), [x, y]);
}

/** a == b as a bool mask. */
export const eq = (a: Tensor | number, b: Tensor | number): Tensor => compare('eq', a, b);
export const ne = (a: Tensor | number, b: Tensor | number): Tensor => compare('ne', a, b);
export const lt = (a: Tensor | number, b: Tensor | number): Tensor => compare('lt', a, b);
export const le = (a: Tensor | number, b: Tensor | number): Tensor => compare('le', a, b);
export const gt = (a: Tensor | number, b: Tensor | number): Tensor => compare('gt', a, b);
export const ge = (a: Tensor | number, b: Tensor | number): Tensor => compare('ge', a, b);

/** Elementwise choice: cond ? a : b, all three broadcast together. Gradients flow to the chosen side. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const c = cond;
  const cd = boolData('where', c, 'condition');
  const dtype: DType = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'float32';
  const x = asTensor('where', a, 'first choice', dtype);
  const y = asTensor('where', b, 'second choice', dtype);
  if (x.dtype !== y.dtype) fail('where', `choices must have the same dtype, got ${x.dtype} and ${y.dtype}`);
  const shape = broadcastShapes('where', broadcastShapes('where', c.shape, x.shape), y.shape);
  // The kernel writes every element: storage from the pool, as other op outputs.
  const out = new Tensor(allocateOverwritten(dtype, sizeOf(shape)), shape, dtype);
  backend().where({
    cond: cd,
    condStrides: broadcastStrides(c.shape, shape),
    a: x.data,
    aStrides: broadcastStrides(x.shape, shape),
    b: y.data,
    bStrides: broadcastStrides(y.shape, shape),
    out: out.data,
    shape,
  });
  if (dtype !== 'float32') return noGradOutput('where', out, [x, y]);
  return record('where', out, [x, y], (g) => {
    const zero = asTensor('where', 0, 'zero');
    return [
      x.requiresGrad ? sumTo(where(c, g, zero), x.shape) : null,
      y.requiresGrad ? sumTo(where(c, zero, g), y.shape) : null,
    ];
  });
}

/**
 * Replaces the elements of x where mask is true with value (torch.Tensor.masked_fill). The mask broadcasts to
 * x's shape; the gradient is zero at filled positions.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  checkTensor('maskedFill', x, 'input');
  boolData('maskedFill', mask, 'mask');
  if (typeof value !== 'number') fail('maskedFill', `value must be a number, got ${typeof value}`);
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (!shapesEqual(shape, x.shape)) {
    fail(
      'maskedFill',
      `mask of shape ${formatShape(mask.shape)} does not broadcast to input ${formatShape(x.shape)}`,
    );
  }
  return where(mask, asTensor('maskedFill', value, 'value', x.dtype), x);
}
