/**
 * Attention masks, PyTorch's convention throughout: in a bool mask `true` means "may not attend" (the key is
 * padding, or in the future); a float mask is added to the scores (-∞ forbids, 0 allows).
 */
import { fail } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Padding } from './padding.js';
import { maskScores } from './pipeline.js';

/** A bool [Tq, Tk] mask that is true above the diagonal: query i may attend keys 0..i. */
export function causalMask(tq: number, tk: number): Tensor {
  const data = new Uint8Array(tq * tk);
  for (let i = 0; i < tq; i++) for (let j = i + 1; j < tk; j++) data[i * tk + j] = 1;
  return new Tensor(data, [tq, tk], 'bool');
}

/**
 * A bool [B, T] key-padding mask from sequence lengths: true at positions ≥ length. T is maxLength, or the
 * longest length. The mask is Padding's (padding.ts), which also takes masks and gives lengths back.
 */
export function paddingMaskFromLengths(lengths: Tensor | readonly number[], maxLength?: number): Tensor {
  const op = 'paddingMaskFromLengths';
  const longest = Padding.fromLengths(lengths, undefined, op).length;
  if (maxLength !== undefined && longest > maxLength)
    fail(op, `a length of ${longest} exceeds maxLength ${maxLength}`);
  return Padding.fromLengths(lengths, maxLength ?? longest, op).mask;
}

/**
 * Checks the masks an attention layer takes for scores [B, Tq, Tk]: keyPaddingMask bool [B, Tk]; mask bool or
 * float, [Tq, Tk] or [B, Tq, Tk]. Errors name `op`.
 */
export function checkMasks(
  op: string,
  b: number,
  tq: number,
  tk: number,
  keyPaddingMask?: Tensor | null,
  mask?: Tensor | null,
): void {
  const describe = (t: unknown) =>
    t instanceof Tensor ? `${t.dtype} ${formatShape(t.shape)}` : `${typeof t} (not a Tensor)`;
  if (keyPaddingMask) {
    if (
      !(keyPaddingMask instanceof Tensor) ||
      keyPaddingMask.dtype !== 'bool' ||
      keyPaddingMask.ndim !== 2 ||
      keyPaddingMask.shape[0] !== b ||
      keyPaddingMask.shape[1] !== tk
    ) {
      fail(op, `keyPaddingMask must be bool [${b}, ${tk}], got ${describe(keyPaddingMask)}`);
    }
  }
  if (mask) {
    const fits =
      mask instanceof Tensor &&
      ((mask.ndim === 2 && mask.shape[0] === tq && mask.shape[1] === tk) ||
        (mask.ndim === 3 && mask.shape[0] === b && mask.shape[1] === tq && mask.shape[2] === tk));
    if (!fits || mask.dtype === 'int32') {
      fail(op, `mask must be bool or float [${tq}, ${tk}] or [${b}, ${tq}, ${tk}], got ${describe(mask)}`);
    }
  }
}

/**
 * Applies the masks to scores [B, Tq, Tk] (checked as `checkMasks` says): masked scores become -∞, which every
 * normaliser turns into a weight of exactly 0.
 */
export function applyMasks(
  op: string,
  scores: Tensor,
  keyPaddingMask?: Tensor | null,
  mask?: Tensor | null,
): Tensor {
  const [b, tq, tk] = scores.shape as [number, number, number];
  checkMasks(op, b, tq, tk, keyPaddingMask, mask);
  return maskScores(scores, { keyPaddingMask, mask });
}
