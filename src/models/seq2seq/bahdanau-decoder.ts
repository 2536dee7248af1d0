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
 * W1 k_j does not depend on t: it is computed once per batch (`init`) and kept in the decoding state.
 *
 * Parameters (standalone): `embedding.weight`, `rnn.weight_ih_l0` [G·H, encoderDim + embeddingDim] (context
 * columns first), `rnn.weight_hh_l0`, `rnn.bias_ih_l0`, `rnn.bias_hh_l0`, …, `fc.weight`, `fc.bias`,
 * `attention.W1.weight`, `attention.W1.bias`, `attention.W2.*`, `attention.V.*`. BahdanauSeq2Seq renames them to
 * the tutorial's `dec_emb`, `dec`, `fc`, `attn`.
 */
import { AdditiveAttention } from '../../attention/additive.js';
import { fail } from '../../tensor/errors.js';
import { bahdanauGruSequence } from '../../tensor/ops/bahdanau-gru-sequence.js';
import { add, maskedFill, matmul, reshape, softmax } from '../../tensor/ops/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import {
  RNNAttentionDecoder,
  type RNNDecoderWeights,
  type RNNDecoderOptions,
  type RNNDecoderState,
  type RNNStepCore,
} from './rnn-decoder.js';

export interface BahdanauDecoderOptions extends RNNDecoderOptions {
  /** Width of the additive scorer's hidden layer (W1, W2: → units; default hiddenSize). */
  attentionUnits?: number;
}

export class BahdanauDecoder extends RNNAttentionDecoder {
  readonly attention: AdditiveAttention;

  constructor(options: BahdanauDecoderOptions) {
    super('BahdanauDecoder', options, (encoderDim, embeddingDim) => [encoderDim, embeddingDim], 1);
    const units = options.attentionUnits ?? options.hiddenSize;
    if (!Number.isInteger(units) || units <= 0)
      fail('BahdanauDecoder', `attentionUnits must be a positive integer, got ${units}`);
    this.attention = this.registerModule(
      'attention',
      new AdditiveAttention(this.hiddenSize, this.encoderDim, units, { generator: options.generator }),
    );
  }

  protected projectKeys(memory: Tensor): Tensor {
    return this.attention.projectKeys(memory);
  }

  /**
   * Additive attention of query [rows, H] over the state's encoder outputs, from the keys projected once:
   * context [rows, encoderDim] and weights [rows, S] (0 at padding).
   */
  attend(query: Tensor, state: RNNDecoderState): { context: Tensor; weights: Tensor } {
    const [rows, length] = state.keys.shape as [number, number];
    let scores = this.attention.scoreProjected(reshape(query, [rows, 1, this.hiddenSize]), state.keys);
    if (state.paddingMask)
      scores = maskedFill(scores, reshape(state.paddingMask, [rows, 1, length]), -Infinity);
    const weights = softmax(scores, -1);
    const context = reshape(matmul(weights, state.memory), [rows, this.encoderDim]);
    return { context, weights: reshape(weights, [rows, length]) };
  }

  /** One-layer GRU: the teacher-forced steps as one fused op (bahdanauGruSequence), same arithmetic as stepCore. */
  protected override forwardSequence(
    embedded: Tensor,
    state: RNNDecoderState,
    w: RNNDecoderWeights,
  ): { outputs: Tensor; weights: Tensor; state: RNNDecoderState } | null {
    if (this.cell !== 'gru' || this.numLayers !== 1) return null;
    const rnn = this.rnn.allWeights[0]!;
    const { W2, V } = this.attention;
    const r = bahdanauGruSequence({
      embedded,
      h0: state.h[0]!,
      keys: state.keys,
      memory: state.memory,
      mask: state.paddingMask,
      queryWeight: W2.weight,
      queryBias: W2.bias,
      scoreWeight: V.weight,
      scoreBias: V.bias,
      contextWeight: w.recurrence.parts2d[0]!,
      weightHh: rnn.weightHh,
      biasHn: w.recurrence.step[0]!.biasHn,
    });
    const steps = embedded.shape[0]!;
    return {
      outputs: r.states,
      weights: r.weights,
      state: { ...state, h: [r.last], c: null, step: state.step + steps },
    };
  }

  protected stepCore(embedded: Tensor, state: RNNDecoderState, w: RNNDecoderWeights): RNNStepCore {
    const { context, weights } = this.attend(state.h[this.numLayers - 1]!, state);
    const { h, c } = this.advance(add(embedded, this.projectInput(0, context, w)), state, w);
    return { output: h[this.numLayers - 1]!, weights, state: { ...state, h, c, step: state.step + 1 } };
  }
}
