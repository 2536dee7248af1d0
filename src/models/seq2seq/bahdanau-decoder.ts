/**
 * The decoder of Bahdanau, Cho & Bengio (2015), in the form of the classic TensorFlow/PyTorch tutorial. At every
 * target step t, with h the hidden state of the top layer before the step:
 *
 *   e_j   = Vᵀ tanh(W1 k_j + W2 h)          additive scores over the encoder outputs k_j (padding masked)
 *   α     = softmax(e),  context = Σ_j α_j k_j
 *   x_t   = [context; Embedding(y_{t−1})]
 *   h     = GRU/LSTM step(x_t, h)            (every layer)
 *   logits_t = fc(h_top)
 *
 * The attention is attention/'s AdditiveAttention; W1 k_j does not depend on t, so its `prepareKeys` runs once
 * per batch (`init`) and the keys stay in the decoding state. W_ih [x_t] is computed as W_ih,ctx·context +
 * W_ih,emb·embedding (recurrence.ts), so the embedding half of every step can be projected at once under teacher
 * forcing; decoder-runner.ts runs the whole sequence (fused as bahdanauGruSequence for a one-layer GRU).
 *
 * Parameters (standalone): `embedding.weight`, `rnn.weight_ih_l0` [G·H, encoderDim + embeddingDim] (context
 * columns first), `rnn.weight_hh_l0`, `rnn.bias_ih_l0`, `rnn.bias_hh_l0`, …, `fc.weight`, `fc.bias`,
 * `attention.W1.weight`, `attention.W1.bias`, `attention.W2.*`, `attention.V.*`. BahdanauSeq2Seq renames them to
 * the tutorial's `dec_emb`, `dec`, `fc`, `attn`.
 */
import { AdditiveAttention } from '../../attention/additive.js';
import { fail } from '../../tensor/errors.js';
import { add } from '../../tensor/ops/index.js';
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

export interface BahdanauDecoderOptions extends RNNDecoderOptions {
  /** Width of the additive scorer's hidden layer (W1, W2: → units; default hiddenSize). */
  attentionUnits?: number;
}

/** Layer 0's input x_t = [context; embedding]: the context is part 0, the embedding part 1. */
const CONTEXT = 0;
const EMBEDDING = 1;

export class BahdanauDecoder extends RNNAttentionDecoderBase {
  readonly kind = 'bahdanau';
  readonly op = 'BahdanauDecoder';
  /** Which part of layer 0's input the embedding is (see recurrence.ts). */
  readonly embeddingPart = EMBEDDING;
  readonly attention: AdditiveAttention;

  constructor(options: BahdanauDecoderOptions) {
    super('BahdanauDecoder', options, options.encoderDim + options.embeddingDim);
    const { hiddenSize, encoderDim } = options;
    const units = options.attentionUnits ?? hiddenSize;
    if (!Number.isInteger(units) || units <= 0)
      fail(this.op, `attentionUnits must be a positive integer, got ${units}`);
    this.attention = this.registerModule(
      'attention',
      new AdditiveAttention(hiddenSize, encoderDim, units, {
        generator: options.generator,
        normalizer: options.normalizer,
        alpha: options.alpha,
      }),
    );
  }

  /**
   * Views of the parameters that every step reads (W_ih's column blocks, folded biases). Make them once per run
   * and pass them to every `step` (they are copies: make new ones after an update).
   */
  prepare(): RNNDecoderWeights {
    return {
      recurrence: prepareRecurrence(this.rnn, [this.encoderDim, this.embeddingDim]),
      scoreWeights: this.attention.prepareWeights(),
    };
  }

  /** The state before the first step, with the keys W1·memory + b1 (see decoder-parts.ts's initialState). */
  init(memory: Tensor, initial: RNNState | null = null, paddingMask: Tensor | null = null): RNNDecoderState {
    const state = initialState(this.op, this, memory, initial, paddingMask);
    return { ...state, keys: this.attention.prepareKeys(memory), lastPosition: null };
  }

  /** Additive attention of query [rows, H] over the state's encoder outputs: context [rows, D], weights [rows, S]. */
  attend(query: Tensor, state: RNNDecoderState): { context: Tensor; weights: Tensor } {
    return this.attention.attendPrepared(query, state.keys, state.memory, {
      keyPaddingMask: state.paddingMask,
    });
  }

  /** One step: tokens int32 [rows] (the previous target token of every row) → logits [rows, V], weights [rows, S]. */
  step(tokens: Tensor, state: RNNDecoderState, w: RNNDecoderWeights = this.prepare()): RNNDecoderStepResult {
    checkTokens(this.op, tokens, state.sources.length);
    const { output, weights, state: next } = this.core(embedStep(this, EMBEDDING, tokens, w), state, w);
    return { logits: this.fc.forward(this.dropout.forward(output)), weights, state: next };
  }

  /**
   * The header's formula up to fc, from layer 0's embedding term [G, rows, H] (bias included): attend with the
   * top layer's h, then advance every layer on [context; embedding].
   */
  core(embedded: Tensor, state: RNNDecoderState, w: RNNDecoderWeights): RNNDecoderCoreResult {
    const top = this.numLayers - 1;
    const { context, weights } = this.attend(state.h[top]!, state);
    const x0 = add(embedded, projectPart(w.recurrence, CONTEXT, context, false));
    const { h, c } = recurrenceStep(w.recurrence, x0, state.h, state.c, this.between);
    return { output: h[top]!, weights, state: { ...state, h, c, step: state.step + 1 } };
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
