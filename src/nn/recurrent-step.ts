/**
 * What GRUCell, LSTMCell, GRU and LSTM share: the parameters of one direction of one layer, torch's
 * initialisation, the input projection hoisted out of the time loop, and one step of each cell.
 *
 * Layouts, chosen so that the step loop never copies: the input projection of a whole sequence is computed once
 * as [T, G, B, H] (time, gate, batch, hidden), so that the pre-activations of step t are one contiguous [G, B, H]
 * block and each gate inside it a contiguous [B, H] block (taken with unbind, no copy); the hidden-to-hidden
 * product of a step is a batched matmul of h [B, H] with W_hh read as [G, H, H], which gives [G, B, H] directly.
 * The gate arithmetic of a step is one fused op (gruCell / lstmCell in src/tensor/ops/recurrent.ts).
 * Bias terms that are only ever added (b_hh of LSTM; b_hr, b_hz of GRU) are folded into the projection once.
 */
import { add, linear, matmul, mul, permute, reshape, slice } from '../tensor/ops/index.js';
import { gruCell, lstmCell } from '../tensor/ops/recurrent.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { uniform } from './init.js';
import { unbind } from '../tensor/ops/unbind.js';

export type RecurrentMode = 'GRU' | 'LSTM';

/** Gates per cell: GRU r, z, n; LSTM i, f, g, o (torch's order). */
export const GATES: Record<RecurrentMode, number> = { GRU: 3, LSTM: 4 };

/** Parameters of one cell, or of one direction of one layer. */
export interface RecurrentWeights {
  /** [G·H, inputSize], gate blocks in torch's order. */
  weightIh: Tensor;
  /** [G·H, H]. */
  weightHh: Tensor;
  /** [G·H], or null without bias. */
  biasIh: Tensor | null;
  biasHh: Tensor | null;
}

/** New (unregistered) weights of one cell, in torch's order, drawn from U(−1/√H, 1/√H) as torch does. */
export function createWeights(
  mode: RecurrentMode,
  inputSize: number,
  hiddenSize: number,
  bias: boolean,
  generator: Generator | undefined,
): RecurrentWeights {
  const rows = GATES[mode] * hiddenSize;
  const bound = 1 / Math.sqrt(hiddenSize);
  const make = (shape: number[]) =>
    uniform(new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape), -bound, bound, generator);
  const weightIh = make([rows, inputSize]);
  const weightHh = make([rows, hiddenSize]);
  const biasIh = bias ? make([rows]) : null;
  const biasHh = bias ? make([rows]) : null;
  return { weightIh, weightHh, biasIh, biasHh };
}

/** The per-step view of the weights: W_hh as [G, H, H] and, for GRU, b_hn [H] (the bias inside r ⊙ (…)). */
export interface StepWeights {
  weightHh: Tensor;
  biasHn: Tensor | null;
}

export function stepWeights(mode: RecurrentMode, w: RecurrentWeights): StepWeights {
  const [rows, hidden] = w.weightHh.shape as [number, number];
  const weightHh = reshape(w.weightHh, [rows / hidden, hidden, hidden]);
  const biasHn = mode === 'GRU' && w.biasHh ? slice(w.biasHh, 0, 2 * hidden, 3 * hidden) : null;
  return { weightHh, biasHn };
}

/** The bias added once to the input projection: b_ih + b_hh for LSTM, b_ih + [b_hr, b_hz, 0] for GRU. */
function foldedBias(mode: RecurrentMode, w: RecurrentWeights): Tensor | null {
  if (!w.biasIh || !w.biasHh) return null;
  if (mode === 'LSTM') return add(w.biasIh, w.biasHh);
  const hidden = w.weightHh.shape[1]!;
  const keep = new Float32Array(3 * hidden).fill(1, 0, 2 * hidden);
  return add(w.biasIh, mul(w.biasHh, new Tensor(keep, [3 * hidden])));
}

/** x [T, B, I] → x·W_ihᵀ + bias as [T, G, B, H]: one matmul for every time step. */
export function projectInputs(mode: RecurrentMode, x: Tensor, w: RecurrentWeights): Tensor {
  const [steps, batch] = x.shape as [number, number];
  const hidden = w.weightHh.shape[1]!;
  const rows = projectInputRows(mode, x, w);
  return permute(reshape(rows, [steps, batch, GATES[mode], hidden]), [0, 2, 1, 3]);
}

/** The same projection as GEMM rows [T, B, G·H] (no permute), as the fused gruSequence reads it. */
export function projectInputRows(mode: RecurrentMode, x: Tensor, w: RecurrentWeights): Tensor {
  // The folded bias is added in place on the product (linear), not as a second [T, B, G·H] tensor.
  return linear(x, w.weightIh, foldedBias(mode, w));
}

/**
 * One GRU step from the input pre-activations xg = [W_ir x + b_ir + b_hr, W_iz x + b_iz + b_hz, W_in x + b_in]
 * ([3, B, H]):
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n)   (as torch)
 */
export function gruStep(xg: Tensor, h: Tensor, w: StepWeights): Tensor {
  return gruCell(xg, matmul(h, w.weightHh, { transB: true }), h, w.biasHn);
}

/**
 * One LSTM step from the input pre-activations xg = W_i· x + b_i· + b_h· ([4, B, H], gates i, f, g, o):
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi),  f = σ(… f …),  g = tanh(… g …),  o = σ(… o …)
 *   c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
 */
export function lstmStep(xg: Tensor, h: Tensor, c: Tensor, w: StepWeights): { h: Tensor; c: Tensor } {
  const [hNext, cNext] = unbind(lstmCell(xg, matmul(h, w.weightHh, { transB: true }), c)) as [Tensor, Tensor];
  return { h: hNext, c: cNext };
}
