/**
 * A Linear layer's arithmetic as one op: y = x·Wᵀ + b, optionally followed by ReLU (the Transformer's first
 * feed-forward projection), over x [..., in] with W [out, in] and b [out].
 *
 * Same kernels and bits as matmul then add (then relu), but the bias and the ReLU are applied in place on the
 * product, which nothing else has seen yet: no second and third output of the same size is allocated and
 * written (a 4096×1024 activation is 16 MiB), and the backward keeps one gradient buffer. The ReLU's
 * derivative reads y (y > 0 exactly where x·Wᵀ + b > 0), so the pre-activation is not kept either.
 */
import { fail } from '../errors.js';
import { formatShape, sizeOf } from '../shape.js';
import { recycleFloats } from '../storage.js';
import { Tensor } from '../tensor.js';
import { backend, floatData, newFloatOverwritten, record } from './common.js';
import { matmul } from './matmul.js';
import { reshape } from './shape.js';

export interface LinearOpOptions {
  /** Applied to x·Wᵀ + b: 'relu', or none (default). */
  activation?: 'relu' | null;
}

export function linear(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: LinearOpOptions = {},
): Tensor {
  const op = 'linear';
  const xd = floatData(op, x, 'input');
  const wd = floatData(op, weight, 'weight');
  const bd = bias ? floatData(op, bias, 'bias') : null;
  if (weight.ndim !== 2) fail(op, `weight must be [out, in], got ${formatShape(weight.shape)}`);
  const [outF, inF] = weight.shape as [number, number];
  if (x.ndim < 1 || x.shape.at(-1) !== inF)
    fail(
      op,
      `input must be [..., ${inF}] for weight ${formatShape(weight.shape)}, got ${formatShape(x.shape)}`,
    );
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF))
    fail(
      op,
      `bias must be [${outF}] for weight ${formatShape(weight.shape)}, got ${formatShape(bias.shape)}`,
    );
  const activation = options.activation ?? null;
  if (activation !== null && activation !== 'relu')
    fail(op, `activation must be 'relu' or null, got ${String(activation)}`);
  const rows = sizeOf(x.shape.slice(0, -1));
  const shape = [...x.shape.slice(0, -1), outF];
  const { data: yd, tensor: y } = newFloatOverwritten(shape);
  // Bias and activation with the product (add then ReLU were two more passes over y).
  const product = { m: rows, n: outF, k: inF, transA: false, transB: true };
  if (bd || activation) backend().matmulBiasAct({ a: xd, b: wd, out: yd, ...product, bias: bd, activation });
  else backend().matmul({ a: xd, b: wd, out: yd, batch: 1, ...product, strideA: 0, strideB: 0 });
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(op, y, inputs, (g) => {
    let gd = g.data as Float32Array;
    // The ReLU derivative and the bias gradient (column sums of the pre-activation's gradient) in one pass over
    // the rows: the sums no longer read a 16 MiB gradient a second time.
    const db = bias?.requiresGrad ? new Float32Array(outF) : null;
    const pre = activation === 'relu' ? newFloatOverwritten(shape).data : null;
    if (pre || db)
      backend().linearActGrad({ y: yd, g: gd, rows, n: outF, activation, dPre: pre, biasGrad: db });
    gd = pre ?? gd;
    // As matmul's own backward: dx = G·W, dW = Gᵀ·x (rows folded).
    const g2 = new Tensor(gd, [rows, outF], 'float32');
    const dx = x.requiresGrad ? reshape(matmul(g2, weight), x.shape) : null;
    const dw = weight.requiresGrad ? matmul(g2, reshape(x, [rows, inF]), { transA: true }) : null;
    if (pre) recycleFloats(pre); // only the two products above read it
    const grads = [dx, dw];
    if (bias) grads.push(db ? new Tensor(db, [outF], 'float32') : null);
    return grads;
  });
}
