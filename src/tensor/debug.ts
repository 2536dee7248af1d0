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

function firstNaN(t: Checked): number {
  if (t.dtype !== 'float32') return -1;
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (d[i] !== d[i]) return i;
  return -1;
}

/**
 * Throws when `op` *produced* a non-finite value: a NaN while no input held one, or an infinity while every
 * input was finite. Infinities that flow through on purpose (a -∞ attention mask going into a softmax) and NaNs
 * already reported upstream are not blamed on the op that merely carries them.
 */
export function checkFiniteOutput(op: string, out: Checked, inputs: readonly Checked[]): void {
  if (!enabled) return;
  const i = firstNonFinite(out);
  if (i < 0) return;
  const nan = firstNaN(out);
  if (nan >= 0 && inputs.every((t) => firstNaN(t) < 0)) {
    throw new NonFiniteError(
      op,
      `produced NaN at flat index ${nan} of its output of shape ${formatShape(out.shape)}; no input held a NaN`,
    );
  }
  if (inputs.every((t) => firstNonFinite(t) < 0)) {
    throw new NonFiniteError(
      op,
      `produced ${out.data[i]} at flat index ${i} of its output of shape ${formatShape(out.shape)}; all its inputs were finite`,
    );
  }
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
