/**
 * The decoder of Luong, Pham & Manning (2015). At every target step t:
 *
 *   x_t   = [Embedding(y_{t−1}); h̃_{t−1}]        input feeding (h̃_0 = 0); just the embedding without it
 *   h_t   = GRU/LSTM step(x_t, h_{t−1})          (every layer; the top layer's h_t is the query)
 *   α_t   = normalise(score(h_t, k_j))           'dot' h·k, 'general' h·(W k), 'concat' vᵀ tanh(W [h; k]);
 *                                                 padding masked; global, or local (window) around p_t:
 *                                                 local-m p_t = t, local-p p_t = (S − 1)·σ(v_pᵀ tanh(W_p h_t))
 *                                                 with the weights scaled by a Gaussian (see attention/local.ts)
 *   c_t   = Σ_j α_tj k_j
 *   h̃_t   = tanh(W_c [c_t; h_t])                 the attentional state (W_c without bias, as the paper)
 *   logits_t = fc(h̃_t)                           (the paper's W_s)
 *
 * The attention layer is attention/'s DotAttention, GeneralAttention or ConcatAttention (its parameters, names
 * and window); the decoder computes its encoder-side half once per batch — W k for 'general', W_k k + b for
 * 'concat' — so a step costs O(S·H) instead of O(S·H²). `attend` gives the same result as the layer's forward.
 *
 * Parameters (standalone): `embedding.weight`, `rnn.*` (weight_ih_l0 [G·H, embeddingDim + H], embedding columns
 * first), `fc.*`, `attention.*` (`W.weight` for general; `W.*`, `v.weight` for concat; `Wp.weight`, `vp.weight`
 * for local-p), `W_c.weight` [H, encoderDim + H].
 */
import type { Attention } from '../../attention/attention.js';
import { ConcatAttention } from '../../attention/concat.js';
import { DotAttention } from '../../attention/dot.js';
import { GeneralAttention } from '../../attention/general.js';
import { checkWindow, gaussianWindow, outsideWindow, type LocalWindow } from '../../attention/local.js';
import type { LuongScore } from '../../attention/luong.js';
import { Linear } from '../../nn/linear.js';
import { full } from '../../tensor/creation.js';
import { fail } from '../../tensor/errors.js';
import {
  add,
  concat,
  maskedFill,
  matmul,
  mul,
  reshape,
  sigmoid,
  slice,
  softmax,
  squeeze,
  tanh,
  unsqueeze,
} from '../../tensor/ops/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import {
  RNNAttentionDecoder,
  type RNNDecoderWeights,
  type RNNDecoderOptions,
  type RNNDecoderState,
  type RNNStepCore,
} from './rnn-decoder.js';

export interface LuongDecoderOptions extends RNNDecoderOptions {
  /** The score (default 'general'); 'dot' needs encoderDim = hiddenSize. */
  score?: LuongScore;
  /** Local attention window; global attention when omitted. */
  window?: LocalWindow | null;
  /** Feed h̃_{t−1} into the recurrence beside the embedding (default true). */
  inputFeeding?: boolean;
}

export class LuongDecoder extends RNNAttentionDecoder {
  readonly score: LuongScore;
  readonly window: LocalWindow | null;
  readonly inputFeeding: boolean;
  readonly attention: Attention;
  /** W_c: Linear(encoderDim + H → H, no bias). */
  readonly Wc: Linear;
  private readonly predictor: { Wp: Linear; vp: Linear } | null = null;

  constructor(options: LuongDecoderOptions) {
    const inputFeeding = options.inputFeeding ?? true;
    super(
      'LuongDecoder',
      options,
      (_encoderDim, embeddingDim, hiddenSize) => (inputFeeding ? [embeddingDim, hiddenSize] : [embeddingDim]),
      0,
    );
    const op = 'LuongDecoder';
    this.inputFeeding = inputFeeding;
    this.score = options.score ?? 'general';
    this.window = options.window ?? null;
    if (this.window) checkWindow(op, this.window);
    const { hiddenSize: H, encoderDim: D } = this;
    const attentionOptions = { window: this.window, generator: options.generator };
    switch (this.score) {
      case 'dot':
        if (D !== H)
          fail(op, `the 'dot' score needs encoderDim = hiddenSize, got ${D} and ${H}; use 'general'`);
        this.attention = new DotAttention(H, attentionOptions);
        break;
      case 'general':
        this.attention = new GeneralAttention(H, D, attentionOptions);
        break;
      case 'concat':
        this.attention = new ConcatAttention(H, D, H, attentionOptions);
        break;
      default:
        fail(op, `score must be 'dot', 'general' or 'concat', got ${String(this.score)}`);
    }
    this.registerModule('attention', this.attention);
    this.Wc = this.registerModule('W_c', new Linear(D + H, H, { bias: false, generator: options.generator }));
    if (this.window?.kind === 'local-p') {
      const modules = new Map(this.attention.namedModules());
      this.predictor = { Wp: modules.get('Wp') as Linear, vp: modules.get('vp') as Linear };
    }
  }

  protected override needsLastPosition(): boolean {
    return this.window?.kind === 'local-p';
  }

  protected projectKeys(memory: Tensor): Tensor {
    if (this.attention instanceof GeneralAttention) return this.attention.W.forward(memory);
    if (this.attention instanceof ConcatAttention) {
      const W = this.attention.W;
      const keys = matmul(memory, slice(W.weight, 1, this.hiddenSize), { transB: true });
      return W.bias ? add(keys, W.bias) : keys;
    }
    return memory;
  }

  /** For 'concat': the query half of W, [units, H]. */
  protected override prepareExtra(): Tensor[] {
    if (this.attention instanceof ConcatAttention)
      return [slice(this.attention.W.weight, 1, 0, this.hiddenSize)];
    return [];
  }

  /**
   * Attention of query [rows, H] (the new top hidden state) at the state's step over its encoder outputs, from
   * the keys projected once: context [rows, encoderDim] and weights [rows, S] (0 at padding and outside the
   * window).
   */
  attend(
    query: Tensor,
    state: RNNDecoderState,
    w: RNNDecoderWeights = this.prepare(),
  ): { context: Tensor; weights: Tensor } {
    const [rows, length] = state.keys.shape as [number, number];
    const q = reshape(query, [rows, 1, this.hiddenSize]);
    let scores: Tensor;
    if (this.attention instanceof ConcatAttention) {
      const fromQuery = matmul(q, w.extra[0]!, { transB: true });
      const hidden = tanh(add(unsqueeze(fromQuery, 2), unsqueeze(state.keys, 1)));
      scores = squeeze(this.attention.v.forward(hidden), -1);
    } else {
      scores = matmul(q, state.keys, { transB: true });
    }
    if (state.paddingMask)
      scores = maskedFill(scores, reshape(state.paddingMask, [rows, 1, length]), -Infinity);
    let positions: Tensor | null = null;
    if (this.window) {
      if (this.predictor) {
        const { Wp, vp } = this.predictor;
        positions = mul(state.lastPosition!, sigmoid(squeeze(vp.forward(tanh(Wp.forward(q))), -1)));
      } else {
        positions = full([rows, 1], state.step);
      }
      scores = maskedFill(scores, outsideWindow(positions, length, this.window.halfWidth), -Infinity);
    }
    let weights = softmax(scores, -1);
    if (this.predictor && positions)
      weights = mul(weights, gaussianWindow(positions, length, this.window!.halfWidth));
    const context = reshape(matmul(weights, state.memory), [rows, this.encoderDim]);
    return { context, weights: reshape(weights, [rows, length]) };
  }

  protected stepCore(embedded: Tensor, state: RNNDecoderState, w: RNNDecoderWeights): RNNStepCore {
    const x0 =
      this.inputFeeding && state.feed ? add(embedded, this.projectInput(1, state.feed, w)) : embedded;
    const { h, c } = this.advance(x0, state, w);
    const top = h[this.numLayers - 1]!;
    const { context, weights } = this.attend(top, state, w);
    const attentional = tanh(this.Wc.forward(concat([context, top], 1)));
    return {
      output: attentional,
      weights,
      state: { ...state, h, c, feed: this.inputFeeding ? attentional : null, step: state.step + 1 },
    };
  }
}
