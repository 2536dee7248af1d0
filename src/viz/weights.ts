/**
 * Weights to draw, as plain nested arrays or tensors, checked and flattened into row-major numbers. Leading
 * axes of size 1 (a batch of one, a single head) are dropped, so `weights` straight from a layer of batch 1 work.
 */
import { fail } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** Attention weights of one target sequence over one source sequence: [Tt][Ts] arrays or a Tensor [Tt, Ts]. */
export type AttentionMatrix = readonly (readonly number[])[] | Tensor;

/** Weights of one sequence (e.g. a classifier's pooling weights): an array or a Tensor [T]. */
export type WeightVector = readonly number[] | Tensor;

/** A checked matrix: `rows` × `cols` values in row-major order. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly values: Float64Array;
}

/** The tensor's shape without its leading size-1 axes, keeping at least `rank` axes. */
function squeezeLeading(shape: readonly number[], rank: number): readonly number[] {
  let start = 0;
  while (shape.length - start > rank && shape[start] === 1) start++;
  return shape.slice(start);
}

/** Checks and flattens a matrix; `op` names the caller in errors. */
export function toMatrix(op: string, weights: AttentionMatrix): Matrix {
  if (weights instanceof Tensor) {
    const shape = squeezeLeading(weights.shape, 2);
    if (shape.length !== 2)
      fail(
        op,
        `weights must be a matrix [target, source] (leading axes of size 1 are dropped), got shape ` +
          `${formatShape(weights.shape)}; select one sequence and head first`,
      );
    return { rows: shape[0]!, cols: shape[1]!, values: Float64Array.from(weights.data) };
  }
  if (!Array.isArray(weights)) fail(op, 'weights must be a number[][] or a Tensor');
  const rows = weights.length;
  const cols = rows > 0 ? weights[0]!.length : 0;
  const values = new Float64Array(rows * cols);
  weights.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== cols)
      fail(op, `weights row ${r} has ${Array.isArray(row) ? row.length : 'no'} values, row 0 has ${cols}`);
    row.forEach((value, c) => {
      if (typeof value !== 'number') fail(op, `weights[${r}][${c}] is not a number: ${String(value)}`);
      values[r * cols + c] = value;
    });
  });
  return { rows, cols, values };
}

/** Checks and flattens a vector; `op` names the caller in errors. */
export function toVector(op: string, weights: WeightVector): Float64Array {
  if (weights instanceof Tensor) {
    const shape = squeezeLeading(weights.shape, 1);
    if (shape.length !== 1)
      fail(op, `weights must be a vector [tokens], got shape ${formatShape(weights.shape)}`);
    return Float64Array.from(weights.data);
  }
  if (!Array.isArray(weights)) fail(op, 'weights must be a number[] or a Tensor');
  return Float64Array.from(weights, (value, i) => {
    if (typeof value !== 'number') fail(op, `weights[${i}] is not a number: ${String(value)}`);
    return value;
  });
}

/**
 * The top of the colour domain: `requested` when given (it must be a positive finite number), otherwise the
 * largest finite value, or 1 when there is none above 0 (all-zero rows of fully masked queries).
 */
export function colorDomainMax(op: string, requested: number | undefined, ...values: Float64Array[]): number {
  if (requested !== undefined) {
    if (!(Number.isFinite(requested) && requested > 0))
      fail(op, `max must be a positive finite number, got ${requested}`);
    return requested;
  }
  let max = 0;
  for (const array of values) for (const v of array) if (Number.isFinite(v) && v > max) max = v;
  return max > 0 ? max : 1;
}

/** Token labels for `count` positions: the given tokens (checked against the count), or 0, 1, 2, … */
export function tokenLabels(
  op: string,
  name: string,
  tokens: readonly string[] | undefined,
  count: number,
  axis: string,
): string[] {
  if (tokens === undefined) return Array.from({ length: count }, (_, i) => String(i));
  if (!Array.isArray(tokens)) fail(op, `${name} must be an array of strings`);
  if (tokens.length !== count)
    fail(op, `${name} has ${tokens.length} tokens but the weights have ${count} ${axis}`);
  return tokens.map((t) => String(t));
}
