/**
 * The forward loop of luongGruSequence. With h the state before step t (h0 first) and h̃ the attentional state
 * of the step before (feed0, or nothing, first):
 *
 *   h'    = GRUCell(embedded[t] + W_f h̃, h)                 (W_f: the fed-back columns of weight_ih)
 *   e_s   = h'·keys_s,  α = softmax(e)  (masked keys get 0),  context = Σ_s α_s memory_s
 *   h̃'    = tanh(W_c [context; h'])
 *
 * The products are those LuongDecoder.core makes, on raw storage: one GEMM per weight on weights packed once
 * for the loop (rows [B, 3H] as the GRU cell kernel reads them), and the attention as the readable path
 * computes it, a batch of B one-row products for the scores and for the context around the softmax kernel.
 */
import { backend } from '../../tensor/ops/common.js';
import { uninitialisedFloats } from '../../tensor/storage.js';
import { addInto, batchFirstRows, block, gemmPacked, packRhs, releasePacks } from '../sequence-kernels.js';
import type { SequenceArrays, SequenceShape } from './shape.js';

/** What the forward pass writes: the outputs, and per step what the backward pass reads. */
export interface ForwardRecord {
  /** [T + 1, B, H]: h0, then the state after each step; block t is the previous state of step t. */
  states: Float32Array;
  /**
   * [T + 1, B, H]: the h̃ fed into each step (block 0: feed0, or zeros when there is none; block t + 1: h̃ of
   * step t). Without input feeding, block 0 stays empty and only the h̃ are kept.
   */
  feeds: Float32Array;
  /** [T, B, E + H]: each step's [context; h'], the input of W_c. */
  cat: Float32Array;
  /** [T, B, S] the attention weights, [T, B, 3H] h·W_hhᵀ and the gates r | z | n. */
  alpha: Float32Array;
  hg: Float32Array;
  gates: Float32Array;
  /** The outputs, batch-first: h̃ [B, T, H], weights [B, T, S]. */
  outputs: Float32Array;
  weightsOut: Float32Array;
}

export function luongGruForward(s: SequenceShape, a: SequenceArrays): ForwardRecord {
  const { steps, batch, hidden, g3, length, width, cat } = s;
  const be = backend();
  const n = batch * hidden;
  const states = uninitialisedFloats((steps + 1) * n);
  states.set(a.h0);
  const feeds = uninitialisedFloats((steps + 1) * n);
  if (a.feed0) feeds.set(a.feed0);
  else feeds.fill(0, 0, n);
  const r: ForwardRecord = {
    states,
    feeds,
    cat: uninitialisedFloats(steps * batch * cat),
    alpha: uninitialisedFloats(steps * batch * length),
    hg: uninitialisedFloats(steps * 3 * n),
    gates: uninitialisedFloats(steps * 3 * n),
    // Written after the loop.
    outputs: new Float32Array(0),
    weightsOut: new Float32Array(0),
  };
  const xg = uninitialisedFloats(3 * n);
  const scores = uninitialisedFloats(batch * length);
  const context = uninitialisedFloats(batch * width);
  const pre = uninitialisedFloats(n);
  // h̃·W_fᵀ, h·W_hhᵀ and [c; h']·W_cᵀ at every step: each weight packed once for the whole loop.
  const wfRows = a.wf ? packRhs(a.wf, hidden, g3, true) : null;
  const whhRows = packRhs(a.whh, hidden, g3, true);
  const wcRows = packRhs(a.wc, cat, hidden, true);
  for (let t = 0; t < steps; t++) {
    const prev = block(states, t, n);
    const h = block(states, t + 1, n);
    // xg = embedded[t] + h̃_{t−1}·W_fᵀ (the first step has no h̃ unless feed0 gives one).
    const embedded = block(a.embedded, t, 3 * n);
    if (wfRows && (t > 0 || a.feed0)) {
      gemmPacked(block(feeds, t, n), wfRows, xg, batch);
      addInto(embedded, xg, xg);
    } else xg.set(embedded);
    const hg = block(r.hg, t, 3 * n);
    gemmPacked(prev, whhRows, hg, batch);
    be.gruCell({
      xg,
      hg,
      h: prev,
      biasHn: a.bhn,
      batch,
      hidden,
      rows: true,
      hNew: h,
      gates: block(r.gates, t, 3 * n),
    });
    // e = h'·keysᵀ per row (masked: -∞), α = softmax(e), context = α·memory.
    be.matmul({
      a: h,
      b: a.keys,
      out: scores,
      batch,
      m: 1,
      n: length,
      k: hidden,
      transA: false,
      transB: true,
      strideA: hidden,
      strideB: length * hidden,
    });
    if (a.mask) for (let i = 0; i < scores.length; i++) if (a.mask[i]) scores[i] = -Infinity;
    const alpha = block(r.alpha, t, batch * length);
    be.softmax({ x: scores, outer: batch, n: length, inner: 1, log: false, out: alpha });
    be.matmul({
      a: alpha,
      b: a.memory,
      out: context,
      batch,
      m: 1,
      n: width,
      k: length,
      transA: false,
      transB: false,
      strideA: length,
      strideB: length * width,
    });
    // h̃' = tanh([context; h']·W_cᵀ).
    const catRows = block(r.cat, t, batch * cat);
    be.copy({
      src: context,
      srcOffset: 0,
      srcStrides: [width, 1],
      dst: catRows,
      dstOffset: 0,
      dstStrides: [cat, 1],
      shape: [batch, width],
    });
    be.copy({
      src: h,
      srcOffset: 0,
      srcStrides: [hidden, 1],
      dst: catRows,
      dstOffset: width,
      dstStrides: [cat, 1],
      shape: [batch, hidden],
    });
    gemmPacked(catRows, wcRows, pre, batch);
    be.unary({ op: 'tanh', x: pre, out: block(feeds, t + 1, n) });
  }
  r.outputs = batchFirstRows(feeds, steps, batch, hidden, hidden, n);
  r.weightsOut = batchFirstRows(r.alpha, steps, batch, length);
  // W_f is a column block of W_ih that the decoder copies out at every forward pass: its packs serve the next.
  if (a.wf) releasePacks(a.wf);
  return r;
}
