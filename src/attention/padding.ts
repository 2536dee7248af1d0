/**
 * Where each sequence of a [B, T] batch ends, in one type. Models and tasks once passed this around as a bool
 * mask, as lengths, or rebuilt it from the pad id; a Padding is made from any of those and gives each form its
 * consumer needs, computed on first use and kept:
 *
 *   mask     bool [B, T], true at padding (PyTorch's key_padding_mask convention), for attention;
 *   lengths  int32 [B], the real tokens of each row, for recurrences (which stop at each row's end);
 *   tokens   the number of real tokens, Σ_b lengths[b] (for a mask: its false entries).
 *
 * A mask may mark any positions, but lengths only say "the first n are real": `lengthsFor(op)` fails, naming op,
 * when the mask is not a prefix mask (a real token after padding, as in left padding).
 */
import { fail } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * What the public model methods take as padding: a Padding, lengths (int32 [B] or numbers), a bool mask [B, T]
 * (true at padding), or null/undefined for "nothing is padded" (or, where a model says so, "from the pad id").
 */
export type PaddingLike = Padding | Tensor | readonly number[] | null | undefined;

function describe(x: unknown): string {
  if (x instanceof Tensor) return `${x.dtype} ${formatShape(x.shape)}`;
  if (x instanceof Padding) return `a Padding of [${x.batchSize}, ${x.length}]`;
  if (Array.isArray(x)) return `${x.length} numbers`;
  return x === null ? 'null' : typeof x === 'object' ? 'an object' : `${typeof x} ${String(x)}`;
}

/** The mask's first real token after padding in a row, as [row, position], or null for a prefix mask. */
function firstTokenAfterPadding(mask: Uint8Array, b: number, t: number): [number, number] | null {
  for (let i = 0; i < b; i++) {
    let n = 0;
    while (n < t && !mask[i * t + n]) n++;
    for (let j = n + 1; j < t; j++) if (!mask[i * t + j]) return [i, j];
  }
  return null;
}

export class Padding {
  /** B. */
  readonly batchSize: number;
  /** T, the padded length. */
  readonly length: number;
  private maskCache: Tensor | undefined;
  private lengthsCache: Tensor | undefined;
  private tokenCount: number | undefined;

  /** One of mask or lengths, already checked against [B, T]; use the static constructors. */
  private constructor(
    batchSize: number,
    length: number,
    mask: Tensor | undefined,
    lengths: Tensor | undefined,
  ) {
    this.batchSize = batchSize;
    this.length = length;
    this.maskCache = mask;
    this.lengthsCache = lengths;
  }

  /**
   * From the real tokens of each row (int32 [B] or numbers, each in [0, T]); T defaults to the longest.
   * Errors name `op`.
   */
  static fromLengths(
    lengths: Tensor | readonly number[],
    length?: number,
    op = 'Padding.fromLengths',
  ): Padding {
    let values: ArrayLike<number>;
    if (lengths instanceof Tensor) {
      if (lengths.dtype !== 'int32' || lengths.ndim !== 1)
        fail(op, `lengths must be int32 [B], got ${describe(lengths)}`);
      values = lengths.data;
    } else if (Array.isArray(lengths)) {
      values = lengths;
    } else {
      return fail(op, `lengths must be int32 [B] or numbers, got ${describe(lengths)}`);
    }
    let longest = 0;
    for (let i = 0; i < values.length; i++) {
      const n = values[i]!;
      if (!Number.isInteger(n) || n < 0) fail(op, `lengths[${i}] = ${n} is not a non-negative integer`);
      longest = Math.max(longest, n);
    }
    const t = length ?? longest;
    if (!Number.isInteger(t) || t < 0) fail(op, `the padded length must be a non-negative integer, got ${t}`);
    for (let i = 0; i < values.length; i++) {
      if (values[i]! > t) fail(op, `lengths[${i}] = ${values[i]} is outside [0, ${t}] (the padded length)`);
    }
    const tensor =
      lengths instanceof Tensor ? lengths : new Tensor(Int32Array.from(values), [values.length], 'int32');
    return new Padding(values.length, t, undefined, tensor);
  }

  /** From a bool mask [B, T], true at padding. Errors name `op`. */
  static fromMask(mask: Tensor, op = 'Padding.fromMask'): Padding {
    if (!(mask instanceof Tensor) || mask.dtype !== 'bool' || mask.ndim !== 2)
      fail(op, `the padding mask must be bool [B, T], got ${describe(mask)}`);
    const [b, t] = mask.shape as [number, number];
    return new Padding(b, t, mask, undefined);
  }

  /** Padding wherever ids int32 [B, T] equal padId. Errors name `op`. */
  static fromIds(ids: Tensor, padId: number, op = 'Padding.fromIds'): Padding {
    if (!(ids instanceof Tensor) || ids.dtype !== 'int32' || ids.ndim !== 2)
      fail(op, `ids must be int32 [B, T], got ${describe(ids)}`);
    if (!Number.isInteger(padId)) fail(op, `padId must be an integer, got ${String(padId)}`);
    const data = ids.data;
    const mask = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) mask[i] = data[i] === padId ? 1 : 0;
    const [b, t] = ids.shape as [number, number];
    return new Padding(b, t, new Tensor(mask, [b, t], 'bool'), undefined);
  }

  /**
   * The padding of a [batch, length] batch from any PaddingLike: a Padding (of that shape), lengths (batch
   * entries in [0, length]), a bool mask [batch, length], or null/undefined, which gives null. Errors name `op`.
   */
  static from(padding: PaddingLike, op: string, batch: number, length: number): Padding | null {
    if (padding === null || padding === undefined) return null;
    let p: Padding;
    if (padding instanceof Padding) {
      p = padding;
    } else if (padding instanceof Tensor && padding.dtype === 'bool') {
      if (padding.ndim !== 2 || padding.shape[0] !== batch || padding.shape[1] !== length)
        fail(op, `the padding mask must be bool [${batch}, ${length}], got ${describe(padding)}`);
      p = Padding.fromMask(padding, op);
    } else if (padding instanceof Tensor || Array.isArray(padding)) {
      if (padding instanceof Tensor && (padding.dtype !== 'int32' || padding.ndim !== 1))
        fail(op, `lengths must be int32 [${batch}] or numbers, got ${describe(padding)}`);
      const count = padding instanceof Tensor ? padding.size : padding.length;
      if (count !== batch) fail(op, `lengths must have one entry per sequence (${batch}), got ${count}`);
      p = Padding.fromLengths(padding as Tensor | readonly number[], length, op);
    } else {
      return fail(
        op,
        `padding must be a Padding, lengths (int32 [B] or numbers), a bool mask [B, T] or null, got ${describe(padding)}`,
      );
    }
    if (p.batchSize !== batch || p.length !== length)
      fail(op, `the padding is for [${p.batchSize}, ${p.length}], but the batch is [${batch}, ${length}]`);
    return p;
  }

  /** Bool [B, T]: true at padding. */
  get mask(): Tensor {
    if (this.maskCache === undefined) {
      const [b, t] = [this.batchSize, this.length];
      const lengths = this.lengthsCache!.data;
      const mask = new Uint8Array(b * t);
      // Row i is padding from position lengths[i] on.
      for (let i = 0; i < b; i++) mask.fill(1, i * t + lengths[i]!, (i + 1) * t);
      this.maskCache = new Tensor(mask, [b, t], 'bool');
    }
    return this.maskCache;
  }

  /** Int32 [B]: the real tokens of each row. Fails when the mask is not a prefix mask (see lengthsFor). */
  get lengths(): Tensor {
    return this.lengthsFor('Padding.lengths');
  }

  /**
   * Int32 [B]: the real tokens of each row, for a consumer (`op`, named in the error) that needs each row's
   * real tokens first: a mask with a real token after padding has no lengths.
   */
  lengthsFor(op: string): Tensor {
    if (this.lengthsCache === undefined) {
      const [b, t] = [this.batchSize, this.length];
      const m = this.maskCache!.data as Uint8Array;
      const gap = firstTokenAfterPadding(m, b, t);
      if (gap !== null)
        fail(
          op,
          `padding must come after the real tokens (right padding), but sequence ${gap[0]} has a token at ` +
            `position ${gap[1]} after padding, which lengths cannot represent`,
        );
      const lengths = new Int32Array(b);
      for (let i = 0; i < b; i++) {
        let n = 0;
        while (n < t && !m[i * t + n]) n++;
        lengths[i] = n;
      }
      this.lengthsCache = new Tensor(lengths, [b], 'int32');
    }
    return this.lengthsCache;
  }

  /** Whether lengths can represent this padding (every row's real tokens come first). */
  get isPrefix(): boolean {
    if (this.lengthsCache !== undefined) return true;
    return firstTokenAfterPadding(this.maskCache!.data as Uint8Array, this.batchSize, this.length) === null;
  }

  /** The number of real (not padding) tokens. */
  get tokens(): number {
    if (this.tokenCount === undefined) {
      let n = 0;
      if (this.lengthsCache !== undefined) {
        for (const v of this.lengthsCache.data) n += v;
      } else {
        for (const v of this.maskCache!.data) if (!v) n++;
      }
      this.tokenCount = n;
    }
    return this.tokenCount;
  }

  /** Whether any position is padding (false: every row is T real tokens). */
  get hasPadding(): boolean {
    return this.tokens < this.batchSize * this.length;
  }
}
