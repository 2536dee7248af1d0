/**
 * The building blocks the architecture exporters share, each the ONNX form of an attn layer's forward:
 * parameters named as in attn's state dict, Linear, Embedding, LayerNorm, masked softmax attention, GRU layers
 * (ONNX's GRU op, whose semantics match torch's with linear_before_reset = 1 once the gates are reordered) and
 * the multi-head attention of the Transformer layers. Constant subgraphs on the parameters (transposes, gate
 * reorders, slices of in_proj_weight) are left to ONNX Runtime's constant folding, so that the initializers are
 * attn's tensors as they are.
 */
import type { Module } from '../../nn/module.js';
import type { RecurrentWeights } from '../../nn/recurrent-step.js';
import type { GRU } from '../../nn/rnn.js';
import type { LayerNorm } from '../../nn/layer-norm.js';
import type { Linear } from '../../nn/linear.js';
import type { MultiHeadAttention } from '../../attention/multihead.js';
import { fail } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { float, type OnnxGraph } from './graph.js';
import { DataType } from './schema.js';

const OP = 'exportOnnx';

/** The graph with the model whose parameters it reads: each parameter becomes an initializer under its state-dict name. */
export class ModelGraph {
  private readonly paramNames = new Map<Tensor, string>();
  private readonly added = new Map<Tensor, string>();

  constructor(
    readonly g: OnnxGraph,
    model: Module,
  ) {
    for (const [name, tensor] of model.namedParameters())
      if (!this.paramNames.has(tensor)) this.paramNames.set(tensor, name);
  }

  /** The initializer of a parameter (added on first use). */
  param(tensor: Tensor | null, what = 'parameter'): string {
    if (tensor === null) fail(OP, `the model has no ${what}, which the export needs`);
    const known = this.added.get(tensor);
    if (known !== undefined) return known;
    const name = this.paramNames.get(tensor);
    if (name === undefined) fail(OP, `${what} is not a parameter of the model`);
    this.added.set(tensor, this.g.initializer(name, tensor));
    return name;
  }

  /** A constant that is not a parameter (a positional table), under the name given. */
  buffer(name: string, tensor: Tensor): string {
    const known = this.added.get(tensor);
    if (known !== undefined) return known;
    this.added.set(tensor, this.g.initializer(name, tensor));
    return name;
  }

  /** y = x·Wᵀ + b for W [out, in] and b [out] (no bias when null). */
  linear(x: string, weight: Tensor, bias: Tensor | null): string {
    const wt = this.g.op('Transpose', [this.param(weight)], { perm: [1, 0] });
    const y = this.g.op('MatMul', [x, wt]);
    return bias ? this.g.op('Add', [y, this.param(bias)]) : y;
  }

  /** A Linear module's forward. */
  module(x: string, layer: Linear): string {
    return this.linear(x, layer.weight, layer.bias);
  }

  /** LayerNorm over the last axis: (x − mean)/√(var + eps)·γ + β. */
  layerNorm(x: string, norm: LayerNorm): string {
    return this.g.op(
      'LayerNormalization',
      [x, this.param(norm.weight), this.param(norm.bias, 'LayerNorm bias')],
      {
        axis: -1,
        epsilon: float(norm.eps),
      },
    );
  }

  /**
   * The two inputs of a graph that reads padded token ids: `input_ids` and `attention_mask`, both int64
   * [batch, `lengthAxis`] (the Hugging Face names, so that ONNX Runtime users feed them as they are used to).
   */
  tokenInputs(
    lengthAxis: 'source_length' | 'sequence_length',
    what = 'token ids',
  ): { ids: string; mask: string } {
    const g = this.g;
    const dims = ['batch', lengthAxis];
    return {
      ids: g.input('input_ids', DataType.INT64, dims, `${what}, right-padded with 0`),
      mask: g.input('attention_mask', DataType.INT64, dims, '1 at tokens, 0 at padding'),
    };
  }

  /** Rows of an embedding table: W[ids]. */
  embed(weight: Tensor, ids: string): string {
    return this.g.op('Gather', [this.param(weight), ids], { axis: 0 });
  }

  /** The [start, end) slice of `x` along `axis` (constant bounds). */
  slice(x: string, axis: number, start: number, end: number): string {
    const g = this.g;
    return g.op('Slice', [x, g.ints([start]), g.ints([end]), g.ints([axis])]);
  }

  /**
   * α = softmax(scores with −∞ where `masked`) along the last axis; `masked` is bool, true at padding, and
   * broadcasts against the scores.
   */
  maskedSoftmax(scores: string, masked: string): string {
    const g = this.g;
    const filled = g.op('Where', [masked, g.floats([-Infinity], []), scores]);
    return g.op('Softmax', [filled], { axis: -1 });
  }

  /** Bool [B, S], true at padding, from an int64 attention mask (1 = token, 0 = padding). */
  paddingMask(attentionMask: string): string {
    const g = this.g;
    return g.op('Equal', [attentionMask, g.ints([0], [])]);
  }

  /**
   * ONNX GRU weights from torch's: W, R [D, 3H, ·] and B [D, 6H] with the gate blocks reordered from torch's
   * (r, z, n) to ONNX's (z, r, h), the two directions stacked.
   */
  gruWeights(directions: readonly RecurrentWeights[]): { W: string; R: string; B: string } {
    const g = this.g;
    const reorder = (t: Tensor, what: string) => {
      const [r, z, n] = g.node('Split', [this.param(t, what)], { axis: 0 }, 3);
      return g.op('Concat', [z!, r!, n!], { axis: 0 });
    };
    const stack = (parts: string[]) =>
      g.op(
        'Concat',
        parts.map((p) => g.op('Unsqueeze', [p, g.ints([0])])),
        { axis: 0 },
      );
    return {
      W: stack(directions.map((w) => reorder(w.weightIh, 'GRU weight_ih'))),
      R: stack(directions.map((w) => reorder(w.weightHh, 'GRU weight_hh'))),
      B: stack(
        directions.map((w) =>
          g.op('Concat', [reorder(w.biasIh!, 'GRU bias_ih'), reorder(w.biasHh!, 'GRU bias_hh')], { axis: 0 }),
        ),
      ),
    };
  }

  /**
   * One layer of a torch GRU (both directions when bidirectional) over time-major x [T, B, I]:
   *   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
   *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h
   * which is ONNX's GRU with linear_before_reset = 1. With sequence lengths, each sequence stops at its end and
   * the reverse direction starts there, as attn's GRU on lengths. Returns Y [T, D, B, H] and Y_h [D, B, H].
   */
  gruLayer(rnn: GRU, layer: number, x: string, lengths: string, initial: string): { Y: string; Yh: string } {
    const D = rnn.bidirectional ? 2 : 1;
    const directions = rnn.allWeights.slice(layer * D, layer * D + D);
    if (directions.some((w) => !w.biasIh || !w.biasHh))
      fail(OP, 'GRU layers without biases are not exported');
    const { W, R, B } = this.gruWeights(directions);
    const [Y, Yh] = this.g.node(
      'GRU',
      [x, W, R, B, lengths, initial],
      {
        hidden_size: rnn.hiddenSize,
        direction: D === 2 ? 'bidirectional' : 'forward',
        linear_before_reset: 1,
      },
      2,
    );
    return { Y: Y!, Yh: Yh! };
  }

  /** [B, T, E] → [B, H, T, E/H]. */
  splitHeads(x: string, heads: number, headDim: number): string {
    const g = this.g;
    const r = g.op('Reshape', [x, g.ints([0, 0, heads, headDim])]);
    return g.op('Transpose', [r], { perm: [0, 2, 1, 3] });
  }

  /** One of the q, k, v projections of in_proj: x·W_iᵀ + b_i with W_i rows [iE, (i+1)E) of in_proj_weight. */
  inProjection(x: string, mha: MultiHeadAttention, which: 0 | 1 | 2): string {
    const E = mha.embedDim;
    const w = this.slice(this.param(mha.inProjWeight, 'in_proj_weight'), 0, which * E, (which + 1) * E);
    const y = this.g.op('MatMul', [x, this.g.op('Transpose', [w], { perm: [1, 0] })]);
    if (!mha.inProjBias) return y;
    return this.g.op('Add', [y, this.slice(this.param(mha.inProjBias), 0, which * E, (which + 1) * E)]);
  }

  /** Keys or values of `x` [B, T, E] as heads [B, H, T, d]. */
  headsOf(x: string, mha: MultiHeadAttention, which: 1 | 2): string {
    return this.splitHeads(this.inProjection(x, mha, which), mha.numHeads, mha.headDim);
  }

  /**
   * Multi-head attention of queries x [B, T, E] over keys and values already split into heads [B, H, S, d]:
   *   head_h = softmax(q_h·k_hᵀ/√d, −∞ where masked)·v_h,  out = concat_h(head_h)·W_oᵀ + b_o
   * `masked` (bool, broadcasting to [B, H, T, S]) may be null. Returns the output [B, T, E] and the weights
   * [B, H, T, S].
   */
  attention(
    x: string,
    mha: MultiHeadAttention,
    keys: string,
    values: string,
    masked: string | null,
  ): { out: string; weights: string } {
    const g = this.g;
    const q = this.splitHeads(this.inProjection(x, mha, 0), mha.numHeads, mha.headDim);
    const kt = g.op('Transpose', [keys], { perm: [0, 1, 3, 2] });
    const scores = g.op('Mul', [g.op('MatMul', [q, kt]), g.floats([1 / Math.sqrt(mha.headDim)], [])]);
    const weights = masked ? this.maskedSoftmax(scores, masked) : g.op('Softmax', [scores], { axis: -1 });
    const heads = g.op('MatMul', [weights, values]);
    const joined = g.op('Reshape', [
      g.op('Transpose', [heads], { perm: [0, 2, 1, 3] }),
      g.ints([0, 0, mha.embedDim]),
    ]);
    return { out: this.module(joined, mha.outProj), weights };
  }
}

export { DataType };
