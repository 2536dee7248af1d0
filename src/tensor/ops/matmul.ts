/** Matrix products with batch broadcasting and transpose flags. */
import { fail } from '../errors.js';
import { broadcastShapes, formatShape, shapesEqual, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backend, floatData, newFloatOverwritten, record } from './common.js';
import { sumTo } from './reduce.js';
import { expand, reshape } from './shape.js';

export interface MatmulOptions {
  /** Use the transpose of a's last two axes. */
  transA?: boolean;
  /** Use the transpose of b's last two axes (x·Wᵀ for a weight stored [out, in], as torch.nn.Linear). */
  transB?: boolean;
}

/**
 * C = op(A) · op(B) over the last two axes; leading (batch) axes broadcast. As torch.matmul, a 1-D operand is
 * a vector: a row for A, a column for B, and its axis is removed from the result.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  floatData('matmul', a, 'first operand');
  floatData('matmul', b, 'second operand');
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  if (a.ndim === 0 || b.ndim === 0) {
    fail(
      'matmul',
      `operands must have at least 1 dimension, got ${formatShape(a.shape)} @ ${formatShape(b.shape)}`,
    );
  }
  const vecA = a.ndim === 1;
  const vecB = b.ndim === 1;
  const A = vecA ? reshape(a, transA ? [a.size, 1] : [1, a.size]) : a;
  const B = vecB ? reshape(b, transB ? [1, b.size] : [b.size, 1]) : b;
  // x [..., m, k] · W [k, n] (a Linear over a sequence): the batch axes of x fold into its rows, so that one GEMM
  // with m·batch rows runs instead of `batch` thin ones, and the gradient of W is one GEMM summing over every
  // row rather than a [batch, k, n] stack reduced afterwards.
  if (!transA && A.ndim > 2 && B.ndim === 2 && A.shape.at(-1) === (transB ? B.shape[1] : B.shape[0])) {
    const rows = A.size / A.shape.at(-1)!;
    const flat = matmul2(reshape(A, [rows, A.shape.at(-1)!]), B, false, transB, a, b);
    const shape = [...A.shape.slice(0, -1), flat.shape[1]!];
    return reshape(flat, vecB ? shape.slice(0, -1) : shape);
  }
  const out = matmul2(A, B, transA, transB, a, b);
  let shape = out.shape.slice();
  if (vecA) shape.splice(shape.length - 2, 1);
  if (vecB) shape = shape.slice(0, -1);
  return vecA || vecB ? reshape(out, shape) : out;
}

function matmul2(
  A: Tensor,
  B: Tensor,
  transA: boolean,
  transB: boolean,
  origA: Tensor,
  origB: Tensor,
): Tensor {
  const [ar, ac] = A.shape.slice(-2) as [number, number];
  const [br, bc] = B.shape.slice(-2) as [number, number];
  const m = transA ? ac : ar;
  const kA = transA ? ar : ac;
  const kB = transB ? bc : br;
  const n = transB ? br : bc;
  if (kA !== kB) {
    const ta = transA ? 'ᵀ' : '';
    const tb = transB ? 'ᵀ' : '';
    fail(
      'matmul',
      `inner dimensions differ: ${formatShape(origA.shape)}${ta} @ ${formatShape(origB.shape)}${tb}`,
    );
  }
  const k = kA;
  const batchA = A.shape.slice(0, -2);
  const batchB = B.shape.slice(0, -2);
  const batchShape = broadcastShapes('matmul', batchA, batchB);
  const batch = sizeOf(batchShape);
  // An operand whose batch axes are all 1 is reused for every batch (stride 0); one that covers the full batch
  // is read in place; only a partial broadcast ([2,1,..] with [1,3,..]) needs a copy.
  const operand = (t: Tensor, own: readonly number[]) => {
    if (sizeOf(own) === 1) return { t, stride: 0 };
    if (shapesEqual(own, batchShape)) return { t, stride: t.shape.at(-2)! * t.shape.at(-1)! };
    const full = expand(t, [...batchShape, ...t.shape.slice(-2)]);
    return { t: full, stride: t.shape.at(-2)! * t.shape.at(-1)! };
  };
  const opA = operand(A, batchA);
  const opB = operand(B, batchB);
  const shape = [...batchShape, m, n];
  // The product writes every element of C (zeros where k = 0).
  const { data, tensor } = newFloatOverwritten(shape);
  backend().matmul({
    a: opA.t.data as Float32Array,
    b: opB.t.data as Float32Array,
    out: data,
    batch,
    m,
    n,
    k,
    transA,
    transB,
    strideA: opA.stride,
    strideB: opB.stride,
  });
  return record('matmul', tensor, [A, B], (g) => {
    // With C = op(A)·op(B) and G = ∂L/∂C:  no transposes: dA = G·Bᵀ, dB = Aᵀ·G; the other cases follow from
    // (XY)ᵀ = YᵀXᵀ and are written so that no transposed copy is made.
    let dA: Tensor | null = null;
    let dB: Tensor | null = null;
    if (A.requiresGrad) {
      dA = transA ? matmul(B, g, { transA: transB, transB: true }) : matmul(g, B, { transB: !transB });
      dA = sumTo(dA, A.shape);
    }
    if (B.requiresGrad) {
      dB = transB ? matmul(g, A, { transA: true, transB: transA }) : matmul(A, g, { transA: !transA });
      dB = sumTo(dB, B.shape);
    }
    return [dA, dB];
  });
}
