/**
 * The opt-in check for non-finite values: when on, every op checks its float output (and every backward its
 * gradients) and throws a NonFiniteError naming the first op that produced a NaN or an infinity.
 */
import type { DataArray } from './dtype.js';
import { NonFiniteError } from './errors.js';
import { formatShape } from './shape.js';

interface Checked {
  readonly data: DataArray;
  readonly dtype: string;
  readonly shape: readonly number[];
}

let enabled = false;

export function setCheckFinite(on: boolean): void {
  enabled = on;
}

export function isCheckFiniteEnabled(): boolean {
  return enabled;
}

function firstNonFinite(t: Checked): number {
  if (t.dtype !== 'float32') return -1;
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}

export function checkFiniteOutput(op: string, out: Checked, inputs: readonly Checked[]): void {
  if (!enabled) return;
  const i = firstNonFinite(out);
  if (i < 0) return;
  const bad = inputs.findIndex((t) => firstNonFinite(t) >= 0);
  const cause =
    bad >= 0
      ? `its input ${bad} (shape ${formatShape(inputs[bad]!.shape)}) already held a non-finite value`
      : 'all its inputs were finite';
  throw new NonFiniteError(
    op,
    `produced ${out.data[i]} at flat index ${i} of its output of shape ${formatShape(out.shape)}; ${cause}`,
  );
}

export function checkFiniteGradient(op: string, grad: Checked): void {
  if (!enabled) return;
  const i = firstNonFinite(grad);
  if (i < 0) return;
  throw new NonFiniteError(
    `${op} (backward)`,
    `produced ${grad.data[i]} at flat index ${i} of a gradient of shape ${formatShape(grad.shape)}`,
  );
}
