/** Checks of numeric drawing options, failing with the op's name. */
import { fail } from '../tensor/errors.js';

/** `value` if given (a finite number in [min, max]), else `fallback`. */
export function sizeOption(
  op: string,
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    fail(op, `${name} must be a number in [${min}, ${max}], got ${String(value)}`);
  return value;
}

/** The column label angle that keeps neighbouring labels apart: 45° when cells are wide enough, else 90°. */
export function columnLabelAngle(cellSize: number, fontSize: number, requested?: 45 | 90): 45 | 90 {
  if (requested !== undefined) return requested;
  return cellSize * Math.SQRT1_2 >= fontSize * 1.15 ? 45 : 90;
}
