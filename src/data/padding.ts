/**
 * Padding id sequences into one batch: int32 ids [B, T] padded with `<pad>` (id 0) to the longest sequence, a
 * bool mask [B, T] that is true at the padding (PyTorch's `key_padding_mask` convention: true = ignore), and the
 * int32 lengths [B].
 */
import { fail } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { PAD_ID } from './vocabulary.js';

export interface PaddedBatch {
  /** int32 [B, T]. */
  ids: Tensor;
  /** bool [B, T], true at padding. */
  mask: Tensor;
  /** int32 [B]: the tokens of each row, prefix and suffix included. */
  lengths: Tensor;
}

export interface PadOptions {
  /** An id put before every sequence (e.g. `SOS_ID`). */
  prefix?: number;
  /** An id put after every sequence (e.g. `EOS_ID`). */
  suffix?: number;
  /** Pad to at least this length (T = max(longest, minLength)). */
  minLength?: number;
}

const INT32_MAX = 2147483647;

export function padSequences(sequences: readonly ArrayLike<number>[], options: PadOptions = {}): PaddedBatch {
  const op = 'padSequences';
  const extra = (options.prefix === undefined ? 0 : 1) + (options.suffix === undefined ? 0 : 1);
  for (const [name, id] of [
    ['prefix', options.prefix],
    ['suffix', options.suffix],
  ] as const) {
    if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id <= INT32_MAX)) {
      fail(op, `${name} must be a non-negative int32 id, got ${id}`);
    }
  }
  const b = sequences.length;
  let t = options.minLength ?? 0;
  for (const s of sequences) t = Math.max(t, s.length + extra);
  const ids = new Int32Array(b * t).fill(PAD_ID);
  const mask = new Uint8Array(b * t).fill(1);
  const lengths = new Int32Array(b);
  sequences.forEach((s, row) => {
    let k = row * t;
    if (options.prefix !== undefined) ids[k++] = options.prefix;
    for (let i = 0; i < s.length; i++) {
      const id = s[i]!;
      if (!(Number.isInteger(id) && id >= 0 && id <= INT32_MAX)) {
        fail(op, `sequence ${row} holds ${id} at ${i}; ids must be non-negative int32 integers`);
      }
      ids[k++] = id;
    }
    if (options.suffix !== undefined) ids[k++] = options.suffix;
    lengths[row] = s.length + extra;
    mask.fill(0, row * t, k);
  });
  return {
    ids: new Tensor(ids, [b, t], 'int32'),
    mask: new Tensor(mask, [b, t], 'bool'),
    lengths: new Tensor(lengths, [b], 'int32'),
  };
}
