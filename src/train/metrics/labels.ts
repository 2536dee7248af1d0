/** Shared argument handling of the classification metrics. */
import { fail } from '../../tensor/errors.js';
import { Tensor } from '../../tensor/tensor.js';

/** Class ids: an array of numbers or a Tensor of them (int32 or float32 holding integers). */
export type Labels = ArrayLike<number> | Tensor;

/** The two label sequences as arrays, checked to be non-empty, of equal length and integral. */
export function labelPair(op: string, pred: Labels, gold: Labels): [ArrayLike<number>, ArrayLike<number>] {
  const p = values(op, 'pred', pred);
  const g = values(op, 'gold', gold);
  if (p.length !== g.length) fail(op, `pred has ${p.length} labels, gold has ${g.length}`);
  if (p.length === 0) fail(op, 'no labels to score');
  return [p, g];
}

function values(op: string, name: string, labels: Labels): ArrayLike<number> {
  const data = labels instanceof Tensor ? labels.data : labels;
  if (data === null || typeof data !== 'object' || typeof data.length !== 'number') {
    fail(op, `${name} must be an array of class ids or a Tensor`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isInteger(data[i])) fail(op, `${name}[${i}] is ${data[i]}, not an integer class id`);
  }
  return data;
}
