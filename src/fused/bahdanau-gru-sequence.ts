/**
 * bahdanauGruSequence: the teacher-forced loop of a one-layer GRU decoder with additive (Bahdanau) attention,
 * every step in one op. With h the state before step t (h0 first):
 *
 *   q     = W2 h + b2                                      (the query projection, [B, U])
 *   e_s   = V·tanh(keys_s + q) + V.bias,  α = softmax(e)   (masked keys get 0),  context = Σ_s α_s memory_s
 *   h'    = GRUCell(embedded[t] + W_c context, h)          (W_c: the context columns of weight_ih)
 *
 * embedded [T, B, 3H] holds the embedding columns' products of all steps, rows r | z | n as one GEMM gives them,
 * with b_ih (+ b_hr, b_hz) folded in by the caller; keys [B, S, U] = W1·memory + b1, projected once per batch by
 * the caller (see bahdanau-gru/shape.ts for every input). Returns states [B, T, H] (h after each step,
 * batch-first as the decoder's outputs are), weights [B, T, S] and last [B, H].
 *
 * The arithmetic is that of BahdanauDecoder's step (the same kernels: matmul, the fused additive attention,
 * gruCell); what it saves is per-step autograd nodes and buffers, and the weight gradients (W2, W_c, W_hh) come
 * from one GEMM each over all T·B rows rather than T products with k = B. The forward loop, the reverse loop and
 * the weight gradients are in bahdanau-gru/.
 */
import { recordOutputs } from '../tensor/ops/multi-output.js';
import { recycleFloats } from '../tensor/storage.js';
import { Tensor } from '../tensor/tensor.js';
import { recurrenceBackward, weightGradients } from './bahdanau-gru/backward.js';
import { bahdanauGruForward } from './bahdanau-gru/forward.js';
import { arraysOf, checkInputs, type BahdanauGRUSequenceInputs } from './bahdanau-gru/shape.js';

export type { BahdanauGRUSequenceInputs } from './bahdanau-gru/shape.js';

export interface BahdanauGRUSequenceResult {
  /** [B, T, H]: the state after each step. */
  states: Tensor;
  /** [B, T, S]: the attention weights of each step. */
  weights: Tensor;
  /** [B, H]: the state after the last step. */
  last: Tensor;
}

export function bahdanauGruSequence(x: BahdanauGRUSequenceInputs): BahdanauGRUSequenceResult {
  const op = 'bahdanauGruSequence';
  const s = checkInputs(op, x);
  const a = arraysOf(x);
  const f = bahdanauGruForward(s, a);
  const statesT = new Tensor(f.statesOut, [s.batch, s.steps, s.hidden], 'float32');
  const weightsT = new Tensor(f.weightsOut, [s.batch, s.steps, s.length], 'float32');
  const last = new Tensor(f.states.slice(s.steps * s.batch * s.hidden), [s.batch, s.hidden], 'float32');

  // The inputs in gradient order; null ones (no bias) take no part.
  const named = [
    x.embedded,
    x.h0,
    x.keys,
    x.memory,
    x.queryWeight,
    x.queryBias,
    x.scoreWeight,
    x.scoreBias,
    x.contextWeight,
    x.weightHh,
    x.biasHn,
  ];
  const inputs = named.filter((t): t is Tensor => t !== null);
  const outs = recordOutputs(op, [statesT, weightsT, last], inputs, ([gStates, gWeights, gLast]) => {
    const raw = (t: Tensor | null | undefined) => (t ? (t.data as Float32Array) : null);
    const g = recurrenceBackward(s, a, f, {
      states: raw(gStates),
      weights: raw(gWeights),
      last: raw(gLast),
    });
    const w = weightGradients(s, a, f, g);
    const grads = [
      g.dEmbedded,
      g.dh0,
      g.dKeys,
      w.dMemory,
      w.dWq,
      w.dbq,
      g.dV,
      Float32Array.of(g.dVBias),
      w.dWc,
      w.dWhh,
      w.dbhn,
    ];
    // The graph runs a backward once: the buffers only this op saw go back for reuse.
    recycleFloats(f.states, f.query, f.alpha, f.context, f.hg, f.gates, g.dhgRows, g.dQuery, g.dContext);
    return named.flatMap((t, i) => (t === null ? [] : [new Tensor(grads[i]!, t.shape, 'float32')]));
  });
  return { states: outs[0]!, weights: outs[1]!, last: outs[2]! };
}
