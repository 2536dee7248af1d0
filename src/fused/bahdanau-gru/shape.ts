/**
 * The inputs of bahdanauGruSequence, checked once and read as raw storage by its forward and backward halves.
 * Shapes: embedded [T, B, 3H], h0 [B, H], keys [B, S, U], memory [B, S, E], mask bool [B, S] or null,
 * queryWeight [U, H], queryBias [U] or null, scoreWeight [1, U], scoreBias [1] or null, contextWeight [3H, E],
 * weightHh [3H, H], biasHn [H] or null.
 */
import {
  checkFloatInput,
  checkMask,
  decoderSequenceSizes,
  type DecoderSequenceSizes,
} from '../sequence-inputs.js';
import type { Tensor } from '../../tensor/tensor.js';

export interface BahdanauGRUSequenceInputs {
  embedded: Tensor;
  h0: Tensor;
  keys: Tensor;
  memory: Tensor;
  mask: Tensor | null;
  queryWeight: Tensor;
  queryBias: Tensor | null;
  scoreWeight: Tensor;
  scoreBias: Tensor | null;
  contextWeight: Tensor;
  weightHh: Tensor;
  biasHn: Tensor | null;
}

/** The decoder sequence sizes (sequence-inputs.ts), and U attention units. */
export interface SequenceShape extends DecoderSequenceSizes {
  units: number;
}

/** The inputs' storage, as the kernels take it. */
export interface SequenceArrays {
  embedded: Float32Array;
  h0: Float32Array;
  keys: Float32Array;
  memory: Float32Array;
  mask: Uint8Array | null;
  wq: Float32Array;
  bq: Float32Array | null;
  v: Float32Array;
  vBias: number;
  wc: Float32Array;
  whh: Float32Array;
  bhn: Float32Array | null;
}

/** The shape of every input, checked; errors name the op and the argument. */
export function checkInputs(op: string, x: BahdanauGRUSequenceInputs): SequenceShape {
  const sizes = decoderSequenceSizes(op, x.embedded, x.memory);
  const { batch, hidden, length, width } = sizes;
  const units = x.queryWeight.shape[0]!;
  const check = (name: string, t: Tensor | null, shape: readonly number[]) =>
    checkFloatInput(op, name, t, shape);
  check('h0', x.h0, [batch, hidden]);
  check('keys', x.keys, [batch, length, units]);
  check('queryWeight', x.queryWeight, [units, hidden]);
  check('queryBias', x.queryBias, [units]);
  check('scoreWeight', x.scoreWeight, [1, units]);
  check('scoreBias', x.scoreBias, [1]);
  check('contextWeight', x.contextWeight, [3 * hidden, width]);
  check('weightHh', x.weightHh, [3 * hidden, hidden]);
  check('biasHn', x.biasHn, [hidden]);
  checkMask(op, x.mask, batch, length);
  return { ...sizes, units };
}

export function arraysOf(x: BahdanauGRUSequenceInputs): SequenceArrays {
  const f = (t: Tensor) => t.data as Float32Array;
  return {
    embedded: f(x.embedded),
    h0: f(x.h0),
    keys: f(x.keys),
    memory: f(x.memory),
    mask: x.mask ? (x.mask.data as Uint8Array) : null,
    wq: f(x.queryWeight),
    bq: x.queryBias ? f(x.queryBias) : null,
    v: f(x.scoreWeight),
    vBias: x.scoreBias ? f(x.scoreBias)[0]! : 0,
    wc: f(x.contextWeight),
    whh: f(x.weightHh),
    bhn: x.biasHn ? f(x.biasHn) : null,
  };
}

/** The additive-attention kernel's shape fields. */
export function attentionShape(s: SequenceShape, a: SequenceArrays) {
  return { batch: s.batch, length: s.length, units: s.units, width: s.width, vBias: a.vBias };
}
