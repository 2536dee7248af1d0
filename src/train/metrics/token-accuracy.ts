import { fail } from '../../tensor/errors.js';
import { labelPair, type Labels } from './labels.js';

/**
 * Accuracy over tokens, skipping the positions where the gold token is `padId` (leave it out to count every
 * position). `pred` and `gold` are flat, or Tensors of the same size (e.g. [batch, time]).
 */
export function tokenAccuracy(pred: Labels, gold: Labels, padId?: number): number {
  const [p, g] = labelPair('tokenAccuracy', pred, gold);
  let correct = 0;
  let counted = 0;
  for (let i = 0; i < p.length; i++) {
    if (g[i] === padId) continue;
    counted++;
    if (p[i] === g[i]) correct++;
  }
  if (counted === 0) fail('tokenAccuracy', `every gold token is the pad id ${padId}: nothing to score`);
  return correct / counted;
}
