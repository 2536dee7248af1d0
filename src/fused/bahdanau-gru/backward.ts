/**
 * The backward pass of bahdanauGruSequence, in two parts:
 *
 * - `recurrenceBackward` runs the recurrence in reverse. At step t, with dh' the gradient reaching h_t (from
 *   the next step and from the states output):
 *     dxg, dhg, dh_direct = GRUCell'(dh')                   (dxg: the input pre-activations' gradient)
 *     dContext = dxg · W_c,   dq, dKeys, dV = Attention'(dContext, dα)
 *     dh_{t-1} = dh_direct + dhg · W_hh + dq · W2
 *   and keeps every step's row gradients (dxg, dhg, dq, dContext).
 * - `weightGradients` then forms each weight's gradient as one GEMM over all T·B rows (dW = Σ_t dRows_tᵀ ·
 *   inputs_t), instead of T products with k = B, and the memory's as one batched product over the steps.
 */
import { backend } from '../../tensor/ops/common.js';
import { recycleFloats, uninitialisedFloats, zeroedFloats } from '../../tensor/storage.js';
import {
  addInto,
  batchFirstRows,
  block,
  columnSums,
  gemm,
  gemmPacked,
  packRhs,
  releasePacks,
  timeMajorRows,
} from '../sequence-kernels.js';
import type { ForwardRecord } from './forward.js';
import { attentionShape, type SequenceArrays, type SequenceShape } from './shape.js';

/** The upstream gradients of the three outputs, each null when nothing reached it. */
export interface Upstream {
  states: Float32Array | null;
  weights: Float32Array | null;
  last: Float32Array | null;
}

/** What the reverse loop gives: the inputs' gradients it completes, and every step's row gradients. */
export interface RecurrenceGradients {
  /** [T, B, 3H]: the gradient of each step's input pre-activations (so of `embedded`), rows r | z | n. */
  dEmbedded: Float32Array;
  /** [T, B, 3H]: the gradient of each step's h·W_hhᵀ. */
  dhgRows: Float32Array;
  /** [T, B, U]: the gradient of each step's query. */
  dQuery: Float32Array;
  /** [T, B, E]: the gradient of each step's context. */
  dContext: Float32Array;
  dKeys: Float32Array;
  dV: Float32Array;
  dVBias: number;
  /** [B, H]: the gradient of h0. */
  dh0: Float32Array;
}

export function recurrenceBackward(
  s: SequenceShape,
  a: SequenceArrays,
  f: ForwardRecord,
  up: Upstream,
): RecurrenceGradients {
  const { steps, batch, hidden, g3, length, units, width } = s;
  const be = backend();
  const n = batch * hidden;
  const attention = attentionShape(s, a);
  // Upstream gradients, time-major.
  const gS = timeMajorRows(up.states, steps, batch, hidden);
  const gW = timeMajorRows(up.weights, steps, batch, length);
  const g: RecurrenceGradients = {
    dEmbedded: uninitialisedFloats(steps * 3 * n),
    dhgRows: uninitialisedFloats(steps * 3 * n),
    dQuery: uninitialisedFloats(steps * batch * units),
    dContext: uninitialisedFloats(steps * batch * width),
    dKeys: zeroedFloats(batch * length * units),
    dV: new Float32Array(units),
    dVBias: 0,
    dh0: up.last ? uninitialisedFloats(n) : zeroedFloats(n),
  };
  // dh is the gradient reaching the state before the current step; after the loop, h0's.
  const dh = g.dh0;
  if (up.last) dh.set(up.last);
  // Overwritten at every step before they are read.
  const dhNew = uninitialisedFloats(n);
  const dhDirect = uninitialisedFloats(n);
  const dhPart = uninitialisedFloats(n);
  const dScores = new Float32Array(batch * length);
  // dx·W_c, dhg·W_hh and dq·W_q at every step, each weight packed once for the loop.
  const wcCols = packRhs(a.wc, g3, width, false);
  const whhCols = packRhs(a.whh, g3, hidden, false);
  const wqCols = packRhs(a.wq, units, hidden, false);
  for (let t = steps - 1; t >= 0; t--) {
    if (gS) addInto(dh, block(gS, t, n), dhNew);
    else dhNew.set(dh);
    const dx = block(g.dEmbedded, t, 3 * n);
    const dhg = block(g.dhgRows, t, 3 * n);
    be.gruCellGrad({
      hg: block(f.hg, t, 3 * n),
      h: block(f.states, t, n),
      biasHn: a.bhn,
      gates: block(f.gates, t, 3 * n),
      dhNew,
      batch,
      hidden,
      rows: true,
      dxg: dx,
      dhg,
      dh: dhDirect,
    });
    const dCtx = block(g.dContext, t, batch * width);
    gemmPacked(dx, wcCols, dCtx, batch);
    gemmPacked(dhg, whhCols, dhPart, batch);
    const dq = block(g.dQuery, t, batch * units);
    be.additiveAttentionGrad({
      keys: a.keys,
      query: block(f.query, t, batch * units),
      v: a.v,
      memory: a.memory,
      mask: a.mask,
      ...attention,
      weights: block(f.alpha, t, batch * length),
      dContext: dCtx,
      dWeights: gW ? block(gW, t, batch * length) : null,
      dScores,
      dQuery: dq,
      dKeys: g.dKeys,
      dV: g.dV,
      dMemory: null,
    });
    for (let i = 0; i < dScores.length; i++) g.dVBias += dScores[i]!;
    // dh_prev = z ⊙ dh' + dhg · W_hh + dq · W2.
    gemmPacked(dq, wqCols, dh, batch);
    addInto(dh, dhPart, dh);
    addInto(dh, dhDirect, dh);
  }
  releasePacks(a.wc);
  recycleFloats(dhNew, dhDirect, dhPart);
  if (gS) recycleFloats(gS);
  if (gW) recycleFloats(gW);
  return g;
}

/** The gradients formed after the loop, each from every step's rows at once. */
export interface WeightGradients {
  dMemory: Float32Array;
  dWq: Float32Array;
  dWc: Float32Array;
  dWhh: Float32Array;
  /** null when the input has no bias. */
  dbq: Float32Array | null;
  dbhn: Float32Array | null;
}

export function weightGradients(
  s: SequenceShape,
  a: SequenceArrays,
  f: ForwardRecord,
  g: RecurrenceGradients,
): WeightGradients {
  const { steps, batch, hidden, g3, length, units, width } = s;
  const be = backend();
  // dMemory[b] = Σ_t α_t[b]ᵀ ⊗ dContext_t[b] as one batched product over the steps (k = T), not T outer
  // products added into [S, E]. The weights output already holds α batch-major ([B, T, S]); the contexts'
  // gradients are made batch-major here.
  const dCtxRows = batchFirstRows(g.dContext, steps, batch, width);
  // Written whole by the product.
  const dMemory = uninitialisedFloats(batch * length * width);
  be.matmul({
    a: f.weightsOut,
    b: dCtxRows,
    out: dMemory,
    batch,
    m: length,
    n: width,
    k: steps,
    transA: true,
    transB: false,
    strideA: steps * length,
    strideB: steps * width,
  });
  const prevStates = f.states.subarray(0, steps * batch * hidden);
  const rowsAll = steps * batch;
  const dWq = uninitialisedFloats(units * hidden);
  gemm(g.dQuery, prevStates, dWq, units, hidden, rowsAll, true, false);
  const dWc = uninitialisedFloats(g3 * width);
  gemm(g.dEmbedded, f.context, dWc, g3, width, rowsAll, true, false);
  const dWhh = uninitialisedFloats(g3 * hidden);
  gemm(g.dhgRows, prevStates, dWhh, g3, hidden, rowsAll, true, false);
  let dbq: Float32Array | null = null;
  if (a.bq) {
    dbq = new Float32Array(units);
    columnSums(g.dQuery, rowsAll, units, dbq);
  }
  let dbhn: Float32Array | null = null;
  if (a.bhn) {
    const sums = new Float32Array(g3);
    columnSums(g.dhgRows, rowsAll, g3, sums);
    dbhn = sums.slice(2 * hidden);
  }
  recycleFloats(dCtxRows);
  return { dMemory, dWq, dWc, dWhh, dbq, dbhn };
}
