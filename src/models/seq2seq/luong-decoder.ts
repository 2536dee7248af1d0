/**
 * The decoder of Luong, Pham & Manning (2015). At every target step t:
 *
 *   x_t   = [Embedding(y_{t−1}); h̃_{t−1}]        input feeding (h̃_0 = 0); just the embedding without it
 *   h_t   = GRU/LSTM step(x_t, h_{t−1})          (every layer; the top layer's h_t is the query)
 *   α_t   = normalise(score(h_t, k_j))           'dot' h·k, 'general' h·(W k), 'concat' vᵀ tanh(W [h; k]),
 *                                                 'location' (W_a h_t)_j (the state alone, j < maxSourceLength);
 *                                                 padding masked; global, or local (window) around p_t:
 *                                                 local-m p_t = t, local-p p_t = (S − 1)·σ(v_pᵀ tanh(W_p h_t))
 *                                                 with the weights scaled by a Gaussian (see attention/local.ts)
 *   c_t   = Σ_j α_tj k_j
 *   h̃_t   = tanh(W_c [c_t; h_t])                 the attentional state (W_c without bias, as the paper)
 *   logits_t = fc(h̃_t)                           (the paper's W_s)
 *
 * The attention layer is attention/'s DotAttention, GeneralAttention, ConcatAttention or LocationAttention (its
 * parameters, names, window and normaliser). Its encoder-side half — W k for 'general', W_k k + b for 'concat' — is `prepareKeys`, run once per
 * batch (`init`), so a step costs O(S·H) instead of O(S·H²). decoder-runner.ts runs whole sequences (fused as
 * luongGruSequence for a one-layer GRU with a global 'dot' or 'general' score).
 *
 * Parameters (standalone): `embedding.weight`, `rnn.*` (weight_ih_l0 [G·H, embeddingDim + H], embedding columns
 * first), `fc.*`, `attention.*` (`W.weight` for general and location; `W.*`, `v.weight` for concat; `Wp.weight`, `vp.weight`
 * for local-p), `W_c.weight` [H, encoderDim + H].
 */
import { lastKeyPositions, type Attention } from '../../attention/attention.js';
import { ConcatAttention } from '../../attention/concat.js';
import { DotAttention } from '../../attention/dot.js';
import { GeneralAttention } from '../../attention/general.js';
import { checkWindow, type LocalWindow } from '../../attention/local.js';
import { LocationAttention } from '../../attention/location.js';
import type { LuongScore } from '../../attention/luong.js';
import { Linear } from '../../nn/linear.js';
import { fail } from '../../tensor/errors.js';
import { add, concat, tanh } from '../../tensor/ops/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import {
  checkTokens,
  embedStep,
  initialState,
  type RNNDecoderCoreResult,
  type RNNDecoderOptions,
  type RNNDecoderState,
  type RNNDecoderStepResult,
  type RNNDecoderWeights,
} from './decoder-parts.js';
import { runDecoder, type RNNDecoderForwardOptions, type RNNDecoderForwardResult } from './decoder-runner.js';
import { prepareRecurrence, projectPart, recurrenceStep } from './recurrence.js';
import type { RNNState } from './rnn-encoder.js';
import { RNNAttentionDecoderBase } from './attention-decoder-base.js';

export interface LuongDecoderOptions extends RNNDecoderOptions {
  /** The score (default 'general'); 'dot' needs encoderDim = hiddenSize. */
  score?: LuongScore;
  /** Local attention window; global attention when omitted. */
  window?: LocalWindow | null;
  /** Feed h̃_{t−1} into the recurrence beside the embedding (default true). */
  inputFeeding?: boolean;
  /** 'location' only (and required there): the longest source W_a scores. */
  maxSourceLength?: number;
}

/** Layer 0's input x_t = [embedding; h̃_{t−1}]: the embedding is part 0, the fed-back h̃ part 1. */
const EMBEDDING = 0;
const FEED = 1;

export class LuongDecoder extends RNNAttentionDecoderBase {
  readonly kind = 'luong';
  readonly op = 'LuongDecoder';
  /** Which part of layer 0's input the embedding is, and which the fed-back h̃ (see recurrence.ts). */
  readonly embeddingPart = EMBEDDING;
  readonly feedPart = FEED;
  readonly score: LuongScore;
  readonly window: LocalWindow | null;
  readonly inputFeeding: boolean;
  readonly attention: Attention;
  /** W_c: Linear(encoderDim + H → H, no bias). */
  readonly Wc: Linear;

  constructor(options: LuongDecoderOptions) {
    const op = 'LuongDecoder';
    const { embeddingDim, hiddenSize: H, encoderDim: D } = options;
    const inputFeeding = options.inputFeeding ?? true;
    super(op, options, inputFeeding ? embeddingDim + H : embeddingDim);
    this.inputFeeding = inputFeeding;
    this.score = options.score ?? 'general';
    this.window = options.window ?? null;
    if (this.window) checkWindow(op, this.window);
    const attentionOptions = {
      window: this.window,
      generator: options.generator,
      ...(options.normalizer === undefined ? {} : { normalizer: options.normalizer }),
      ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
    };
    if (options.maxSourceLength !== undefined && this.score !== 'location')
      fail(op, `maxSourceLength applies to the 'location' score only, got score '${String(this.score)}'`);
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
      case 'location':
        if (options.maxSourceLength === undefined)
          fail(op, "the 'location' score needs maxSourceLength (the longest source it scores)");
        this.attention = new LocationAttention(H, D, options.maxSourceLength, attentionOptions);
        break;
      default:
        fail(op, `score must be 'dot', 'general', 'concat' or 'location', got ${String(this.score)}`);
    }
    this.registerModule('attention', this.attention);
    this.Wc = this.registerModule('W_c', new Linear(D + H, H, { bias: false, generator: options.generator }));
  }

  /**
   * Views of the parameters that every step reads (W_ih's column blocks, folded biases, the score's query-side
   * weights). Make them once per run and pass them to every `step` (copies: make new ones after an update).
   */
  prepare(): RNNDecoderWeights {
    const parts = this.inputFeeding ? [this.embeddingDim, this.hiddenSize] : [this.embeddingDim];
    return { recurrence: prepareRecurrence(this.rnn, parts), scoreWeights: this.attention.prepareWeights() };
  }

  /** The state before the first step, with the score's prepared keys (see decoder-parts.ts's initialState). */
  init(memory: Tensor, initial: RNNState | null = null, paddingMask: Tensor | null = null): RNNDecoderState {
    const state = initialState(this.op, this, memory, initial, paddingMask);
    const [batch, length] = memory.shape as [number, number];
    const lastPosition =
      this.window?.kind === 'local-p' ? lastKeyPositions(batch, length, paddingMask) : null;
    return { ...state, keys: this.attention.prepareKeys(memory), lastPosition };
  }

  /**
   * Attention of query [rows, H] (the new top hidden state) at the state's step over its encoder outputs:
   * context [rows, encoderDim] and weights [rows, S] (0 at padding and outside the window).
   */
  attend(
    query: Tensor,
    state: RNNDecoderState,
    w: RNNDecoderWeights = this.prepare(),
  ): { context: Tensor; weights: Tensor } {
    return this.attention.attendPrepared(query, state.keys, state.memory, {
      keyPaddingMask: state.paddingMask,
      step: state.step,
      lastKeyPosition: state.lastPosition,
      scoreWeights: w.scoreWeights,
    });
  }

  /** One step: tokens int32 [rows] (the previous target token of every row) → logits [rows, V], weights [rows, S]. */
  step(tokens: Tensor, state: RNNDecoderState, w: RNNDecoderWeights = this.prepare()): RNNDecoderStepResult {
    checkTokens(this.op, tokens, state.sources.length);
    const { output, weights, state: next } = this.core(embedStep(this, EMBEDDING, tokens, w), state, w);
    return { logits: this.fc.forward(this.dropout.forward(output)), weights, state: next };
  }

  /**
   * The header's formula up to fc, from layer 0's embedding term [G, rows, H] (bias included): advance every
   * layer on [embedding; h̃_{t−1}], attend with the new top h_t, then h̃_t = tanh(W_c [c_t; h_t]).
   */
  core(embedded: Tensor, state: RNNDecoderState, w: RNNDecoderWeights): RNNDecoderCoreResult {
    const fed = this.inputFeeding && state.feed;
    const x0 = fed ? add(embedded, projectPart(w.recurrence, FEED, state.feed!, false)) : embedded;
    const { h, c } = recurrenceStep(w.recurrence, x0, state.h, state.c, this.between);
    const top = h[this.numLayers - 1]!;
    const { context, weights } = this.attend(top, state, w);
    const attentional = tanh(this.Wc.forward(concat([context, top], 1)));
    const feed = this.inputFeeding ? attentional : null;
    return { output: attentional, weights, state: { ...state, h, c, feed, step: state.step + 1 } };
  }

  /** Runs the decoder over tgtIn int32 [B, T] from `state` (decoder-runner.ts). */
  forward(
    tgtIn: Tensor,
    state: RNNDecoderState,
    options: RNNDecoderForwardOptions = {},
  ): RNNDecoderForwardResult {
    return runDecoder(this, tgtIn, state, options);
  }
}
