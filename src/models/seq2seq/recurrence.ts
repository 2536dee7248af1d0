/**
 * The step-by-step recurrence of the RNN decoders: a multi-layer GRU or LSTM (an nn.GRU / nn.LSTM, used for its
 * parameters and torch's names `weight_ih_l{l}`, …) advanced one target step at a time, with the input of layer 0
 * made of several parts (e.g. [context; embedding]) whose projections are computed separately.
 *
 * Why split: W_ih [G·H, I₁ + I₂] applied to [x₁; x₂] equals W₁x₁ + W₂x₂ with W split by columns, so the part that
 * does not depend on the previous step (the target embeddings under teacher forcing) can be projected for all T
 * steps in one matmul, and the per-step part (the attention context) needs no concatenation. Every projection is
 * laid out [G, rows, H], as the cells in nn/recurrent-step.ts want it (W read as [G, H, I], a broadcast batched
 * matmul), so no step copies a gate.
 *
 * `prepareRecurrence` builds these views once per forward pass (or decode): the column blocks are copies (split)
 * with gradients flowing back to W_ih; the rest are reshapes sharing the parameters' storage.
 */
import { LSTM, type GRU } from '../../nn/rnn.js';
import { GATES, gruStep, lstmStep, stepWeights, type StepWeights } from '../../nn/recurrent-step.js';
import { fail } from '../../tensor/errors.js';
import { add, linear, matmul, mul, permute, reshape, split, transpose } from '../../tensor/ops/index.js';
import { Tensor } from '../../tensor/tensor.js';

/** The recurrent cell of an encoder or decoder. */
export type RNNCellKind = 'gru' | 'lstm';

export interface RecurrenceWeights {
  readonly mode: 'GRU' | 'LSTM';
  readonly gates: number;
  readonly hidden: number;
  /** Layer 0: the column block of W_ih for each input part, as [G, H, I_k] (batched over gates). */
  readonly parts: readonly Tensor[];
  /** The same blocks as [G·H, I_k], for projecting whole sequences at once. */
  readonly parts2d: readonly Tensor[];
  /** Layers ≥ 1: W_ih as [G, H, H] (null at layer 0). */
  readonly ih: readonly (Tensor | null)[];
  /**
   * Per layer, the bias added once to the input projection, [G, 1, H]: b_ih + b_hh for LSTM, b_ih + [b_hr, b_hz, 0]
   * for GRU (b_hn stays inside r ⊙ (…), in StepWeights); null without biases.
   */
  readonly bias: readonly (Tensor | null)[];
  readonly step: readonly StepWeights[];
}

/** Views of `rnn`'s parameters for stepping, layer 0's input split into parts of the given widths. */
export function prepareRecurrence(rnn: GRU | LSTM, splits: readonly number[]): RecurrenceWeights {
  const mode = rnn instanceof LSTM ? 'LSTM' : 'GRU';
  const gates = GATES[mode];
  const hidden = rnn.hiddenSize;
  if (rnn.bidirectional) fail('prepareRecurrence', 'a decoder recurrence cannot be bidirectional');
  const width = splits.reduce((a, b) => a + b, 0);
  if (width !== rnn.inputSize)
    fail('prepareRecurrence', `input parts [${splits.join(', ')}] do not add up to ${rnn.inputSize}`);
  const parts: Tensor[] = [];
  const parts2d: Tensor[] = [];
  const ih: (Tensor | null)[] = [];
  const bias: (Tensor | null)[] = [];
  const step: StepWeights[] = [];
  rnn.allWeights.forEach((w, layer) => {
    if (layer === 0) {
      const blocks = splits.length === 1 ? [w.weightIh] : split(w.weightIh, splits, 1);
      blocks.forEach((block, k) => {
        parts2d.push(block);
        parts.push(reshape(block, [gates, hidden, splits[k]!]));
      });
      ih.push(null);
    } else {
      ih.push(reshape(w.weightIh, [gates, hidden, w.weightIh.shape[1]!]));
    }
    let b: Tensor | null = null;
    if (w.biasIh && w.biasHh) {
      if (mode === 'LSTM') b = add(w.biasIh, w.biasHh);
      else {
        const keep = new Float32Array(gates * hidden).fill(1, 0, 2 * hidden);
        b = add(w.biasIh, mul(w.biasHh, new Tensor(keep, [gates * hidden])));
      }
      b = reshape(b, [gates, 1, hidden]);
    }
    bias.push(b);
    step.push(stepWeights(mode, w));
  });
  return { mode, gates, hidden, parts, parts2d, ih, bias, step };
}

/** Layer 0's pre-activation term of input part k for one step: x [rows, I_k] → [G, rows, H] (+ bias if asked). */
export function projectPart(w: RecurrenceWeights, k: number, x: Tensor, withBias: boolean): Tensor {
  const p = matmul(x, w.parts[k]!, { transB: true });
  const b = withBias ? w.bias[0] : null;
  return b ? add(p, b) : p;
}

/**
 * Layer 0's pre-activation term of input part k for every step at once, with the bias: x [T, B, I_k] → GEMM
 * rows [T, B, G·H] (each row's gates side by side, as the fused recurrences read them).
 */
export function projectPartRows(w: RecurrenceWeights, k: number, x: Tensor): Tensor {
  const b = w.bias[0];
  return linear(x, w.parts2d[k]!, b ? reshape(b, [w.gates * w.hidden]) : null);
}

/** Rows [T, B, G·H] → gate-major [T, G, B, H] (unbind then gives each step's [G, B, H] without copying). */
export function gateMajor(w: RecurrenceWeights, rows: Tensor): Tensor {
  const [steps, batch] = rows.shape as [number, number];
  return permute(reshape(rows, [steps, batch, w.gates, w.hidden]), [0, 2, 1, 3]);
}

/** [B, T] → [T, B] (for ids, so that the embedding lookup writes time-major rows directly). */
export function timeMajor(ids: Tensor): Tensor {
  return transpose(ids, 0, 1);
}

/**
 * One step of every layer. x0: layer 0's full pre-activation [G, rows, H] (bias included); h, c: the states of
 * each layer [rows, H] (c null for GRU); `between` is applied to a layer's output before the next layer reads it
 * (dropout). Returns the new states.
 */
export function recurrenceStep(
  w: RecurrenceWeights,
  x0: Tensor,
  h: readonly Tensor[],
  c: readonly Tensor[] | null,
  between: (x: Tensor) => Tensor,
): { h: Tensor[]; c: Tensor[] | null } {
  const hOut: Tensor[] = [];
  const cOut: Tensor[] | null = c ? [] : null;
  for (let layer = 0; layer < h.length; layer++) {
    let xg = x0;
    if (layer > 0) {
      xg = matmul(between(hOut[layer - 1]!), w.ih[layer]!, { transB: true });
      const b = w.bias[layer];
      if (b) xg = add(xg, b);
    }
    if (c) {
      const next = lstmStep(xg, h[layer]!, c[layer]!, w.step[layer]!);
      hOut.push(next.h);
      cOut!.push(next.c);
    } else {
      hOut.push(gruStep(xg, h[layer]!, w.step[layer]!));
    }
  }
  return { h: hOut, c: cOut };
}
