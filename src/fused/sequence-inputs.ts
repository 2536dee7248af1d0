/**
 * Input checks shared by the fused decoder recurrences (bahdanau-gru/shape.ts, luong-gru/shape.ts): the step
 * inputs embedded [T, B, 3H] and the encoder outputs memory [B, S, E] fix the sizes every other input is held
 * to. Errors name the op and the argument.
 */
import { fail } from '../tensor/errors.js';
import { floatData } from '../tensor/ops/common.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** T steps, B rows, hidden H (g3 = 3H), S source positions, E memory width. */
export interface DecoderSequenceSizes {
  steps: number;
  batch: number;
  hidden: number;
  g3: number;
  length: number;
  width: number;
}

/** The sizes read from embedded [T, B, 3H] (T ≥ 1) and memory [B, S, E], both float32. */
export function decoderSequenceSizes(op: string, embedded: Tensor, memory: Tensor): DecoderSequenceSizes {
  floatData(op, embedded, 'embedded');
  floatData(op, memory, 'memory');
  if (embedded.ndim !== 3 || embedded.shape[0] === 0 || embedded.shape[2]! % 3 !== 0)
    fail(op, `embedded must be [T, B, 3H] with T ≥ 1, got ${formatShape(embedded.shape)}`);
  const [steps, batch, g3] = embedded.shape as [number, number, number];
  if (memory.ndim !== 3 || memory.shape[0] !== batch)
    fail(op, `memory must be [${batch}, S, E], got ${formatShape(memory.shape)}`);
  const [, length, width] = memory.shape as [number, number, number];
  return { steps, batch, hidden: g3 / 3, g3, length, width };
}

/** t (when not null) is a float32 tensor of the given shape. */
export function checkFloatInput(op: string, name: string, t: Tensor | null, shape: readonly number[]): void {
  if (t === null) return;
  floatData(op, t, name);
  if (!shapesEqual(t.shape, shape))
    fail(op, `${name} must be ${formatShape(shape)}, got ${formatShape(t.shape)}`);
}

/** mask (when not null) is bool [B, S]. */
export function checkMask(op: string, mask: Tensor | null, batch: number, length: number): void {
  if (mask !== null && (mask.dtype !== 'bool' || !shapesEqual(mask.shape, [batch, length])))
    fail(op, `mask must be bool [${batch}, ${length}], got ${mask.dtype} ${formatShape(mask.shape)}`);
}
