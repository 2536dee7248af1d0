/**
 * gruSequence: every step of one GRU direction as one op (cuDNN-style), from the input pre-activations of all
 * steps, which the caller computes with one GEMM (nn/recurrent-step.ts projectInputs):
 *
 *   for t = 0 … T−1 (reverse: T−1 … 0):  h_t = GRUCell(pre[t], h_prev)   (torch.nn.GRU's arithmetic, gruCell)
 *
 * pre [T, 3, B, H] (gate-major steps, b_ih + b_hr, b_hz folded in), h0 [B, H], weightHh [3H, H] (torch's
 * weight_hh), biasHn [H] (b_hn, inside r ⊙ (…)) or null → outputs [T, B, H] (h after each step, time order)
 * and last [B, H] (the state after the final step; a view of outputs).
 *
 * Same arithmetic as a loop of gruStep ops; what it saves is per-step bookkeeping: no autograd node, output or
 * gradient buffer per step, one GEMM per step forward and one backward, and the gradient of W_hh as a single
 * GEMM over all T·B rows at the end instead of one k = B product per step.
 */
import { fail } from '../errors.js';
import { formatShape, shapesEqual } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backend, floatData } from './common.js';
import { recordOutputs } from './multi-output.js';
import { addInto, columnSums, gemm, toGateMajor, toRows } from './sequence-kernels.js';

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
  if (pre.ndim !== 4 || pre.shape[1] !== 3 || pre.shape[0] === 0)
    fail(op, `pre must be [T, 3, B, H] with T ≥ 1, got ${formatShape(pre.shape)}`);
  const [steps, , batch, hidden] = pre.shape as [number, number, number, number];
  if (!shapesEqual(h0.shape, [batch, hidden]))
    fail(op, `h0 must be [${batch}, ${hidden}], got ${formatShape(h0.shape)}`);
  if (!shapesEqual(weightHh.shape, [3 * hidden, hidden]))
    fail(op, `weightHh must be [${3 * hidden}, ${hidden}], got ${formatShape(weightHh.shape)}`);
  if (biasHn !== null) {
    floatData(op, biasHn, 'biasHn');
    if (!shapesEqual(biasHn.shape, [hidden]))
      fail(op, `biasHn must be [${hidden}], got ${formatShape(biasHn.shape)}`);
  }
  const be = backend();
  const n = batch * hidden;
  const g3 = 3 * hidden;
  const cell = { batch, hidden };
  const preData = pre.data as Float32Array;
  const w = weightHh.data as Float32Array;
  const bias = biasHn ? (biasHn.data as Float32Array) : null;

  // states holds h0 and every output, so that each step's previous state is a contiguous block and the states
  // the W_hh gradient multiplies form one [T·B, H] matrix aligned with time: forward [h0, h_0 … h_{T−1}],
  // reverse [h_0 … h_{T−1}, h0].
  const states = new Float32Array((steps + 1) * n);
  states.set(h0.data as Float32Array, reverse ? steps * n : 0);
  const prevAt = (t: number) => (reverse ? t + 1 : t) * n;
  const outAt = (t: number) => (reverse ? t : t + 1) * n;
  const hg = new Float32Array(steps * 3 * n);
  const gates = new Float32Array(steps * 3 * n);
  const rows = new Float32Array(batch * g3);
  for (let s = 0; s < steps; s++) {
    const t = reverse ? steps - 1 - s : s;
    const prev = states.subarray(prevAt(t), prevAt(t) + n);
    gemm(prev, w, rows, batch, g3, hidden, false, true);
    toGateMajor(rows, 0, g3, hg, t * 3 * n, batch, hidden);
    be.gruCell(
      preData.subarray(t * 3 * n, (t + 1) * 3 * n),
      hg.subarray(t * 3 * n, (t + 1) * 3 * n),
      prev,
      bias,
      cell,
      states.subarray(outAt(t), outAt(t) + n),
      gates.subarray(t * 3 * n, (t + 1) * 3 * n),
    );
  }
  const first = outAt(0);
  const outputs = new Tensor(states.subarray(first, first + steps * n), [steps, batch, hidden], 'float32');
  const lastAt = outAt(reverse ? 0 : steps - 1);
  const last = new Tensor(states.subarray(lastAt, lastAt + n), [batch, hidden], 'float32');

  const inputs = biasHn ? [pre, h0, weightHh, biasHn] : [pre, h0, weightHh];
  const [outT, lastT] = recordOutputs(op, [outputs, last], inputs, ([gOut, gLast]) => {
    const dPre = new Float32Array(steps * 3 * n);
    const dhgRows = new Float32Array(steps * batch * g3);
    const dh = gLast ? Float32Array.from(gLast.data as Float32Array) : new Float32Array(n);
    const dhNew = new Float32Array(n);
    const dhg = new Float32Array(3 * n);
    const dhDirect = new Float32Array(n);
    const gOutData = gOut ? (gOut.data as Float32Array) : null;
    for (let s = steps - 1; s >= 0; s--) {
      const t = reverse ? steps - 1 - s : s;
      if (gOutData) addInto(dh, gOutData.subarray(t * n, (t + 1) * n), dhNew);
      else dhNew.set(dh);
      be.gruCellGrad(
        hg.subarray(t * 3 * n, (t + 1) * 3 * n),
        states.subarray(prevAt(t), prevAt(t) + n),
        bias,
        gates.subarray(t * 3 * n, (t + 1) * 3 * n),
        dhNew,
        cell,
        dPre.subarray(t * 3 * n, (t + 1) * 3 * n),
        dhg,
        dhDirect,
      );
      toRows(dhg, 0, dhgRows, t * batch * g3, batch, hidden);
      // dh_prev = z ⊙ dh' (direct) + dhg · W_hh.
      gemm(dhgRows.subarray(t * batch * g3, (t + 1) * batch * g3), w, dh, batch, hidden, g3, false, false);
      addInto(dh, dhDirect, dh);
    }
    const dW = new Float32Array(g3 * hidden);
    const prevStates = states.subarray(prevAt(0), prevAt(0) + steps * n);
    gemm(dhgRows, prevStates, dW, g3, hidden, steps * batch, true, false);
    const grads: (Tensor | null)[] = [
      new Tensor(dPre, pre.shape, 'float32'),
      new Tensor(dh, h0.shape, 'float32'),
      new Tensor(dW, weightHh.shape, 'float32'),
    ];
    if (biasHn) {
      const sums = new Float32Array(g3);
      columnSums(dhgRows, steps * batch, g3, sums);
      grads.push(new Tensor(sums.slice(2 * hidden), biasHn.shape, 'float32'));
    }
    return grads;
  });
  return { outputs: outT!, last: lastT! };
}
