/** Losses. */
import type { CrossEntropyArgs } from '../../backend/kernels.js';
import { fail } from '../errors.js';
import { formatShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backend, floatData, intData, newFloatOverwritten, record } from './common.js';

export interface CrossEntropyOptions {
  /** Targets equal to this add no loss and do not count in the mean (default -100, as PyTorch). */
  ignoreIndex?: number;
  /** ε: the target becomes (1-ε)·onehot + ε/classes (default 0). */
  labelSmoothing?: number;
  /** 'mean' over non-ignored targets (default), 'sum', or 'none' for one loss per row. */
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Cross-entropy of logits [N, C] against int32 class targets [N], fused with the log-softmax
 * (torch.nn.functional.cross_entropy):
 *   loss_n = -(1-ε)·log p[n, t_n] - (ε/C)·Σ_c log p[n, c],   p = softmax(logits[n])
 * and the mean is taken over the rows whose target is not ignoreIndex.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const x = floatData('crossEntropy', logits, 'logits');
  const t = intData('crossEntropy', targets, 'targets');
  if (logits.ndim !== 2) fail('crossEntropy', `logits must be [N, C], got ${formatShape(logits.shape)}`);
  const [rows, classes] = logits.shape as [number, number];
  if (targets.ndim !== 1 || targets.shape[0] !== rows) {
    fail(
      'crossEntropy',
      `targets must be [${rows}] for logits ${formatShape(logits.shape)}, got ${formatShape(targets.shape)}`,
    );
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  const labelSmoothing = options.labelSmoothing ?? 0;
  const reduction = options.reduction ?? 'mean';
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    fail('crossEntropy', `labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  }
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    fail('crossEntropy', `reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`);
  }
  let counted = 0;
  for (let r = 0; r < rows; r++) {
    const v = t[r]!;
    if (v === ignoreIndex) continue;
    if (v < 0 || v >= classes) fail('crossEntropy', `target ${v} at row ${r} is outside [0, ${classes})`);
    counted++;
  }
  const args: CrossEntropyArgs = { rows, classes, ignoreIndex, labelSmoothing };
  const rowLoss = new Float32Array(rows);
  // Only each row's log-sum-exp is kept for the backward, which reads the logits again: at a vocabulary of 8000
  // a [N, C] buffer of log-probabilities would be 32 MiB per 1024 tokens, written and read back once more.
  const logSumExp = new Float32Array(rows);
  backend().crossEntropy({ logits: x, targets: t, ...args, loss: rowLoss, logSumExp });

  let out: Tensor;
  if (reduction === 'none') out = new Tensor(rowLoss, [rows], 'float32');
  else {
    let s = 0;
    for (let r = 0; r < rows; r++) s += rowLoss[r]!;
    // As PyTorch: the mean over zero counted rows is 0/0 = NaN.
    out = new Tensor(new Float32Array([reduction === 'sum' ? s : s / counted]), [], 'float32');
  }
  return record('crossEntropy', out, [logits], (g) => {
    const gd = g.data as Float32Array;
    const rowGrad = new Float32Array(rows);
    if (reduction === 'none') rowGrad.set(gd);
    else rowGrad.fill(reduction === 'sum' ? gd[0]! : gd[0]! / counted);
    const { data, tensor } = newFloatOverwritten(logits.shape);
    backend().crossEntropyGrad({ logits: x, logSumExp, targets: t, ...args, rowGrad, dLogits: data });
    return [tensor];
  });
}
