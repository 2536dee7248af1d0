/**
 * Macro-averaged F1: the unweighted mean over classes of F1_c = 2·TP_c / (2·TP_c + FP_c + FN_c).
 */
import { fail } from '../../tensor/errors.js';
import { labelPair, type Labels } from './labels.js';

/**
 * Macro F1 in [0, 1]. The classes averaged are those that occur in `pred` or `gold` (as scikit-learn's
 * `f1_score(average='macro')` without `labels`): a class that nobody predicted and nothing is labelled with has
 * no F1 and does not pull the mean down. `numClasses`, when given, checks that every id is in [0, numClasses).
 */
export function macroF1(pred: Labels, gold: Labels, numClasses?: number): number {
  const op = 'macroF1';
  const [p, g] = labelPair(op, pred, gold);
  if (numClasses !== undefined) {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      fail(op, `numClasses must be an integer >= 1, got ${numClasses}`);
    }
    for (let i = 0; i < p.length; i++) {
      if (p[i]! < 0 || p[i]! >= numClasses) fail(op, `pred[${i}] = ${p[i]} is outside [0, ${numClasses})`);
      if (g[i]! < 0 || g[i]! >= numClasses) fail(op, `gold[${i}] = ${g[i]} is outside [0, ${numClasses})`);
    }
  }
  const tp = new Map<number, number>();
  const fp = new Map<number, number>();
  const fn = new Map<number, number>();
  for (let i = 0; i < p.length; i++) {
    const a = p[i]!;
    const b = g[i]!;
    if (a === b) {
      tp.set(a, (tp.get(a) ?? 0) + 1);
    } else {
      fp.set(a, (fp.get(a) ?? 0) + 1);
      fn.set(b, (fn.get(b) ?? 0) + 1);
    }
  }
  const classes = new Set([...tp.keys(), ...fp.keys(), ...fn.keys()]);
  let sum = 0;
  for (const c of classes) {
    const t = tp.get(c) ?? 0;
    sum += (2 * t) / (2 * t + (fp.get(c) ?? 0) + (fn.get(c) ?? 0));
  }
  return sum / classes.size;
}
