/**
 * Whether a fused attention op keeps its weights P = softmax(scale·q·kᵀ + masks) for the backward pass, and the
 * storage they go in.
 *
 * The fused kernel's backward recomputes P from q, k and the saved log-sum-exp, as FlashAttention does, so that
 * memory grows with T and not T². For short key ranges P is small (B·H·Tq·Tk floats: 8 MiB at B = 32, H = 4,
 * T = 128, about what one [B, T, 4E] activation of that layer holds) and keeping it saves the backward one of its
 * five products (scale·q·kᵀ) and the exponentials, about a fifth of it. So an op keeps P when it records a
 * gradient and Tk ≤ KEPT_WEIGHTS_MAX_KEYS: the forward writes P through its weights output, the backward reads
 * it and then hands the storage back to the pool (src/tensor/storage.ts) for the next step's forward. Nothing is
 * kept in inference (no gradient recorded) or for long keys, where P would grow with T².
 */
import { isGradEnabled } from '../tensor/autograd.js';
import { recycleFloats, uninitialisedFloats } from '../tensor/storage.js';
import type { Tensor } from '../tensor/tensor.js';

/** The longest key range whose weights an op keeps (the short-key path of the native kernel goes as far). */
export const KEPT_WEIGHTS_MAX_KEYS = 256;

export interface AttentionWeightStorage {
  /** Where the forward writes the weights [B, H, Tq, Tk]: the caller's array, the kept one, or null (neither). */
  forward: Float32Array | null;
  /** The weights the backward reads instead of recomputing them, or null. */
  kept: Float32Array | null;
  /** After the backward has run: hands the kept storage back to the pool unless the caller's array is it. */
  release(): void;
}

/**
 * Decides for one fused attention call over `inputs` (q, k, v) with `tk` keys whose weights hold `size` floats;
 * `requested` is the array for the weights the caller asked for, or null. When the caller asked for them, the
 * kept weights are that same array (it is a plain result, outside the graph: changing it in place before the
 * backward would change the gradients).
 */
export function attentionWeightStorage(
  inputs: readonly Tensor[],
  tk: number,
  size: number,
  requested: Float32Array | null,
): AttentionWeightStorage {
  const keep = tk <= KEPT_WEIGHTS_MAX_KEYS && isGradEnabled() && inputs.some((t) => t.requiresGrad);
  if (!keep) return { forward: requested, kept: null, release: () => {} };
  if (requested) return { forward: requested, kept: requested, release: () => {} };
  // The kernel writes every weight, masked ones and whole masked rows as zeros, so the storage may start dirty.
  const kept = uninitialisedFloats(size);
  return { forward: kept, kept, release: () => recycleFloats(kept) };
}
