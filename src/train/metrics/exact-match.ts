import { fail } from '../../tensor/errors.js';

/** A prediction: a string, or a sequence of token ids. */
export type MatchItem = string | ArrayLike<number>;

/**
 * Fraction of predictions identical to their gold item, in [0, 1]: strings compared exactly, id sequences
 * element by element (same length, same ids).
 */
export function exactMatch(pred: readonly MatchItem[], gold: readonly MatchItem[]): number {
  const op = 'exactMatch';
  if (!Array.isArray(pred) || !Array.isArray(gold)) fail(op, 'pred and gold must be arrays');
  if (pred.length !== gold.length) fail(op, `pred has ${pred.length} items, gold has ${gold.length}`);
  if (pred.length === 0) fail(op, 'no items to score');
  let matches = 0;
  for (let i = 0; i < pred.length; i++) if (same(pred[i]!, gold[i]!)) matches++;
  return matches / pred.length;
}

function same(a: MatchItem, b: MatchItem): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
