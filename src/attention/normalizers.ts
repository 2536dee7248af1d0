/**
 * Attention normalisers: how an attention layer turns its scores e [..., Tk] into weights along the last axis
 * (the keys). Masked keys carry a score of -∞ and get weight exactly 0 under every normaliser; a query whose
 * keys are all masked gets all-zero weights, never NaN.
 *
 *   softmax    a_j = exp(e_j) / Σ_i exp(e_i)                                 dense
 *   sparsemax  a = argmin_{p ∈ Δ} ‖p - e‖², i.e. a_j = max(e_j - τ(e), 0)   sparse (Martins & Astudillo 2016)
 *   entmax15   a_j = max(e_j/2 - τ(e), 0)²   (1.5-entmax, τ exact by sorting) sparse, smooth on its support
 *   entmax     a_j = max((α-1)e_j - τ(e), 0)^{1/(α-1)}, any α > 1 (bisection)  α-entmax (Peters et al. 2019)
 *   hard       a = onehot(argmax e), with the gradient of softmax(e)        straight-through
 *   gumbel     a = softmax((e + g) / τ), g_j = -log(-log U_j), U_j ~ U(0,1)  a sample (Jang et al. 2017)
 *
 * τ(e) makes each row sum to 1. α-entmax runs from softmax (α → 1) through entmax15 (α = 1.5) to sparsemax
 * (α = 2) and sparser beyond; 'entmax' with α = 1.5 finds the same weights as 'entmax15' to float32 rounding,
 * by bisection instead of sorting. `softmax`, `sparsemax`, `entmax15` and `entmaxBisect` are the tensor ops
 * themselves (their axis defaults to the last).
 */
import { noGrad } from '../tensor/autograd.js';
import { zeros } from '../tensor/creation.js';
import { fail } from '../tensor/errors.js';
import { floatData } from '../tensor/ops/common.js';
import {
  add,
  argmax,
  div,
  entmax15,
  entmaxBisect,
  eq,
  max,
  maskedFill,
  oneHot,
  softmax,
  sparsemax,
  sub,
} from '../tensor/ops/index.js';
import { checkAlpha } from '../tensor/ops/sparsemax.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

export { entmax15, entmaxBisect, softmax, sparsemax };

/** The normalisers `normalize` knows by name. */
export type Normalizer = 'softmax' | 'sparsemax' | 'entmax15' | 'entmax' | 'hard' | 'gumbel';

export const NORMALIZERS: readonly Normalizer[] = [
  'softmax',
  'sparsemax',
  'entmax15',
  'entmax',
  'hard',
  'gumbel',
];

/** α of the 'entmax' normaliser when none is given: 1.5, as the entmax package's EntmaxBisect. */
export const DEFAULT_ENTMAX_ALPHA = 1.5;

export interface GumbelSoftmaxOptions {
  /** τ > 0 (default 1): small values sharpen the sample towards a one-hot vector, large ones flatten it. */
  temperature?: number;
  /** One-hot forward value (the argmax of the sample) with the soft sample's gradient (default false). */
  hard?: boolean;
  /** Source of the Gumbel noise (the global seeded generator by default). */
  generator?: Generator;
}

export interface NormalizeOptions extends GumbelSoftmaxOptions {
  /** α > 1 of 'entmax' (default 1.5); given with any other normaliser it is an error. */
  alpha?: number;
  /**
   * Training mode (default false). Only 'gumbel' looks at it: it samples only in training. In evaluation it
   * is deterministic and adds no noise (g = 0): softmax(e / τ), or with `hard` the one-hot of argmax e, i.e.
   * the most likely key instead of a random one.
   */
  training?: boolean;
}

function checkScores(op: string, scores: Tensor): void {
  floatData(op, scores, 'scores');
  if (scores.ndim < 1) fail(op, 'scores must have at least one axis (the keys are the last), got a scalar');
}

function checkTemperature(op: string, temperature: number): number {
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature)) {
    fail(op, `temperature must be a positive finite number, got ${String(temperature)}`);
  }
  return temperature;
}

/**
 * One-hot of the argmax of x along the last axis (the first index on ties), as float32 without gradient; rows
 * that are all -∞ (every key masked) give zeros.
 */
function argmaxOneHot(x: Tensor): Tensor {
  if (x.size === 0) return zeros(x.shape);
  return noGrad(() => {
    const hot = oneHot(argmax(x, -1), x.shape.at(-1)!, 'float32');
    return maskedFill(hot, eq(max(x, -1, true), -Infinity), 0);
  });
}

/**
 * Straight-through estimator: the value of `hot`, the gradient of `soft`, as hot + (soft - detach(soft)).
 * soft - detach(soft) is exactly 0, so the value is exactly `hot`; backward hands the upstream gradient to
 * soft unchanged.
 */
function straightThrough(hot: Tensor, soft: Tensor): Tensor {
  if (!soft.requiresGrad) return hot;
  return add(hot, sub(soft, soft.detach()));
}

/**
 * Hard attention: the one-hot of argmax_j e_j along the last axis (the first index on ties; a query whose
 * keys are all masked gets zeros), with the straight-through gradient of softmax(e):
 *
 *   forward  a = onehot(argmax e)
 *   backward ∂L/∂e = softmax'(e)ᵀ · ∂L/∂a
 */
export function hardAttention(scores: Tensor): Tensor {
  const op = 'hardAttention';
  checkScores(op, scores);
  return straightThrough(argmaxOneHot(scores), softmax(scores, -1));
}

/**
 * Gumbel-softmax (Jang et al. 2017; Maddison et al. 2017), a differentiable sample of a key:
 *
 *   y_j = softmax((e + g) / τ)_j,  g_j = -log(-log U_j),  U_j ~ Uniform(0, 1)
 *
 * U is drawn from `generator`, one value per element of `scores` in row-major order (masked ones included,
 * so the stream advances by scores.size whatever the mask), and kept strictly inside (0, 1) by taking the
 * middle of each 2⁻²⁴ cell. With `hard` the value is the one-hot of argmax_j y_j and the gradient that of y
 * (straight-through). Masked keys (-∞) keep weight 0; all-masked queries get zeros.
 */
export function gumbelSoftmax(scores: Tensor, options: GumbelSoftmaxOptions = {}): Tensor {
  const op = 'gumbelSoftmax';
  checkScores(op, scores);
  const tau = checkTemperature(op, options.temperature ?? 1);
  const noise = gumbelNoise(scores.shape, options.generator ?? defaultGenerator());
  return tempered(add(scores, noise), tau, options.hard ?? false);
}

/** softmax(x / τ), or its straight-through hard version: the one-hot of argmax x (the softmax's argmax). */
function tempered(x: Tensor, tau: number, hard: boolean): Tensor {
  const y = softmax(tau === 1 ? x : div(x, tau), -1);
  return hard ? straightThrough(argmaxOneHot(x), y) : y;
}

/** Standard Gumbel noise -log(-log U), U uniform in (0, 1) from the generator. */
function gumbelNoise(shape: readonly number[], generator: Generator): Tensor {
  const t = zeros(shape);
  const d = t.data;
  const half = 2 ** -25; // uniform() lies on a 2⁻²⁴ grid in [0, 1): shifted by half a cell, in (0, 1)
  for (let i = 0; i < d.length; i++) d[i] = -Math.log(-Math.log(generator.uniform() + half));
  return t;
}

/**
 * Checks a normaliser's name and its α, as a layer does when it is built: an unknown name, an α ≤ 1 or not
 * finite, or an α given with a normaliser other than 'entmax' is an error naming `op`.
 */
export function checkNormalizer(op: string, name: unknown, alpha: unknown): void {
  if (!NORMALIZERS.includes(name as Normalizer)) {
    const known = NORMALIZERS.map((n) => `'${n}'`).join(', ');
    fail(op, `unknown normaliser '${String(name)}'; expected one of ${known}`);
  }
  if (alpha === undefined) return;
  if (name !== 'entmax')
    fail(
      op,
      `alpha applies to the 'entmax' normaliser only, got alpha ${String(alpha)} with '${String(name)}'`,
    );
  checkAlpha(op, alpha);
}

/**
 * Applies the normaliser `name` to `scores` along the last axis. `temperature`, `hard` and `generator`
 * concern 'gumbel' only (and are validated only there); 'gumbel' samples only when `training` is true (see
 * `NormalizeOptions.training`). `alpha` concerns 'entmax' only.
 */
export function normalize(name: Normalizer, scores: Tensor, options: NormalizeOptions = {}): Tensor {
  const op = 'normalize';
  if (options.alpha !== undefined) checkNormalizer(op, name, options.alpha);
  switch (name) {
    case 'softmax':
      checkScores(op, scores);
      return softmax(scores, -1);
    case 'sparsemax':
      checkScores(op, scores);
      return sparsemax(scores, -1);
    case 'entmax15':
      checkScores(op, scores);
      return entmax15(scores, -1);
    case 'entmax':
      checkScores(op, scores);
      return entmaxBisect(scores, options.alpha ?? DEFAULT_ENTMAX_ALPHA, -1);
    case 'hard':
      return hardAttention(scores);
    case 'gumbel':
      if (options.training) return gumbelSoftmax(scores, options);
      checkScores(op, scores);
      return tempered(scores, checkTemperature(op, options.temperature ?? 1), options.hard ?? false);
    default: {
      const known = NORMALIZERS.map((n) => `'${n}'`).join(', ');
      return fail(op, `unknown normaliser '${String(name)}'; expected one of ${known}`);
    }
  }
}
