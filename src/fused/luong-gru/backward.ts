/**
 * The backward pass of luongGruSequence, in two parts:
 *
 * - `recurrenceBackward` runs the recurrence in reverse. At step t, with dh̃' the gradient reaching h̃_t (from
 *   the outputs and, through input feeding, from step t + 1) and dh' the gradient reaching h_t from step t + 1:
 *     dpre = dh̃' ⊙ (1 − h̃'²),   [dcontext; dh'₁] = dpre · W_c
 *     dα = dcontext · memoryᵀ (+ the weights output's gradient),   de = softmax'(α, dα)
 *     dh'  += dh'₁ + de · keys
 *     dxg, dhg, dh_direct = GRUCell'(dh')
 *     dh̃_{t-1} = dxg · W_f,   dh_{t-1} = dh_direct + dhg · W_hh
 *   and keeps every step's row gradients (dxg, dhg, dpre, de, dcontext).
 * - `weightGradients` then forms each weight's gradient as one GEMM over all T·B rows (dW = Σ_t dRows_tᵀ ·
 *   inputs_t), and the keys' and memory's as one batched product over the steps (k = T).
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
import type { SequenceArrays, SequenceShape } from './shape.js';

/** The upstream gradients of the three outputs, each null when nothing reached it. */
export interface Upstream {
  outputs: Float32Array | null;
  weights: Float32Array | null;
  last: Float32Array | null;
}

/** What the reverse loop gives: the inputs' gradients it completes, and every step's row gradients. */
export interface RecurrenceGradients {
  /** [T, B, 3H]: the gradient of each step's input pre-activations (so of `embedded`), rows r | z | n. */
  dEmbedded: Float32Array;
  /** [T, B, 3H]: the gradient of each step's h·W_hhᵀ. */
  dhgRows: Float32Array;
  /** [T, B, H]: the gradient of each step's W_c [c; h'] (before tanh). */
  dPre: Float32Array;
  /** [T, B, E + H]: the gradient of each step's [c; h'] (the context's columns are read by weightGradients). */
  dCat: Float32Array;
  /** [T, B, S]: the gradient of each step's scores. */
  dScores: Float32Array;
  /** [B, H]: the gradient of h0. */
  dh0: Float32Array;
  /** [B, H]: the gradient of feed0 (null when there is none). */
  dFeed0: Float32Array | null;
}

export function recurrenceBackward(
  s: SequenceShape,
  a: SequenceArrays,
  f: ForwardRecord,
  up: Upstream,
): RecurrenceGradients {
  const { steps, batch, hidden, g3, length, width, cat } = s;
  const be = backend();
  const n = batch * hidden;
  // Upstream gradients, time-major.
  const gOut = timeMajorRows(up.outputs, steps, batch, hidden);
  const gW = timeMajorRows(up.weights, steps, batch, length);
  const g: RecurrenceGradients = {
    dEmbedded: uninitialisedFloats(steps * 3 * n),
    dhgRows: uninitialisedFloats(steps * 3 * n),
    dPre: uninitialisedFloats(steps * n),
    dCat: uninitialisedFloats(steps * batch * cat),
    dScores: uninitialisedFloats(steps * batch * length),
    dh0: up.last ? uninitialisedFloats(n) : zeroedFloats(n),
    dFeed0: a.feed0 ? uninitialisedFloats(n) : null,
  };
  // dh: the gradient reaching the state before the current step from later steps (after the loop, h0's);
  // dFeed: the gradient reaching the h̃ fed into the current step (zero for the last step's own h̃).
  const dh = g.dh0;
  if (up.last) dh.set(up.last);
  const dFeed = zeroedFloats(n);
  // Overwritten at every step before they are read.
  const dAtt = uninitialisedFloats(n);
  const dhNew = uninitialisedFloats(n);
  const dhDirect = uninitialisedFloats(n);
  const dhPart = uninitialisedFloats(n);
  const dAlpha = uninitialisedFloats(batch * length);
  // dpre·W_c, dxg·W_f and dhg·W_hh at every step, each weight packed once for the loop.
  const wcCols = packRhs(a.wc, hidden, cat, false);
  const wfCols = a.wf ? packRhs(a.wf, g3, hidden, false) : null;
  const whhCols = packRhs(a.whh, g3, hidden, false);
  for (let t = steps - 1; t >= 0; t--) {
    // dh̃' = the outputs' gradient + what step t + 1 sent back through input feeding.
    if (gOut) addInto(dFeed, block(gOut, t, n), dAtt);
    else dAtt.set(dFeed);
    const feed = block(f.feeds, t + 1, n);
    const dPre = block(g.dPre, t, n);
    // tanh′ through its output: 1 − h̃'² (the kernel reads y alone for tanh).
    be.unaryGrad({ op: 'tanh', x: feed, y: feed, dy: dAtt, dx: dPre });
    const dCat = block(g.dCat, t, batch * cat);
    gemmPacked(dPre, wcCols, dCat, batch);
    // dα = dcontext · memoryᵀ per row (dcontext: the first E columns of dCat's rows).
    be.matmul({
      a: dCat,
      b: a.memory,
      out: dAlpha,
      batch,
      m: 1,
      n: length,
      k: width,
      transA: false,
      transB: true,
      strideA: cat,
      strideB: length * width,
    });
    if (gW) addInto(dAlpha, block(gW, t, batch * length), dAlpha);
    const alpha = block(f.alpha, t, batch * length);
    const de = block(g.dScores, t, batch * length);
    be.softmaxGrad({ y: alpha, dy: dAlpha, outer: batch, n: length, inner: 1, log: false, dx: de });
    // dh' = dh (from step t + 1) + the h' columns of dCat + de · keys.
    be.matmul({
      a: de,
      b: a.keys,
      out: dhPart,
      batch,
      m: 1,
      n: hidden,
      k: length,
      transA: false,
      transB: false,
      strideA: length,
      strideB: length * hidden,
    });
    be.copy({
      src: dCat,
      srcOffset: width,
      srcStrides: [cat, 1],
      dst: dhNew,
      dstOffset: 0,
      dstStrides: [hidden, 1],
      shape: [batch, hidden],
    });
    addInto(dhNew, dhPart, dhNew);
    addInto(dhNew, dh, dhNew);
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
    // dh̃_{t−1} = dxg · W_f (step 0's goes to feed0, when there is one).
    if (wfCols && t > 0) gemmPacked(dx, wfCols, dFeed, batch);
    else if (wfCols && g.dFeed0) gemmPacked(dx, wfCols, g.dFeed0, batch);
    // dh_{t−1} = z ⊙ dh' + dhg · W_hh.
    gemmPacked(dhg, whhCols, dhPart, batch);
    addInto(dhPart, dhDirect, dh);
  }
  if (a.wf) releasePacks(a.wf);
  recycleFloats(dFeed, dAtt, dhNew, dhDirect, dhPart, dAlpha);
  if (gOut) recycleFloats(gOut);
  if (gW) recycleFloats(gW);
  return g;
}

/** The gradients formed after the loop, each from every step's rows at once. */
export interface WeightGradients {
  dKeys: Float32Array;
  dMemory: Float32Array;
  /** null without input feeding. */
  dWf: Float32Array | null;
  dWhh: Float32Array;
  dWc: Float32Array;
  /** null when the input has no bias. */
  dbhn: Float32Array | null;
}

export function weightGradients(
  s: SequenceShape,
  a: SequenceArrays,
  f: ForwardRecord,
  g: RecurrenceGradients,
): WeightGradients {
  const { steps, batch, hidden, g3, length, width, cat } = s;
  const be = backend();
  const n = batch * hidden;
  // Per row b, over the steps (k = T): dKeys[b] = Σ_t de_t[b]ᵀ ⊗ h'_t[b] and dMemory[b] = Σ_t α_t[b]ᵀ ⊗
  // dcontext_t[b], each one batched product on batch-major copies of the time-major rows (the weights output
  // already holds α batch-major, [B, T, S]).
  const dScoreRows = batchFirstRows(g.dScores, steps, batch, length);
  const stateRows = batchFirstRows(f.states, steps, batch, hidden, hidden, n);
  const dCtxRows = batchFirstRows(g.dCat, steps, batch, width, cat);
  const product = (x: Float32Array, y: Float32Array, cols: number): Float32Array => {
    // Written whole by the product.
    const out = uninitialisedFloats(batch * length * cols);
    be.matmul({
      a: x,
      b: y,
      out,
      batch,
      m: length,
      n: cols,
      k: steps,
      transA: true,
      transB: false,
      strideA: steps * length,
      strideB: steps * cols,
    });
    return out;
  };
  const dKeys = product(dScoreRows, stateRows, hidden);
  const dMemory = product(f.weightsOut, dCtxRows, width);
  const rowsAll = steps * batch;
  let dWf: Float32Array | null = null;
  if (a.wf) {
    // Step t read h̃_{t−1} = feeds block t (block 0: feed0 or zeros).
    dWf = uninitialisedFloats(g3 * hidden);
    gemm(g.dEmbedded, f.feeds.subarray(0, rowsAll * hidden), dWf, g3, hidden, rowsAll, true, false);
  }
  const dWhh = uninitialisedFloats(g3 * hidden);
  gemm(g.dhgRows, f.states.subarray(0, rowsAll * hidden), dWhh, g3, hidden, rowsAll, true, false);
  const dWc = uninitialisedFloats(hidden * cat);
  gemm(g.dPre, f.cat, dWc, hidden, cat, rowsAll, true, false);
  let dbhn: Float32Array | null = null;
  if (a.bhn) {
    const sums = new Float32Array(g3);
    columnSums(g.dhgRows, rowsAll, g3, sums);
    dbhn = sums.slice(2 * hidden);
  }
  recycleFloats(dScoreRows, stateRows, dCtxRows);
  return { dKeys, dMemory, dWf, dWhh, dWc, dbhn };
}
