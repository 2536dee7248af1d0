/**
 * The forward loop of bahdanauGruSequence. With h the state before step t (h0 first):
 *
 *   q     = W2 h + b2                                      (the query projection, [B, U])
 *   e_s   = V·tanh(keys_s + q) + V.bias,  α = softmax(e)   (masked keys get 0),  context = Σ_s α_s memory_s
 *   h'    = GRUCell(embedded[t] + W_c context, h)          (W_c: the context columns of weight_ih)
 *
 * Every step is one GEMM per product on weights packed once for the loop, the fused additive-attention kernel
 * and the GRU cell kernel on row-layout gates [B, 3H], as the GEMM writes them.
 */
import { backend } from '../../tensor/ops/common.js';
import { uninitialisedFloats } from '../../tensor/storage.js';
import {
  addBias,
  addInto,
  batchFirstRows,
  block,
  gemmPacked,
  packRhs,
  releasePacks,
} from '../sequence-kernels.js';
import { attentionShape, type SequenceArrays, type SequenceShape } from './shape.js';

/** What the forward pass writes: the outputs, and per step what the backward pass reads. */
export interface ForwardRecord {
  /** [T + 1, B, H]: h0, then the state after each step; block t is the previous state of step t. */
  states: Float32Array;
  /** [T, B, U] queries, [T, B, S] weights, [T, B, E] contexts, [T, B, 3H] h·W_hhᵀ and gates r | z | n. */
  query: Float32Array;
  alpha: Float32Array;
  context: Float32Array;
  hg: Float32Array;
  gates: Float32Array;
  /** The outputs, batch-first: states [B, T, H], weights [B, T, S]. */
  statesOut: Float32Array;
  weightsOut: Float32Array;
}

export function bahdanauGruForward(s: SequenceShape, a: SequenceArrays): ForwardRecord {
  const { steps, batch, hidden, g3, length, units, width } = s;
  const be = backend();
  const n = batch * hidden;
  const attention = attentionShape(s, a);
  const states = uninitialisedFloats((steps + 1) * n);
  states.set(a.h0);
  const r: ForwardRecord = {
    states,
    query: uninitialisedFloats(steps * batch * units),
    alpha: uninitialisedFloats(steps * batch * length),
    context: uninitialisedFloats(steps * batch * width),
    hg: uninitialisedFloats(steps * 3 * n),
    gates: uninitialisedFloats(steps * 3 * n),
    // Written after the loop.
    statesOut: new Float32Array(0),
    weightsOut: new Float32Array(0),
  };
  const xg = uninitialisedFloats(3 * n);
  // h·W_qᵀ, ctx·W_cᵀ and h·W_hhᵀ at every step: each weight packed once for the whole loop.
  const wqRows = packRhs(a.wq, hidden, units, true);
  const wcRows = packRhs(a.wc, width, g3, true);
  const whhRows = packRhs(a.whh, hidden, g3, true);
  for (let t = 0; t < steps; t++) {
    const prev = block(states, t, n);
    const q = block(r.query, t, batch * units);
    gemmPacked(prev, wqRows, q, batch);
    if (a.bq) addBias(q, a.bq, batch, units);
    const alpha = block(r.alpha, t, batch * length);
    const ctx = block(r.context, t, batch * width);
    be.additiveAttention({
      keys: a.keys,
      query: q,
      v: a.v,
      memory: a.memory,
      mask: a.mask,
      ...attention,
      weights: alpha,
      context: ctx,
    });
    // xg = embedded[t] + context · W_cᵀ.
    gemmPacked(ctx, wcRows, xg, batch);
    addInto(xg, block(a.embedded, t, 3 * n), xg);
    gemmPacked(prev, whhRows, block(r.hg, t, 3 * n), batch);
    be.gruCell({
      xg,
      hg: block(r.hg, t, 3 * n),
      h: prev,
      biasHn: a.bhn,
      batch,
      hidden,
      rows: true,
      hNew: block(states, t + 1, n),
      gates: block(r.gates, t, 3 * n),
    });
  }
  r.statesOut = batchFirstRows(states, steps, batch, hidden, hidden, n);
  r.weightsOut = batchFirstRows(r.alpha, steps, batch, length);
  // W_c is a column block of W_ih that the decoder copies out at every forward pass: its packs serve the next.
  releasePacks(a.wc);
  return r;
}
