/**
 * Single recurrent steps, as torch.nn.GRUCell and torch.nn.LSTMCell (PyTorch 1.13): same parameter names, gate
 * order, initialisation and arithmetic. For whole sequences use GRU / LSTM, which hoist the input projection out
 * of the time loop.
 */
import { zeros } from '../tensor/creation.js';
import { fail, requirePositiveIntegers } from '../tensor/errors.js';
import { reshape } from '../tensor/ops/index.js';
import type { Generator } from '../tensor/random.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import {
  createWeights,
  gruStep,
  lstmStep,
  projectInputs,
  stepWeights,
  type RecurrentMode,
  type RecurrentWeights,
} from './recurrent-step.js';

export interface RNNCellOptions {
  /** Biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Source of randomness for initialisation (the global seeded generator by default). */
  generator?: Generator;
}

/** The state of an LSTM: hidden h and cell c, each [B, H] for a cell, [L·D, B, H] for a layer. */
export interface LSTMState {
  h: Tensor;
  c: Tensor;
}

function describe(t: unknown): string {
  return t instanceof Tensor ? `${formatShape(t.shape)} ${t.dtype}` : String(t);
}

/** Whether `state` is an object holding two Tensors h and c (their shapes are checked later). */
export function isState(state: unknown): state is LSTMState {
  if (typeof state !== 'object' || state === null) return false;
  const s = state as Partial<LSTMState>;
  return s.h instanceof Tensor && s.c instanceof Tensor;
}

export function describeState(state: unknown): string {
  if (typeof state !== 'object' || state === null || state instanceof Tensor) return describe(state);
  const s = state as Record<string, unknown>;
  return `{ h: ${describe(s.h)}, c: ${describe(s.c)} }`;
}

/** Parameters and argument checks shared by the two cells. */
abstract class RecurrentCell extends Module {
  /** [G·H, inputSize] (torch's `weight_ih`). */
  readonly weightIh: Tensor;
  /** [G·H, hiddenSize] (`weight_hh`). */
  readonly weightHh: Tensor;
  /** [G·H] (`bias_ih`), or null without bias. */
  readonly biasIh: Tensor | null;
  /** [G·H] (`bias_hh`), or null without bias. */
  readonly biasHh: Tensor | null;

  protected constructor(
    protected readonly mode: RecurrentMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RNNCellOptions,
  ) {
    super();
    const op = `${mode}Cell`;
    requirePositiveIntegers(op, { inputSize, hiddenSize });
    const w = createWeights(mode, inputSize, hiddenSize, options.bias ?? true, options.generator);
    this.weightIh = this.registerParameter('weight_ih', w.weightIh)!;
    this.weightHh = this.registerParameter('weight_hh', w.weightHh)!;
    this.biasIh = this.registerParameter('bias_ih', w.biasIh);
    this.biasHh = this.registerParameter('bias_hh', w.biasHh);
  }

  protected weights(): RecurrentWeights {
    return { weightIh: this.weightIh, weightHh: this.weightHh, biasIh: this.biasIh, biasHh: this.biasHh };
  }

  /** Checks x [B, inputSize] and returns B. */
  protected checkInput(x: Tensor): number {
    if (!(x instanceof Tensor) || x.dtype !== 'float32' || x.ndim !== 2 || x.shape[1] !== this.inputSize) {
      fail(`${this.mode}Cell`, `input must be float32 [B, ${this.inputSize}], got ${describe(x)}`);
    }
    return x.shape[0]!;
  }

  protected checkState(name: string, t: Tensor | null, batch: number): Tensor {
    if (t === null) return zeros([batch, this.hiddenSize]);
    const expected = [batch, this.hiddenSize];
    if (!(t instanceof Tensor) || t.dtype !== 'float32' || !shapesEqual(t.shape, expected)) {
      fail(
        `${this.mode}Cell`,
        `${name} must be float32 ${formatShape(expected)} (batch, hiddenSize), got ${describe(t)}`,
      );
    }
    return t;
  }

  /** The input pre-activations [G, B, H] of x [B, I]. */
  protected inputGates(x: Tensor, batch: number): Tensor {
    const projected = projectInputs(this.mode, reshape(x, [1, batch, this.inputSize]), this.weights());
    return reshape(projected, projected.shape.slice(1));
  }
}

/**
 * A GRU step (torch.nn.GRUCell), gates r, z, n:
 *
 *   r  = σ(W_ir x + b_ir + W_hr h + b_hr)
 *   z  = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 *
 * x [B, inputSize], h [B, hiddenSize] (zeros when null) → h' [B, hiddenSize]. Parameters `weight_ih` [3H, I]
 * (rows W_ir; W_iz; W_in), `weight_hh` [3H, H], `bias_ih` [3H], `bias_hh` [3H]; all start U(−1/√H, 1/√H).
 */
export class GRUCell extends RecurrentCell {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }

  forward(x: Tensor, h: Tensor | null = null): Tensor {
    const batch = this.checkInput(x);
    const state = this.checkState('h', h, batch);
    return gruStep(this.inputGates(x, batch), state, stepWeights('GRU', this.weights()));
  }
}

/**
 * An LSTM step (torch.nn.LSTMCell), gates i, f, g, o:
 *
 *   i  = σ(W_ii x + b_ii + W_hi h + b_hi)
 *   f  = σ(W_if x + b_if + W_hf h + b_hf)
 *   g  = tanh(W_ig x + b_ig + W_hg h + b_hg)
 *   o  = σ(W_io x + b_io + W_ho h + b_ho)
 *   c' = f ⊙ c + i ⊙ g
 *   h' = o ⊙ tanh(c')
 *
 * x [B, inputSize], state {h, c} each [B, hiddenSize] (zeros when null) → {h', c'}. Parameters `weight_ih`
 * [4H, I], `weight_hh` [4H, H], `bias_ih` [4H], `bias_hh` [4H]; all start U(−1/√H, 1/√H).
 */
export class LSTMCell extends RecurrentCell {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  forward(x: Tensor, state: LSTMState | null = null): LSTMState {
    const batch = this.checkInput(x);
    if (state !== null && !isState(state)) {
      fail(
        'LSTMCell',
        `state must be { h, c } (each [B, ${this.hiddenSize}]) or null, got ${describeState(state)}`,
      );
    }
    const h = this.checkState('h', state?.h ?? null, batch);
    const c = this.checkState('c', state?.c ?? null, batch);
    return lstmStep(this.inputGates(x, batch), h, c, stepWeights('LSTM', this.weights()));
  }
}
