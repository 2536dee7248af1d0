/**
 * Scaled dot-product attention.
 *
 *   weights = softmax(q·kᵀ · scale + mask),  scale = 1/√d by default   (or another normaliser, see `normalizer`)
 *   output  = weights · v
 *
 * Shapes: q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv]; leading axes broadcast (typically [B, H]).
 * Masks follow PyTorch: in a bool mask `true` means "may not attend"; a float mask is added to the scores.
 * A query whose keys are all masked gets zero weights and a zero output, never NaN.
 *
 * Two paths give the same numbers: the fused kernel (tiled with an online softmax: memory grows with T, not T²),
 * taken when the normaliser is softmax, the inputs are [B, H, T, d] (or [B, T, d]) without broadcasting, the masks
 * are only key padding and/or causal, there is no dropout, and the weights are not needed as a differentiable
 * result; and the composition of ops otherwise (the scores, then pipeline.ts's `attend`), whose weights take part in autograd.
 */
import { fail } from '../tensor/errors.js';
import { isGradEnabled } from '../tensor/autograd.js';
import { fusedAttention } from '../fused/attention.js';
import { matmul, mul, reshape } from '../tensor/ops/index.js';
import type { Generator } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkNormalizer, type Normalizer } from './normalizers.js';
import { attend } from './pipeline.js';

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
  /** Return the weights (default true). With false, `weights` is null and the fused kernel can run. */
  needWeights?: boolean;
  /**
   * How the scores become weights (default 'softmax'; see normalizers.ts). Any other normaliser takes the
   * composed path: the fused kernel's online softmax has no threshold τ to find.
   */
  normalizer?: Normalizer;
  /** α > 1 of the 'entmax' normaliser (default 1.5). */
  alpha?: number;
}

export interface AttentionResult {
  /** [..., Tq, dv] */
  output: Tensor;
  /** [..., Tq, Tk], after masking and softmax (before dropout). */
  weights: Tensor;
  /** The weights after dropout, when dropout applied (training with dropout > 0); they mixed v. */
  droppedWeights?: Tensor;
}

export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options?: ScaledDotProductOptions & { needWeights?: true },
): AttentionResult;
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: ScaledDotProductOptions & { needWeights: false },
): { output: Tensor; weights: null };
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: ScaledDotProductOptions,
): { output: Tensor; weights: Tensor | null; droppedWeights?: Tensor };
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: ScaledDotProductOptions = {},
): { output: Tensor; weights: Tensor | null; droppedWeights?: Tensor } {
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
  const tk = k.shape.at(-2)!;
  const kpm = options.keyPaddingMask ?? null;
  if (kpm && (kpm.dtype !== 'bool' || kpm.ndim !== 2 || kpm.shape[1] !== tk || kpm.shape[0] !== q.shape[0])) {
    fail(
      op,
      `keyPaddingMask must be bool [${q.shape[0]}, ${tk}], got ${kpm.dtype} ${formatShape(kpm.shape)}`,
    );
  }
  const normalizer = options.normalizer ?? 'softmax';
  checkNormalizer(op, normalizer, options.alpha);
  const scale = options.scale ?? 1 / Math.sqrt(d);
  const needWeights = options.needWeights ?? true;
  const dropping = (options.dropout ?? 0) > 0 && (options.training ?? false);

  if (normalizer === 'softmax' && canFuse(q, k, v, options, needWeights, dropping)) {
    const as4 = (t: Tensor) => (t.ndim === 4 ? t : reshape(t, [t.shape[0]!, 1, t.shape[1]!, t.shape[2]!]));
    const fused = fusedAttention(as4(q), as4(k), as4(v), {
      keyPaddingMask: kpm,
      causal: options.causal,
      scale,
      needWeights,
    });
    const back = (t: Tensor) => (q.ndim === 4 ? t : reshape(t, [t.shape[0]!, t.shape[2]!, t.shape[3]!]));
    return { output: back(fused.output), weights: fused.weights ? back(fused.weights) : null };
  }

  // The composed path: the scores, then the pipeline every attention shares (masks, normaliser, dropout, context).
  const scores = mul(matmul(q, k, { transB: true }), scale);
  const { context, weights, mixed } = attend(scores, v, {
    keyPaddingMask: kpm,
    mask: options.mask,
    causal: options.causal,
    normalizer,
    normalize: { alpha: options.alpha, training: options.training ?? false, generator: options.generator },
    dropout: dropping ? { p: options.dropout!, generator: options.generator } : null,
  });
  return {
    output: context,
    weights: needWeights ? weights : null,
    ...(dropping ? { droppedWeights: mixed } : {}),
  };
}

/**
 * The fused kernel covers [B, H, T, d] or [B, T, d] inputs of equal leading axes, key-padding and causal masks,
 * no dropout, and weights that are either not needed or not part of a graph (they come out as plain values).
 */
function canFuse(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: ScaledDotProductOptions,
  needWeights: boolean,
  dropping: boolean,
): boolean {
  if (options.mask || dropping) return false;
  if (q.dtype !== 'float32' || k.dtype !== 'float32' || v.dtype !== 'float32') return false;
  if (q.ndim !== k.ndim || q.ndim !== v.ndim || (q.ndim !== 3 && q.ndim !== 4)) return false;
  for (let axis = 0; axis < q.ndim - 2; axis++) {
    if (k.shape[axis] !== q.shape[axis] || v.shape[axis] !== q.shape[axis]) return false;
  }
  const recording = isGradEnabled() && (q.requiresGrad || k.requiresGrad || v.requiresGrad);
  return !(needWeights && recording);
}
