/**
 * The translation models' loss: the mean cross-entropy of the output layer's logits against tgtOut [B, T] over
 * the positions whose target is not padding, with label smoothing ε:
 *
 *   loss = (1/N) Σ_{(b,t): y_bt ≠ pad} CE(output(hidden_bt), y_bt)          N = the real targets
 *
 * Two ways, one value. The readable one applies the output layer at every position and lets crossEntropy skip
 * the padding (ignoreIndex). With `skipPadding`, the output layer runs on the real positions' rows only (picked
 * from hidden by index), so a padded position costs no [D]·[D, V] product and no softmax over V: about 8% of a
 * Tatoeba batch's rows, each the widest product of the step. The logits are then those rows', [N, V] in (b, t)
 * order. Dropout is applied to all of hidden before rows are picked, so both ways draw the same masks.
 * Tests (test/models/target-loss.test.ts) compare loss, logits and gradients.
 */
import { fail } from '../tensor/errors.js';
import { crossEntropy, indexSelect, reshape } from '../tensor/ops/index.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export interface TargetLossOptions {
  /** The target id that marks padding (ignored). */
  padId: number;
  /** Label smoothing ε (default 0). */
  labelSmoothing?: number;
  /** Run the output layer on the real targets' rows only (logits [N, V]) instead of every position. */
  skipPadding?: boolean;
}

export interface TargetLoss {
  loss: Tensor;
  /** [B, T, V], or [N, V] (the real targets', in (b, t) order) with skipPadding. */
  logits: Tensor;
}

/**
 * The loss above from the decoder's last hidden states [B, T, D] (dropout already applied) and the output layer
 * (any module mapping [..., D] to [..., V]).
 */
export function targetLoss(
  op: string,
  hidden: Tensor,
  output: { forward(x: Tensor): Tensor },
  tgtOut: Tensor,
  options: TargetLossOptions,
): TargetLoss {
  const [batch, steps, width] = hidden.shape as [number, number, number];
  if (!(tgtOut instanceof Tensor) || tgtOut.dtype !== 'int32' || tgtOut.size !== batch * steps) {
    const got = tgtOut instanceof Tensor ? `${tgtOut.dtype} ${formatShape(tgtOut.shape)}` : String(tgtOut);
    fail(op, `tgtOut must be int32 [${batch}, ${steps}] like tgtIn, got ${got}`);
  }
  const ce = { ignoreIndex: options.padId, labelSmoothing: options.labelSmoothing ?? 0 };
  const targets = reshape(tgtOut, [batch * steps]);
  const rows = options.skipPadding ? realRows(targets.data as Int32Array, options.padId) : null;
  if (rows === null) {
    const logits = output.forward(hidden);
    const vocab = logits.shape[2]!;
    return { loss: crossEntropy(reshape(logits, [batch * steps, vocab]), targets, ce), logits };
  }
  const index = new Tensor(rows, [rows.length], 'int32');
  const logits = output.forward(indexSelect(reshape(hidden, [batch * steps, width]), 0, index));
  return { loss: crossEntropy(logits, indexSelect(targets, 0, index), ce), logits };
}

/** The flat positions whose target is not padding; null when all are real (nothing to skip) or none is. */
function realRows(targets: Int32Array, padId: number): Int32Array | null {
  let n = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i] !== padId) n++;
  if (n === targets.length || n === 0) return null;
  const rows = new Int32Array(n);
  for (let i = 0, j = 0; i < targets.length; i++) if (targets[i] !== padId) rows[j++] = i;
  return rows;
}
