/**
 * bahdanauGruSequence: the teacher-forced loop of a one-layer GRU decoder with additive (Bahdanau) attention,
 * every step in one op. With h the state before step t (h0 first):
 *
 *   q     = W2 h + b2                                      (the query projection, [B, U])
 *   e_s   = V·tanh(keys_s + q) + V.bias,  α = softmax(e)   (masked keys get 0),  context = Σ_s α_s memory_s
 *   h'    = GRUCell(embedded[t] + W_c context, h)          (W_c: the context columns of weight_ih)
 *
 * embedded [T, B, 3H] holds the embedding columns' products of all steps, rows r | z | n as one GEMM gives them,
 * with b_ih (+ b_hr, b_hz) folded in (by the caller); keys [B, S, U] = W1·memory + b1 (projected once per batch by the caller);
 * memory [B, S, E]; mask bool [B, S] (true = padding) or null; queryWeight [U, H], queryBias [U] or null;
 * scoreWeight [1, U], scoreBias [1] or null; contextWeight [3H, E]; weightHh [3H, H]; biasHn [H] or null.
 * Returns states [B, T, H] (h after each step, batch-first as the decoder's outputs are), weights [B, T, S] and
 * last [B, H].
 *
 * The arithmetic is that of the step-by-step decoder (the same kernels: matmul, the fused additive attention,
 * gruCell); what it saves is per-step autograd nodes and buffers, and the weight gradients (W2, W_c, W_hh) come
 * from one GEMM each over all T·B rows rather than T products with k = B.
 */
import { fail } from '../errors.js';
import { formatShape, shapesEqual } from '../shape.js';
import { recycleFloats, uninitialisedFloats, zeroedFloats } from '../storage.js';
import { Tensor } from '../tensor.js';
import { backend, floatData } from './common.js';
import { recordOutputs } from './multi-output.js';
import { addBias, addInto, columnSums, gemm, gemmPacked, packRhs, releasePacks } from './sequence-kernels.js';

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

export interface BahdanauGRUSequenceResult {
  /** [B, T, H]: the state after each step. */
  states: Tensor;
  /** [B, T, S]: the attention weights of each step. */
  weights: Tensor;
  /** [B, H]: the state after the last step. */
  last: Tensor;
}

function check(op: string, name: string, t: Tensor | null, shape: readonly number[]): void {
  if (t === null) return;
  floatData(op, t, name);
  if (!shapesEqual(t.shape, shape))
    fail(op, `${name} must be ${formatShape(shape)}, got ${formatShape(t.shape)}`);
}

export function bahdanauGruSequence(x: BahdanauGRUSequenceInputs): BahdanauGRUSequenceResult {
  const op = 'bahdanauGruSequence';
  floatData(op, x.embedded, 'embedded');
  floatData(op, x.memory, 'memory');
  if (x.embedded.ndim !== 3 || x.embedded.shape[0] === 0 || x.embedded.shape[2]! % 3 !== 0)
    fail(op, `embedded must be [T, B, 3H] with T ≥ 1, got ${formatShape(x.embedded.shape)}`);
  const [steps, batch, g3] = x.embedded.shape as [number, number, number];
  const hidden = g3 / 3;
  if (x.memory.ndim !== 3 || x.memory.shape[0] !== batch)
    fail(op, `memory must be [${batch}, S, E], got ${formatShape(x.memory.shape)}`);
  const [, length, width] = x.memory.shape as [number, number, number];
  const units = x.queryWeight.shape[0]!;
  check(op, 'h0', x.h0, [batch, hidden]);
  check(op, 'keys', x.keys, [batch, length, units]);
  check(op, 'queryWeight', x.queryWeight, [units, hidden]);
  check(op, 'queryBias', x.queryBias, [units]);
  check(op, 'scoreWeight', x.scoreWeight, [1, units]);
  check(op, 'scoreBias', x.scoreBias, [1]);
  check(op, 'contextWeight', x.contextWeight, [3 * hidden, width]);
  check(op, 'weightHh', x.weightHh, [3 * hidden, hidden]);
  check(op, 'biasHn', x.biasHn, [hidden]);
  if (x.mask !== null && (x.mask.dtype !== 'bool' || !shapesEqual(x.mask.shape, [batch, length])))
    fail(op, `mask must be bool [${batch}, ${length}], got ${x.mask.dtype} ${formatShape(x.mask.shape)}`);

  const be = backend();
  const n = batch * hidden;
  const cell = { batch, hidden, rows: true };
  const f = (t: Tensor) => t.data as Float32Array;
  const embedded = f(x.embedded);
  const keys = f(x.keys);
  const memory = f(x.memory);
  const mask = x.mask ? (x.mask.data as Uint8Array) : null;
  const wq = f(x.queryWeight);
  const bq = x.queryBias ? f(x.queryBias) : null;
  const v = f(x.scoreWeight);
  const wc = f(x.contextWeight);
  const whh = f(x.weightHh);
  const bhn = x.biasHn ? f(x.biasHn) : null;
  const attention = { batch, length, units, width, vBias: x.scoreBias ? f(x.scoreBias)[0]! : 0 };

  // states [T + 1, B, H]: h0, then the state after each step; rows t form the previous states of step t. What
  // the backward pass reads is kept per step: queries, weights, contexts, h·W_hhᵀ and the gates (rows [B, 3H]).
  const states = uninitialisedFloats((steps + 1) * n);
  states.set(f(x.h0));
  const query = uninitialisedFloats(steps * batch * units);
  const alpha = uninitialisedFloats(steps * batch * length);
  const context = uninitialisedFloats(steps * batch * width);
  const hg = uninitialisedFloats(steps * 3 * n);
  const gates = uninitialisedFloats(steps * 3 * n);
  const xg = uninitialisedFloats(3 * n);
  const statesOut = uninitialisedFloats(steps * n);
  const weightsOut = uninitialisedFloats(steps * batch * length);
  const block = (a: Float32Array, t: number, size: number) => a.subarray(t * size, (t + 1) * size);
  // h·W_qᵀ, ctx·W_cᵀ and h·W_hhᵀ at every step: each weight packed once for the whole loop.
  const wqRows = packRhs(wq, hidden, units, true);
  const wcRows = packRhs(wc, width, g3, true);
  const whhRows = packRhs(whh, hidden, g3, true);
  for (let t = 0; t < steps; t++) {
    const prev = block(states, t, n);
    const q = block(query, t, batch * units);
    gemmPacked(prev, wqRows, q, batch);
    if (bq) addBias(q, bq, batch, units);
    const a = block(alpha, t, batch * length);
    const ctx = block(context, t, batch * width);
    be.additiveAttention({ keys, query: q, v, memory, mask, ...attention, weights: a, context: ctx });
    // xg = embedded[t] + context · W_cᵀ.
    gemmPacked(ctx, wcRows, xg, batch);
    addInto(xg, block(embedded, t, 3 * n), xg);
    gemmPacked(prev, whhRows, block(hg, t, 3 * n), batch);
    be.gruCell({
      xg,
      hg: block(hg, t, 3 * n),
      h: prev,
      biasHn: bhn,
      ...cell,
      hNew: block(states, t + 1, n),
      gates: block(gates, t, 3 * n),
    });
    be.copy({
      src: states,
      srcOffset: (t + 1) * n,
      srcStrides: [hidden, 1],
      dst: statesOut,
      dstOffset: t * hidden,
      dstStrides: [steps * hidden, 1],
      shape: [batch, hidden],
    });
    be.copy({
      src: alpha,
      srcOffset: t * batch * length,
      srcStrides: [length, 1],
      dst: weightsOut,
      dstOffset: t * length,
      dstStrides: [steps * length, 1],
      shape: [batch, length],
    });
  }
  // W_c is a column block of W_ih that the decoder copies out at every forward pass: its packs serve the next.
  releasePacks(wc);
  const statesT = new Tensor(statesOut, [batch, steps, hidden], 'float32');
  const weightsT = new Tensor(weightsOut, [batch, steps, length], 'float32');
  const last = new Tensor(states.slice(steps * n), [batch, hidden], 'float32');

  const named: [Tensor | null, string][] = [
    [x.embedded, 'embedded'],
    [x.h0, 'h0'],
    [x.keys, 'keys'],
    [x.memory, 'memory'],
    [x.queryWeight, 'queryWeight'],
    [x.queryBias, 'queryBias'],
    [x.scoreWeight, 'scoreWeight'],
    [x.scoreBias, 'scoreBias'],
    [x.contextWeight, 'contextWeight'],
    [x.weightHh, 'weightHh'],
    [x.biasHn, 'biasHn'],
  ];
  const inputs = named.filter(([t]) => t !== null).map(([t]) => t!);
  const outs = recordOutputs(op, [statesT, weightsT, last], inputs, ([gStates, gWeights, gLast]) => {
    // Upstream gradients, time-major.
    const gS = gStates ? uninitialisedFloats(steps * n) : null;
    if (gS)
      be.copy({
        src: f(gStates!),
        srcOffset: 0,
        srcStrides: [hidden, steps * hidden, 1],
        dst: gS,
        dstOffset: 0,
        dstStrides: [n, hidden, 1],
        shape: [steps, batch, hidden],
      });
    const gW = gWeights ? uninitialisedFloats(steps * batch * length) : null;
    if (gW)
      be.copy({
        src: f(gWeights!),
        srcOffset: 0,
        srcStrides: [length, steps * length, 1],
        dst: gW,
        dstOffset: 0,
        dstStrides: [batch * length, length, 1],
        shape: [steps, batch, length],
      });
    // dEmbedded (the gradient of xg, rows) also multiplies the contexts for W_c's gradient.
    const dEmbedded = uninitialisedFloats(steps * 3 * n);
    const dhgRows = uninitialisedFloats(steps * 3 * n);
    const dQuery = uninitialisedFloats(steps * batch * units);
    const dKeys = zeroedFloats(batch * length * units);
    // Written whole by the product after the loop.
    const dMemory = uninitialisedFloats(batch * length * width);
    const dV = new Float32Array(units);
    let dVBias = 0;
    const dScores = new Float32Array(batch * length);
    const dh = gLast ? uninitialisedFloats(n) : zeroedFloats(n);
    if (gLast) dh.set(f(gLast));
    // Overwritten at every step before they are read.
    const dhNew = uninitialisedFloats(n);
    const dhDirect = uninitialisedFloats(n);
    // Every step's gradient of its context, kept for dMemory.
    const dCtxAll = uninitialisedFloats(steps * batch * width);
    const dhPart = uninitialisedFloats(n);
    // dx·W_c, dhg·W_hh and dq·W_q at every step, each weight packed once for the loop.
    const wcCols = packRhs(wc, g3, width, false);
    const whhCols = packRhs(whh, g3, hidden, false);
    const wqCols = packRhs(wq, units, hidden, false);
    for (let t = steps - 1; t >= 0; t--) {
      if (gS) addInto(dh, block(gS, t, n), dhNew);
      else dhNew.set(dh);
      const dx = block(dEmbedded, t, 3 * n);
      const dhg = block(dhgRows, t, 3 * n);
      be.gruCellGrad({
        hg: block(hg, t, 3 * n),
        h: block(states, t, n),
        biasHn: bhn,
        gates: block(gates, t, 3 * n),
        dhNew,
        ...cell,
        dxg: dx,
        dhg,
        dh: dhDirect,
      });
      const dCtx = block(dCtxAll, t, batch * width);
      gemmPacked(dx, wcCols, dCtx, batch);
      gemmPacked(dhg, whhCols, dhPart, batch);
      const dq = block(dQuery, t, batch * units);
      be.additiveAttentionGrad({
        keys,
        query: block(query, t, batch * units),
        v,
        memory,
        mask,
        ...attention,
        weights: block(alpha, t, batch * length),
        dContext: dCtx,
        dWeights: gW ? block(gW, t, batch * length) : null,
        dScores,
        dQuery: dq,
        dKeys,
        dV,
        dMemory: null,
      });
      for (let i = 0; i < dScores.length; i++) dVBias += dScores[i]!;
      // dh_prev = z ⊙ dh' + dhg · W_hh + dq · W2.
      gemmPacked(dq, wqCols, dh, batch);
      addInto(dh, dhPart, dh);
      addInto(dh, dhDirect, dh);
    }
    releasePacks(wc);
    // dMemory[b] = Σ_t α_t[b]ᵀ ⊗ dContext_t[b] as one batched product over the steps (k = T), instead of adding
    // each step's [S, E] outer products into dMemory, 2 MiB read and written again at every step. The weights
    // output already holds α batch-major ([B, T, S]); the contexts' gradients are made batch-major here.
    const dCtxRows = uninitialisedFloats(steps * batch * width);
    be.copy({
      src: dCtxAll,
      srcOffset: 0,
      srcStrides: [width, batch * width, 1],
      dst: dCtxRows,
      dstOffset: 0,
      dstStrides: [steps * width, width, 1],
      shape: [batch, steps, width],
    });
    be.matmul({
      a: weightsOut,
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
    const prevStates = states.subarray(0, steps * n);
    const rowsAll = steps * batch;
    const dWq = uninitialisedFloats(units * hidden);
    gemm(dQuery, prevStates, dWq, units, hidden, rowsAll, true, false);
    const dWc = uninitialisedFloats(g3 * width);
    gemm(dEmbedded, context, dWc, g3, width, rowsAll, true, false);
    const dWhh = uninitialisedFloats(g3 * hidden);
    gemm(dhgRows, prevStates, dWhh, g3, hidden, rowsAll, true, false);
    const grads = new Map<string, Float32Array>([
      ['embedded', dEmbedded],
      ['h0', dh],
      ['keys', dKeys],
      ['memory', dMemory],
      ['queryWeight', dWq],
      ['scoreWeight', dV],
      ['scoreBias', Float32Array.of(dVBias)],
      ['contextWeight', dWc],
      ['weightHh', dWhh],
    ]);
    if (bq) {
      const dbq = new Float32Array(units);
      columnSums(dQuery, rowsAll, units, dbq);
      grads.set('queryBias', dbq);
    }
    if (bhn) {
      const sums = new Float32Array(g3);
      columnSums(dhgRows, rowsAll, g3, sums);
      grads.set('biasHn', sums.slice(2 * hidden));
    }
    // The graph runs a backward once: the buffers only this op saw go back for reuse.
    recycleFloats(states, query, alpha, context, hg, gates, dhgRows, dQuery, dhNew, dhDirect, dhPart);
    recycleFloats(dCtxAll, dCtxRows);
    if (gS) recycleFloats(gS);
    if (gW) recycleFloats(gW);
    return named
      .filter(([t]) => t !== null)
      .map(([t, name]) => new Tensor(grads.get(name)!, t!.shape, 'float32'));
  });
  return { states: outs[0]!, weights: outs[1]!, last: outs[2]! };
}
