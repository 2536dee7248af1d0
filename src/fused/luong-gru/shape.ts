/**
 * The inputs of luongGruSequence, checked once and read as raw storage by its forward and backward halves.
 * Shapes: embedded [T, B, 3H], h0 [B, H], feed0 [B, H] or null, keys [B, S, H], memory [B, S, E], mask bool
 * [B, S] or null, feedWeight [3H, H] or null (no input feeding), weightHh [3H, H], biasHn [H] or null,
 * outputWeight [H, E + H].
 */
import { fail } from '../../tensor/errors.js';
import {
  checkFloatInput,
  checkMask,
  decoderSequenceSizes,
  type DecoderSequenceSizes,
} from '../sequence-inputs.js';
import type { Tensor } from '../../tensor/tensor.js';

export interface LuongGRUSequenceInputs {
  /** Every step's embedding term x·W_ihᵀ (embedding columns) + b_ih (+ b_hr, b_hz): rows [T, B, 3H]. */
  embedded: Tensor;
  /** The state before the first step. */
  h0: Tensor;
  /** h̃ fed into the first step (null: none, as before a decoder's first step). */
  feed0: Tensor | null;
  /** The score's prepared keys: W k for 'general', the encoder outputs themselves for 'dot'. */
  keys: Tensor;
  /** The encoder outputs the context averages. */
  memory: Tensor;
  /** bool, true = padding (never attended). */
  mask: Tensor | null;
  /** The fed-back h̃'s columns of weight_ih_l0; null without input feeding. */
  feedWeight: Tensor | null;
  weightHh: Tensor;
  biasHn: Tensor | null;
  /** W_c of h̃ = tanh(W_c [c; h]), no bias. */
  outputWeight: Tensor;
}

/** The decoder sequence sizes (sequence-inputs.ts), and cat = E + H. */
export interface SequenceShape extends DecoderSequenceSizes {
  cat: number;
}

/** The inputs' storage, as the kernels take it. */
export interface SequenceArrays {
  embedded: Float32Array;
  h0: Float32Array;
  feed0: Float32Array | null;
  keys: Float32Array;
  memory: Float32Array;
  mask: Uint8Array | null;
  wf: Float32Array | null;
  whh: Float32Array;
  bhn: Float32Array | null;
  wc: Float32Array;
}

/** The shape of every input, checked; errors name the op and the argument. */
export function checkInputs(op: string, x: LuongGRUSequenceInputs): SequenceShape {
  const sizes = decoderSequenceSizes(op, x.embedded, x.memory);
  const { batch, hidden, g3, length, width } = sizes;
  const check = (name: string, t: Tensor | null, shape: readonly number[]) =>
    checkFloatInput(op, name, t, shape);
  check('h0', x.h0, [batch, hidden]);
  check('feed0', x.feed0, [batch, hidden]);
  check('keys', x.keys, [batch, length, hidden]);
  check('feedWeight', x.feedWeight, [g3, hidden]);
  check('weightHh', x.weightHh, [g3, hidden]);
  check('biasHn', x.biasHn, [hidden]);
  check('outputWeight', x.outputWeight, [hidden, width + hidden]);
  if (x.feed0 !== null && x.feedWeight === null)
    fail(op, 'feed0 is given but feedWeight is null (no input feeding reads it)');
  checkMask(op, x.mask, batch, length);
  return { ...sizes, cat: width + hidden };
}

export function arraysOf(x: LuongGRUSequenceInputs): SequenceArrays {
  const f = (t: Tensor) => t.data as Float32Array;
  return {
    embedded: f(x.embedded),
    h0: f(x.h0),
    feed0: x.feed0 ? f(x.feed0) : null,
    keys: f(x.keys),
    memory: f(x.memory),
    mask: x.mask ? (x.mask.data as Uint8Array) : null,
    wf: x.feedWeight ? f(x.feedWeight) : null,
    whh: f(x.weightHh),
    bhn: x.biasHn ? f(x.biasHn) : null,
    wc: f(x.outputWeight),
  };
}
