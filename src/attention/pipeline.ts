/**
 * Scores → weights → context: the one place where attention masks its scores, normalises them and mixes the
 * values. Every attention in attn goes through here (the score layers via Attention, attention pooling, the
 * RNN decoders, and the composed path of scaledDotProductAttention behind MultiHeadAttention); the fused
 * kernels (fusedAttention, multiHeadAttentionCore, bahdanauGruSequence, luongGruSequence) are fast paths with
 * the same arithmetic.
 *
 *   e = scores                                          [..., Tq, Tk], from any score
 *   e = -∞ where masked                                 key padding, causal, bool masks; float masks are added
 *   e = -∞ outside the local window |j - p_i| > D       local attention (p_i: the aligned positions)
 *   α = normalise(e)                                    softmax, sparsemax, entmax15, α-entmax, hard or Gumbel
 *   α = α ⊙ exp(-(j - p_i)² / (2σ²))                    local-p only: the Gaussian that learns p_i
 *   c = α · v                                           (dropout on α first, in training, when asked)
 *
 * Masks follow PyTorch: in a bool mask `true` means "may not attend". Masked scores are -∞, which every
 * normaliser turns into a weight of exactly 0; a query whose keys are all masked gets zero weights and a zero
 * context. The callers validate their masks' shapes (each names its own op and layout); this applies them.
 */
import { add, dropout, matmul, maskedFill, mul, reshape } from '../tensor/index.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { gaussianWindow, outsideWindow, type LocalWindow } from './local.js';
import { causalMask } from './masks.js';
import { normalize, type Normalizer, type NormalizeOptions } from './normalizers.js';

export interface AttendOptions {
  /** Bool [B, Tk], true at padding keys; B is the scores' first axis. */
  keyPaddingMask?: Tensor | null;
  /** Bool (true = masked) or additive float, broadcastable to the scores. */
  mask?: Tensor | null;
  /** Query i (at position step + i) may attend keys 0..step+i only. */
  causal?: boolean;
  /** Position of the first query (for `causal`; default 0). */
  step?: number;
  /** Local attention: the window and the aligned position p_i of every query, float32 [B, Tq]. */
  window?: { window: LocalWindow; positions: Tensor } | null;
  /** How scores become weights (default 'softmax'), with its options (temperature, hard, alpha, training, …). */
  normalizer?: Normalizer;
  normalize?: NormalizeOptions;
  /** Dropout on the weights before they mix the values (training only; the weights returned are before it). */
  dropout?: { p: number; generator?: Generator } | null;
}

export interface Attended {
  /** [..., Tq, dv]. */
  context: Tensor;
  /** [..., Tq, Tk]: after masking and normalising (before dropout). */
  weights: Tensor;
  /** The weights that mixed the values: after dropout when it applied, else `weights` itself. */
  mixed: Tensor;
}

/** Masks, normalises and mixes: scores [..., Tq, Tk] and values [..., Tk, dv] → context and weights. */
export function attend(scores: Tensor, values: Tensor, options: AttendOptions = {}): Attended {
  const masked = maskScores(scores, options);
  let weights = normalize(options.normalizer ?? 'softmax', masked, options.normalize);
  const local = options.window;
  if (local && local.window.kind === 'local-p')
    weights = mul(weights, gaussianWindow(local.positions, scores.shape.at(-1)!, local.window.halfWidth));
  const mixed = options.dropout
    ? dropout(weights, options.dropout.p, true, options.dropout.generator)
    : weights;
  return { context: matmul(mixed, values), weights, mixed };
}

/** The scores with -∞ wherever a key may not be attended (see `attend`). */
export function maskScores(scores: Tensor, options: AttendOptions): Tensor {
  const tq = scores.shape.at(-2)!;
  const tk = scores.shape.at(-1)!;
  let out = scores;
  const kpm = options.keyPaddingMask;
  if (kpm) {
    const shape = [kpm.shape[0]!, ...new Array<number>(scores.ndim - 2).fill(1), tk];
    out = maskedFill(out, reshape(kpm, shape), -Infinity);
  }
  const mask = options.mask;
  if (mask) out = mask.dtype === 'bool' ? maskedFill(out, mask, -Infinity) : add(out, mask);
  if (options.causal) {
    const step = options.step ?? 0;
    const causal = causalMask(step + tq, tk);
    out = maskedFill(out, step === 0 ? causal : causal.slice(0, step, step + tq), -Infinity);
  }
  const local = options.window;
  if (local) out = maskedFill(out, outsideWindow(local.positions, tk, local.window.halfWidth), -Infinity);
  return out;
}
