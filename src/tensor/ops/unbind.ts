/**
 * unbind(x): the pieces x[0], x[1], … along axis 0 as tensors that share x's storage (no copy), with a
 * backward that writes every piece's gradient into one buffer of x's shape.
 *
 * Why not `slice`: the backward of each slice allocates a gradient of x's full shape and the engine adds them up,
 * so taking the T time steps of a [T, …] tensor one by one costs O(T²·step) in the backward pass. A recurrent
 * layer does exactly that with its hoisted input projection, so it needs this O(T·step) form.
 *
 * How, with an engine whose nodes have one output each: the pieces hang off a scalar anchor node whose only input
 * is x. A piece's backward copies its gradient into its part of the buffer and hands the anchor a scalar zero; the
 * anchor comes before every piece in the graph, so the engine runs it after all of them, and it passes the whole
 * buffer to x. Pieces the loss never reaches leave zeros.
 */
import { isGradEnabled } from '../autograd.js';
import { fail } from '../errors.js';
import { record } from './common.js';
import { formatShape, sizeOf } from '../shape.js';
import { zeroedFloats } from '../storage.js';
import { Tensor } from '../tensor.js';

export function unbind(x: Tensor): Tensor[] {
  if (!(x instanceof Tensor) || x.ndim === 0) {
    fail(
      'unbind',
      `needs a tensor with at least one axis, got ${x instanceof Tensor ? formatShape(x.shape) : x}`,
    );
  }
  const count = x.shape[0]!;
  const pieceShape = x.shape.slice(1);
  const step = sizeOf(pieceShape);
  const view = (i: number) => new Tensor(x.data.subarray(i * step, (i + 1) * step), pieceShape, x.dtype);
  if (!isGradEnabled() || !x.requiresGrad) return Array.from({ length: count }, (_, i) => view(i));

  let buffer: Float32Array | null = null;
  const anchor = record('unbind', new Tensor(new Float32Array(1), []), [x], () => [
    new Tensor(buffer ?? zeroedFloats(x.size), x.shape, 'float32'),
  ]);
  const zero = new Tensor(new Float32Array(1), []);
  return Array.from({ length: count }, (_, i) =>
    record('unbind', view(i), [anchor], (g) => {
      buffer ??= zeroedFloats(x.size);
      buffer.set(g.data, i * step);
      return [zero];
    }),
  );
}
