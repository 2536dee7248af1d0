import { labelPair, type Labels } from './labels.js';

/** Fraction of positions where the predicted class equals the gold class, in [0, 1]. */
export function accuracy(pred: Labels, gold: Labels): number {
  const [p, g] = labelPair('accuracy', pred, gold);
  let correct = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === g[i]) correct++;
  return correct / p.length;
}
