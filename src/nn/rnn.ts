/**
 * Multi-layer, optionally bidirectional recurrent layers, as torch.nn.GRU and torch.nn.LSTM (PyTorch 1.13): same
 * options, parameter names and order, initialisation, gate order and arithmetic (the cells are in rnn-cell.ts).
 *
 * Shapes (T = time steps, B = batch, I = inputSize, H = hiddenSize, L = numLayers, D = 2 if bidirectional else 1):
 *   x [T, B, I] → output [T, B, D·H]    (batchFirst false, the default)
 *   x [B, T, I] → output [B, T, D·H]    (batchFirst true)
 *   h0, c0, hN, cN [L·D, B, H], row l·D + d for layer l and direction d (0 forward, 1 reverse); h0, c0 zeros when
 *   not given.
 * Layer l > 0 reads the concatenated [forward, reverse] outputs of layer l − 1, after dropout in training mode.
 *
 * Padded batches: with `lengths` (B entries), sequence b has lengths[b] real steps. Its outputs past that are
 * zero, its final state is the state after its last real step, and the reverse direction starts at that step
 * (as torch's packed sequences; unlike pad_packed_sequence the output keeps all T steps).
 *
 * Parameters, registered layer by layer, forward then reverse, so that namedParameters() is torch's state_dict
 * order: `weight_ih_l{l}` [G·H, I or D·H], `weight_hh_l{l}` [G·H, H], `bias_ih_l{l}`, `bias_hh_l{l}` [G·H], with
 * a `_reverse` suffix for the reverse direction (G = 3 for GRU, 4 for LSTM); all start U(−1/√H, 1/√H).
 *
 * Cost: per layer and direction, one matmul projects the inputs of all T steps; the loop then does one
 * h·W_hhᵀ matmul and the gate arithmetic per step, reading its slices of the projection without copying. A GRU
 * runs that loop as one fused op (gruSequence: no per-step nodes, W_hh's gradient as one GEMM) when it is
 * unpadded, and in the forward direction of a padded batch too (masked afterwards; see forward).
 */
import { fail, requirePositiveIntegers } from '../tensor/errors.js';
import { concat, dropout, indexSelect, reshape, stack, transpose, where } from '../tensor/ops/index.js';
import { newFloat } from '../tensor/ops/common.js';
import { gruSequence } from '../fused/gru-sequence.js';
import type { Generator } from '../tensor/random.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import {
  createWeights,
  gruStep,
  lstmStep,
  projectInputRows,
  projectInputs,
  stepWeights,
  type RecurrentMode,
  type RecurrentWeights,
  type StepWeights,
} from './recurrent-step.js';
import { describeState, isState, type LSTMState } from './rnn-cell.js';
import { unbind } from '../tensor/ops/unbind.js';

export interface RNNOptions {
  /** Stacked layers L (default 1). */
  numLayers?: number;
  /** Biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** x and output are [B, T, ·] when true, [T, B, ·] when false (default false, as torch). */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training mode only (default 0). */
  dropout?: number;
  /** A reverse direction beside the forward one (default false). */
  bidirectional?: boolean;
  /** Source of randomness for initialisation and dropout (the global seeded generator by default). */
  generator?: Generator;
}

export interface RNNForwardOptions {
  /** Real length of each sequence in the batch, int32 [B] or numbers, each in [0, T] (default: all T). */
  lengths?: Tensor | readonly number[] | null;
}

export interface GRUResult {
  /** [T, B, D·H], or [B, T, D·H] with batchFirst; zero past each sequence's length. */
  output: Tensor;
  /** Final hidden state of every layer and direction, [L·D, B, H]. */
  hN: Tensor;
}

export interface LSTMResult extends GRUResult {
  /** Final cell state of every layer and direction, [L·D, B, H]. */
  cN: Tensor;
}

interface RunResult {
  output: Tensor;
  hN: Tensor;
  cN: Tensor | null;
}

function describe(t: unknown): string {
  return t instanceof Tensor ? `${formatShape(t.shape)} ${t.dtype}` : String(t);
}

/** What GRU and LSTM share: options, parameters, argument checks and the layer/direction/time loops. */
abstract class RecurrentLayer extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** Directions D: 2 when bidirectional, else 1. */
  readonly numDirections: number;
  /** Parameters by layer·D + direction, in torch's order (as torch's all_weights). */
  readonly allWeights: readonly RecurrentWeights[];
  private readonly generator: Generator | undefined;

  protected constructor(
    protected readonly mode: RecurrentMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RNNOptions,
  ) {
    super();
    this.numLayers = options.numLayers ?? 1;
    requirePositiveIntegers(mode, { inputSize, hiddenSize, numLayers: this.numLayers });
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1))
      fail(mode, `dropout must be in [0, 1], got ${this.dropout}`);
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.bidirectional = options.bidirectional ?? false;
    this.numDirections = this.bidirectional ? 2 : 1;
    this.generator = options.generator;

    const all: RecurrentWeights[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerInput = layer === 0 ? inputSize : hiddenSize * this.numDirections;
      for (let d = 0; d < this.numDirections; d++) {
        const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const w = createWeights(mode, layerInput, hiddenSize, this.bias, options.generator);
        all.push({
          weightIh: this.registerParameter(`weight_ih${suffix}`, w.weightIh)!,
          weightHh: this.registerParameter(`weight_hh${suffix}`, w.weightHh)!,
          biasIh: this.registerParameter(`bias_ih${suffix}`, w.biasIh),
          biasHh: this.registerParameter(`bias_hh${suffix}`, w.biasHh),
        });
      }
    }
    this.allWeights = all;
  }

  /** Runs every layer and direction; c0 and cN are used (and returned) for LSTM only. */
  protected run(
    x: Tensor,
    h0: Tensor | null | undefined,
    c0: Tensor | null | undefined,
    options: RNNForwardOptions,
  ): RunResult {
    const op = this.mode;
    const axes = this.batchFirst ? 'B, T' : 'T, B';
    if (!(x instanceof Tensor) || x.dtype !== 'float32' || x.ndim !== 3 || x.shape[2] !== this.inputSize) {
      fail(
        op,
        `input must be float32 [${axes}, ${this.inputSize}] (batchFirst ${this.batchFirst}), got ${describe(x)}`,
      );
    }
    const [steps, batch] = (this.batchFirst ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]]) as [
      number,
      number,
    ];
    if (steps === 0 || batch === 0)
      fail(op, `input must have at least one step and one sequence, got ${formatShape(x.shape)}`);
    const lstm = this.mode === 'LSTM';
    const initialH = this.initialStates('h0', h0, batch);
    const initialC = lstm ? this.initialStates('c0', c0, batch) : null;
    const { masks: valid, lengths } = this.stepMasks(options.lengths, steps, batch);
    const padded = lengths !== null;
    // For a padded GRU's fused forward directions (see below): which steps are real, and each last real step.
    const real = padded && this.mode === 'GRU' ? validSteps(lengths, steps) : null;
    const lastRows = real ? lastSteps(lengths!) : null;

    let input = this.batchFirst ? transpose(x, 0, 1) : x;
    const finalH: Tensor[] = [];
    const finalC: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outputs: Tensor[] = [];
      for (let d = 0; d < this.numDirections; d++) {
        const index = layer * this.numDirections + d;
        const w = this.allWeights[index]!;
        if (this.mode === 'GRU' && (!padded || (d === 0 && lengths.every((n) => n > 0)))) {
          // The whole time loop as one fused op (same arithmetic, no per-step nodes).
          const biasHn = stepWeights(this.mode, w).biasHn;
          if (!padded) {
            const pre = projectInputRows(this.mode, input, w);
            const result = gruSequence(pre, initialH[index]!, w.weightHh, biasHn, d === 1);
            outputs.push(result.outputs);
            finalH.push(result.last);
            continue;
          }
          // Padded, forward direction: a sequence's real steps do not depend on the padding after it, so the
          // loop runs over all T steps, then zeroes the outputs past each length and reads each final state at
          // its sequence's last real step: the values and gradients of the masked loop in direction(). The
          // padding's pre-activations are zeroed first, so that whatever the padding holds (even NaN), the
          // steps over it stay finite and send no NaN into the weights' gradients.
          const pre = where(real!, projectInputRows(this.mode, input, w), 0);
          const result = gruSequence(pre, initialH[index]!, w.weightHh, biasHn, false);
          outputs.push(where(real!, result.outputs, 0));
          finalH.push(indexSelect(reshape(result.outputs, [steps * batch, -1]), 0, lastRows!));
          continue;
        }
        const result = this.direction(
          unbind(projectInputs(this.mode, input, w)),
          initialH[index]!,
          initialC?.[index] ?? null,
          w,
          d === 1,
          valid,
        );
        outputs.push(stack(result.outputs, 0));
        finalH.push(result.h);
        if (result.c) finalC.push(result.c);
      }
      input = outputs.length === 1 ? outputs[0]! : concat(outputs, 2);
      if (layer < this.numLayers - 1) input = dropout(input, this.dropout, this.training, this.generator);
    }
    return {
      output: this.batchFirst ? transpose(input, 0, 1) : input,
      hN: stack(finalH, 0),
      cN: lstm ? stack(finalC, 0) : null,
    };
  }

  /**
   * The time loop of one direction over the input pre-activations (one [G, B, H] per step). Where valid[t] is
   * given (some sequence has ended by step t), ended sequences keep their state and output zero.
   */
  private direction(
    pre: readonly Tensor[],
    h0: Tensor,
    c0: Tensor | null,
    weights: RecurrentWeights,
    reverse: boolean,
    valid: readonly (Tensor | null)[],
  ): { outputs: Tensor[]; h: Tensor; c: Tensor | null } {
    const w: StepWeights = stepWeights(this.mode, weights);
    const steps = pre.length;
    const outputs = new Array<Tensor>(steps);
    let h = h0;
    let c = c0;
    for (let s = 0; s < steps; s++) {
      const t = reverse ? steps - 1 - s : s;
      let hNext: Tensor;
      let cNext: Tensor | null = null;
      if (c) ({ h: hNext, c: cNext } = lstmStep(pre[t]!, h, c, w));
      else hNext = gruStep(pre[t]!, h, w);
      const mask = valid[t];
      if (mask) {
        outputs[t] = where(mask, hNext, 0);
        h = where(mask, hNext, h);
        if (c) c = where(mask, cNext!, c);
      } else {
        outputs[t] = hNext;
        h = hNext;
        c = cNext;
      }
    }
    return { outputs, h, c };
  }

  /** h0 or c0 [L·D, B, H] split into L·D states [B, H] (views), or zeros. */
  private initialStates(name: string, t: Tensor | null | undefined, batch: number): Tensor[] {
    const count = this.numLayers * this.numDirections;
    if (t === null || t === undefined) {
      // Pooled storage, as an op's output (a fresh array of this size is new external memory for V8: at one
      // per forward pass it cost 1-2 ms of the translation step in allocation and collection).
      const zero = newFloat([batch, this.hiddenSize]).tensor;
      return new Array<Tensor>(count).fill(zero);
    }
    const expected = [count, batch, this.hiddenSize];
    if (!(t instanceof Tensor) || t.dtype !== 'float32' || !shapesEqual(t.shape, expected)) {
      fail(
        this.mode,
        `${name} must be float32 ${formatShape(expected)} (numLayers·directions, batch, hiddenSize), got ${describe(t)}`,
      );
    }
    return unbind(t);
  }

  /**
   * For each step t, a bool [B, 1] mask of the sequences still running (t < length), or null if all are; and
   * the lengths, or null when no sequence ends before the last step.
   */
  private stepMasks(
    lengths: Tensor | readonly number[] | null | undefined,
    steps: number,
    batch: number,
  ): { masks: (Tensor | null)[]; lengths: number[] | null } {
    const masks = new Array<Tensor | null>(steps).fill(null);
    if (lengths === null || lengths === undefined) return { masks, lengths: null };
    let values: ArrayLike<number>;
    if (lengths instanceof Tensor) {
      if (lengths.dtype !== 'int32' || lengths.ndim !== 1)
        fail(this.mode, `lengths must be int32 [${batch}] or a number array, got ${describe(lengths)}`);
      values = lengths.data;
    } else if (Array.isArray(lengths)) {
      values = lengths;
    } else {
      fail(this.mode, `lengths must be int32 [${batch}] or a number array, got ${String(lengths)}`);
    }
    if (values.length !== batch)
      fail(this.mode, `lengths must have one entry per sequence (${batch}), got ${values.length}`);
    for (let b = 0; b < batch; b++) {
      const n = values[b]!;
      if (!Number.isInteger(n) || n < 0 || n > steps)
        fail(this.mode, `lengths[${b}] = ${n} is outside [0, ${steps}] (the number of steps)`);
    }
    for (let t = 0; t < steps; t++) {
      let all = true;
      const data = new Uint8Array(batch);
      for (let b = 0; b < batch; b++) {
        data[b] = t < values[b]! ? 1 : 0;
        if (!data[b]) all = false;
      }
      if (!all) masks[t] = new Tensor(data, [batch, 1], 'bool');
    }
    return { masks, lengths: masks.some((m) => m !== null) ? Array.from(values) : null };
  }
}

/** bool [T, B, 1]: true where step t is a real step of sequence b (t < lengths[b]). */
function validSteps(lengths: readonly number[], steps: number): Tensor {
  const batch = lengths.length;
  const data = new Uint8Array(steps * batch);
  for (let t = 0; t < steps; t++)
    for (let b = 0; b < batch; b++) data[t * batch + b] = t < lengths[b]! ? 1 : 0;
  return new Tensor(data, [steps, batch, 1], 'bool');
}

/** int32 [B]: the row of [T·B, ·] time-major outputs that holds sequence b's last real step. */
function lastSteps(lengths: readonly number[]): Tensor {
  const batch = lengths.length;
  return new Tensor(
    Int32Array.from(lengths, (n, b) => (n - 1) * batch + b),
    [batch],
    'int32',
  );
}

/**
 * A multi-layer GRU (torch.nn.GRU). Each layer and direction runs, for t = 1 … T (reverse: T … 1),
 *
 *   r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
 *   z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
 *   n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))
 *   h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}
 *
 * forward(x, h0?, { lengths? }) → { output, hN }; shapes, padding and parameters as described atop this file.
 */
export class GRU extends RecurrentLayer {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }

  forward(x: Tensor, h0: Tensor | null = null, options: RNNForwardOptions = {}): GRUResult {
    const { output, hN } = this.run(x, h0, null, options);
    return { output, hN };
  }
}

/**
 * A multi-layer LSTM (torch.nn.LSTM). Each layer and direction runs, for t = 1 … T (reverse: T … 1),
 *
 *   i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)
 *   f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)
 *   g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)
 *   o_t = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)
 *   c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
 *   h_t = o_t ⊙ tanh(c_t)
 *
 * forward(x, { h, c }?, { lengths? }) → { output, hN, cN }, with h and c the initial states [L·D, B, H]
 * (both zeros when the state is null); shapes, padding and parameters as atop this file.
 */
export class LSTM extends RecurrentLayer {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  forward(x: Tensor, state: LSTMState | null = null, options: RNNForwardOptions = {}): LSTMResult {
    if (state !== null && !isState(state)) {
      fail('LSTM', `state must be { h, c } (each [L·D, B, H]) or null, got ${describeState(state)}`);
    }
    const { output, hN, cN } = this.run(x, state?.h ?? null, state?.c ?? null, options);
    return { output, hN, cN: cN! };
  }
}
