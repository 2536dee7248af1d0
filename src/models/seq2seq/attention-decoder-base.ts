/**
 * What the Bahdanau and Luong decoders share: their sizes and the modules every RNN attention decoder has
 * (embedding, rnn, fc, dropout: created and registered first, in this order, which fixes the random
 * initialisation), the dropout between layers, and the reordering of a state's rows for beam search. Each
 * decoder adds its attention and its step.
 */
import type { Dropout } from '../../nn/dropout.js';
import type { Embedding } from '../../nn/embedding.js';
import type { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import type { GRU, LSTM } from '../../nn/rnn.js';
import type { Tensor } from '../../tensor/tensor.js';
import {
  createDecoderModules,
  resolveDecoderOptions,
  selectRows,
  type RNNDecoderOptions,
  type RNNDecoderState,
} from './decoder-parts.js';
import type { RNNCellKind } from './recurrence.js';

export abstract class RNNAttentionDecoderBase extends Module {
  abstract readonly op: string;
  readonly vocabSize: number;
  readonly embeddingDim: number;
  readonly hiddenSize: number;
  readonly encoderDim: number;
  readonly cell: RNNCellKind;
  readonly numLayers: number;
  readonly embedding: Embedding;
  readonly rnn: GRU | LSTM;
  readonly fc: Linear;
  readonly dropout: Dropout;

  /**
   * @param op the decoder's name, for errors
   * @param inputSize features of layer 0's input x_t (the embedding and what the decoder puts beside it)
   */
  protected constructor(op: string, options: RNNDecoderOptions, inputSize: number) {
    super();
    const { cell, numLayers } = resolveDecoderOptions(op, options);
    this.vocabSize = options.vocabSize;
    this.embeddingDim = options.embeddingDim;
    this.hiddenSize = options.hiddenSize;
    this.encoderDim = options.encoderDim;
    this.cell = cell;
    this.numLayers = numLayers;
    const modules = createDecoderModules(options, cell, numLayers, inputSize);
    this.embedding = this.registerModule('embedding', modules.embedding);
    this.rnn = this.registerModule('rnn', modules.rnn);
    this.fc = this.registerModule('fc', modules.fc);
    this.dropout = this.registerModule('dropout', modules.dropout);
  }

  /** The state's rows reordered as `indices` (beam search). */
  select(state: RNNDecoderState, indices: Int32Array): RNNDecoderState {
    return selectRows(this.op, state, indices);
  }

  /** Dropout between layers. */
  protected readonly between = (x: Tensor): Tensor => this.dropout.forward(x);
}
