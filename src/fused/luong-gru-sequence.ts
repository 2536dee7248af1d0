/**
 * luongGruSequence: the teacher-forced loop of a one-layer GRU decoder with Luong's global attention (a 'dot'
 * or 'general' score, softmax) and, optionally, input feeding, every step in one op. With h the state before
 * step t (h0 first) and h̃ the attentional state of the step before (feed0, or none, first):
 *
 *   h'    = GRUCell(embedded[t] + W_f h̃, h)                 (W_f: the fed-back columns of weight_ih)
 *   e_s   = h'·keys_s,  α = softmax(e)  (masked keys get 0),  context = Σ_s α_s memory_s
 *   h̃'    = tanh(W_c [context; h'])
 *
 * embedded [T, B, 3H] holds the embedding columns' products of all steps, rows r | z | n as one GEMM gives them,
 * with b_ih (+ b_hr, b_hz) folded in by the caller; keys [B, S, H] are the score's prepared keys (W k for
 * 'general', the encoder outputs for 'dot'), made once per batch by the caller (see luong-gru/shape.ts for
 * every input). Returns outputs [B, T, H] (h̃ of each step, batch-first as the decoder's outputs are), weights
 * [B, T, S] and last [B, H] (h after the last step; the last h̃ is the outputs' last step).
 *
 * The arithmetic is that of LuongDecoder.core (the same kernels: matmul, softmax, gruCell, tanh); what it saves
 * is per-step autograd nodes and buffers and the per-gate products of the fed-back h̃, and the weight gradients
 * (W_f, W_hh, W_c) come from one GEMM each over all T·B rows rather than T products with k = B. The forward
 * loop, the reverse loop and the weight gradients are in luong-gru/.
 */
import { recordOutputs } from '../tensor/ops/multi-output.js';
import { recycleFloats } from '../tensor/storage.js';
import { Tensor } from '../tensor/tensor.js';
import { recurrenceBackward, weightGradients } from './luong-gru/backward.js';
import { luongGruForward } from './luong-gru/forward.js';
import { arraysOf, checkInputs, type LuongGRUSequenceInputs } from './luong-gru/shape.js';

export type { LuongGRUSequenceInputs } from './luong-gru/shape.js';

export interface LuongGRUSequenceResult {
  /** [B, T, H]: the attentional state h̃ of each step. */
  outputs: Tensor;
  /** [B, T, S]: the attention weights of each step. */
  weights: Tensor;
  /** [B, H]: the state after the last step. */
  last: Tensor;
}

export function luongGruSequence(x: LuongGRUSequenceInputs): LuongGRUSequenceResult {
  const op = 'luongGruSequence';
  const s = checkInputs(op, x);
  const a = arraysOf(x);
  const f = luongGruForward(s, a);
  const outputsT = new Tensor(f.outputs, [s.batch, s.steps, s.hidden], 'float32');
  const weightsT = new Tensor(f.weightsOut, [s.batch, s.steps, s.length], 'float32');
  const last = new Tensor(f.states.slice(s.steps * s.batch * s.hidden), [s.batch, s.hidden], 'float32');

  // The inputs in gradient order; null ones (no feed, no bias) take no part.
  const named = [
    x.embedded,
    x.h0,
    x.feed0,
    x.keys,
    x.memory,
    x.feedWeight,
    x.weightHh,
    x.biasHn,
    x.outputWeight,
  ];
  const inputs = named.filter((t): t is Tensor => t !== null);
  const outs = recordOutputs(op, [outputsT, weightsT, last], inputs, ([gOutputs, gWeights, gLast]) => {
    const raw = (t: Tensor | null | undefined) => (t ? (t.data as Float32Array) : null);
    const g = recurrenceBackward(s, a, f, {
      outputs: raw(gOutputs),
      weights: raw(gWeights),
      last: raw(gLast),
    });
    const w = weightGradients(s, a, f, g);
    const grads = [g.dEmbedded, g.dh0, g.dFeed0, w.dKeys, w.dMemory, w.dWf, w.dWhh, w.dbhn, w.dWc];
    // The graph runs a backward once: the buffers only this op saw go back for reuse.
    recycleFloats(f.states, f.feeds, f.cat, f.alpha, f.hg, f.gates, g.dhgRows, g.dPre, g.dCat, g.dScores);
    return named.flatMap((t, i) => (t === null ? [] : [new Tensor(grads[i]!, t.shape, 'float32')]));
  });
  return { outputs: outs[0]!, weights: outs[1]!, last: outs[2]! };
}
