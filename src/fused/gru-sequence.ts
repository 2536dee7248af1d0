/**
 * gruSequence: every step of one GRU direction as one op (cuDNN-style), from the input pre-activations of all
 * steps, which the caller computes with one GEMM (nn/recurrent-step.ts projectInputRows):
 *
 *   for t = 0 … T−1 (reverse: T−1 … 0):  h_t = GRUCell(pre[t], h_prev)   (torch.nn.GRU's arithmetic, gruCell)
 *
 * pre [T, B, 3H] (each step's rows r | z | n as the GEMM x·W_ihᵀ gives them, b_ih + b_hr, b_hz folded in),
 * h0 [B, H], weightHh [3H, H] (torch's weight_hh), biasHn [H] (b_hn, inside r ⊙ (…)) or null → outputs
 * [T, B, H] (h after each step, time order) and last [B, H] (the state after the final step; a view of outputs).
 *
 * Same arithmetic as a loop of gruStep ops; what it saves is per-step bookkeeping: no autograd node, output or
 * gradient buffer per step, one GEMM per step forward and one backward, and the gradient of W_hh as a single
 * GEMM over all T·B rows at the end instead of one k = B product per step.
 */
import { fail } from '../tensor/errors.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { recycleFloats, uninitialisedFloats, zeroedFloats } from '../tensor/storage.js';
import { Tensor } from '../tensor/tensor.js';
import { backend, floatData } from '../tensor/ops/common.js';
import { recordOutputs } from '../tensor/ops/multi-output.js';
import { addInto, columnSums, gemm, gemmPacked, packRhs } from './sequence-kernels.js';

export interface GRUSequenceResult {
  /** [T, B, H]: the state after each step, in time order. */
  outputs: Tensor;
  /** [B, H]: the state after the last step taken (t = T−1, or t = 0 in reverse). */
  last: Tensor;
}

export function gruSequence(
  pre: Tensor,
  h0: Tensor,
  weightHh: Tensor,
  biasHn: Tensor | null,
  reverse = false,
): GRUSequenceResult {
  const op = 'gruSequence';
  floatData(op, pre, 'pre');
  floatData(op, h0, 'h0');
  floatData(op, weightHh, 'weightHh');
  if (pre.ndim !== 3 || pre.shape[0] === 0 || pre.shape[2]! % 3 !== 0)
    fail(op, `pre must be [T, B, 3H] with T ≥ 1, got ${formatShape(pre.shape)}`);
  const [steps, batch, g3] = pre.shape as [number, number, number];
  const hidden = g3 / 3;
  if (!shapesEqual(h0.shape, [batch, hidden]))
    fail(op, `h0 must be [${batch}, ${hidden}], got ${formatShape(h0.shape)}`);
  if (!shapesEqual(weightHh.shape, [g3, hidden]))
    fail(op, `weightHh must be [${g3}, ${hidden}], got ${formatShape(weightHh.shape)}`);
  if (biasHn !== null) {
    floatData(op, biasHn, 'biasHn');
    if (!shapesEqual(biasHn.shape, [hidden]))
      fail(op, `biasHn must be [${hidden}], got ${formatShape(biasHn.shape)}`);
  }
  const be = backend();
  const n = batch * hidden;
  const cell = { batch, hidden, rows: true };
  const preData = pre.data as Float32Array;
  const w = weightHh.data as Float32Array;
  const bias = biasHn ? (biasHn.data as Float32Array) : null;
  const block = (a: Float32Array, t: number, size: number) => a.subarray(t * size, (t + 1) * size);

  // states holds h0 and every output, so that each step's previous state is a contiguous block and the states
  // the W_hh gradient multiplies form one [T·B, H] matrix aligned with time: forward [h0, h_0 … h_{T−1}],
  // reverse [h_0 … h_{T−1}, h0].
  const states = uninitialisedFloats((steps + 1) * n);
  states.set(h0.data as Float32Array, reverse ? steps * n : 0);
  const prevAt = (t: number) => (reverse ? t + 1 : t);
  const outAt = (t: number) => (reverse ? t : t + 1);
  // Every step's h·W_hhᵀ and gates, rows [B, 3H], kept for the backward pass.
  const hg = uninitialisedFloats(steps * 3 * n);
  const gates = uninitialisedFloats(steps * 3 * n);
  const wRows = packRhs(w, hidden, g3, true);
  for (let s = 0; s < steps; s++) {
    const t = reverse ? steps - 1 - s : s;
    const prev = block(states, prevAt(t), n);
    gemmPacked(prev, wRows, block(hg, t, 3 * n), batch);
    be.gruCell({
      xg: block(preData, t, 3 * n),
      hg: block(hg, t, 3 * n),
      h: prev,
      biasHn: bias,
      ...cell,
      hNew: block(states, outAt(t), n),
      gates: block(gates, t, 3 * n),
    });
  }
  const first = outAt(0) * n;
  const outputs = new Tensor(states.subarray(first, first + steps * n), [steps, batch, hidden], 'float32');
  const last = new Tensor(block(states, outAt(reverse ? 0 : steps - 1), n), [batch, hidden], 'float32');

  const inputs = biasHn ? [pre, h0, weightHh, biasHn] : [pre, h0, weightHh];
  const [outT, lastT] = recordOutputs(op, [outputs, last], inputs, ([gOut, gLast]) => {
    const dPre = uninitialisedFloats(steps * 3 * n);
    const dhg = uninitialisedFloats(steps * 3 * n);
    const dh = gLast ? uninitialisedFloats(n) : zeroedFloats(n);
    if (gLast) dh.set(gLast.data as Float32Array);
    // Overwritten at every step before they are read.
    const dhNew = uninitialisedFloats(n);
    const dhDirect = uninitialisedFloats(n);
    const gOutData = gOut ? (gOut.data as Float32Array) : null;
    const wCols = packRhs(w, g3, hidden, false);
    for (let s = steps - 1; s >= 0; s--) {
      const t = reverse ? steps - 1 - s : s;
      if (gOutData) addInto(dh, block(gOutData, t, n), dhNew);
      else dhNew.set(dh);
      const dhgT = block(dhg, t, 3 * n);
      be.gruCellGrad({
        hg: block(hg, t, 3 * n),
        h: block(states, prevAt(t), n),
        biasHn: bias,
        gates: block(gates, t, 3 * n),
        dhNew,
        ...cell,
        dxg: block(dPre, t, 3 * n),
        dhg: dhgT,
        dh: dhDirect,
      });
      // dh_prev = z ⊙ dh' (direct) + dhg · W_hh.
      gemmPacked(dhgT, wCols, dh, batch);
      addInto(dh, dhDirect, dh);
    }
    const dW = uninitialisedFloats(g3 * hidden);
    const prevStates = states.subarray(prevAt(0) * n, (prevAt(0) + steps) * n);
    gemm(dhg, prevStates, dW, g3, hidden, steps * batch, true, false);
    const grads: (Tensor | null)[] = [
      new Tensor(dPre, pre.shape, 'float32'),
      new Tensor(dh, h0.shape, 'float32'),
      new Tensor(dW, weightHh.shape, 'float32'),
    ];
    if (biasHn) {
      const sums = new Float32Array(g3);
      columnSums(dhg, steps * batch, g3, sums);
      grads.push(new Tensor(sums.slice(2 * hidden), biasHn.shape, 'float32'));
    }
    // The graph runs a backward once: what only this op saw goes back for reuse (states stays, outputs view it).
    recycleFloats(hg, gates, dhg, dhNew, dhDirect);
    return grads;
  });
  return { outputs: outT!, last: lastT! };
}
