/**
 * Scaled dot-product attention, composed from the tensor ops (a fused kernel joins it with the native backend).
 *
 *   weights = softmax(q·kᵀ · scale + mask),  scale = 1/√d by default
 *   output  = weights · v
 *
 * Shapes: q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv]; leading axes broadcast (typically [B, H]).
 * Masks follow PyTorch: in a bool mask `true` means "may not attend"; a float mask is added to the scores.
 * A query whose keys are all masked gets zero weights and a zero output, never NaN.
 */
import { fail } from '../tensor/errors.js';
import { add, dropout, matmul, maskedFill, mul, reshape, softmax } from '../tensor/ops/index.js';
import type { Generator } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { causalMask } from './masks.js';

export interface ScaledDotProductOptions {
  /** Bool (true = masked) or additive float mask, broadcastable to [..., Tq, Tk]. */
  mask?: Tensor | null;
  /** Bool [B, Tk]: true marks padding keys of each batch element (q's first axis). */
  keyPaddingMask?: Tensor | null;
  /** Mask key j for query i when j > i. */
  causal?: boolean;
  /** Multiplier of the scores; 1/√d when omitted. */
  scale?: number;
  /** Dropout probability on the weights, applied only when `training` is true. */
  dropout?: number;
  training?: boolean;
  generator?: Generator;
}

export interface AttentionResult {
  /** [..., Tq, dv] */
  output: Tensor;
  /** [..., Tq, Tk], after masking and softmax (before dropout). */
  weights: Tensor;
}

export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: ScaledDotProductOptions = {},
): AttentionResult {
  const op = 'scaledDotProductAttention';
  for (const [name, t] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const) {
    if (!(t instanceof Tensor) || t.ndim < 2)
      fail(op, `${name} must be a tensor [..., T, d], got ${String(t)}`);
  }
  const d = q.shape.at(-1)!;
  if (k.shape.at(-1) !== d) {
    fail(op, `q and k must share their last dimension: q ${formatShape(q.shape)}, k ${formatShape(k.shape)}`);
  }
  if (k.shape.at(-2) !== v.shape.at(-2)) {
    fail(op, `k and v must have as many keys: k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`);
  }
  const tq = q.shape.at(-2)!;
  const tk = k.shape.at(-2)!;
  const scale = options.scale ?? 1 / Math.sqrt(d);
  let scores = mul(matmul(q, k, { transB: true }), scale);
  if (options.causal) scores = maskedFill(scores, causalMask(tq, tk), -Infinity);
  if (options.keyPaddingMask) {
    const kpm = options.keyPaddingMask;
    if (kpm.dtype !== 'bool' || kpm.ndim !== 2 || kpm.shape[1] !== tk || kpm.shape[0] !== q.shape[0]) {
      fail(
        op,
        `keyPaddingMask must be bool [${q.shape[0]}, ${tk}], got ${kpm.dtype} ${formatShape(kpm.shape)}`,
      );
    }
    const shape = [kpm.shape[0]!, ...new Array<number>(scores.ndim - 2).fill(1), tk];
    scores = maskedFill(scores, reshape(kpm, shape), -Infinity);
  }
  if (options.mask) {
    scores =
      options.mask.dtype === 'bool' ? maskedFill(scores, options.mask, -Infinity) : add(scores, options.mask);
  }
  const weights = softmax(scores, -1);
  const p = options.dropout ?? 0;
  const dropped = p > 0 && options.training ? dropout(weights, p, true, options.generator) : weights;
  return { output: matmul(dropped, v), weights };
}
