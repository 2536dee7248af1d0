/**
 * The encoder of the RNN sequence-to-sequence models: Embedding → (dropout) → GRU or LSTM (batchFirst).
 *
 *   src int32 [B, S] → outputs [B, S, D·H]   (D = 2 if bidirectional, else 1; zero at padding positions)
 *                    → state h [L·D, B, H] (and c for LSTM): the final state of every layer and direction,
 *                      row l·D + d, each sequence's taken after its last real step (see nn/rnn.ts)
 *
 * Padding: pass `lengths` (right-padded batches); the recurrence then stops at each sequence's end, so outputs
 * at real positions do not depend on what the padding holds, and outputs at padding positions are zero.
 *
 * The decoder's initial state: `decoderState(state)` gives one state per layer, [L, B, H]. Unidirectional, it is
 * the final state as is. Bidirectional, the forward and reverse final states of each layer are joined by the
 * bridge: h_l = tanh(bridge([h_l,fwd; h_l,rev])) with `bridge` a Linear(2H → H), and for LSTM
 * c_l = bridge_c([c_l,fwd; c_l,rev]) (linear: cell states are not bounded). The decoder then reads outputs of
 * size 2H as its attention keys and values.
 *
 * Parameters: `embedding.weight`, `rnn.weight_ih_l0`, … (torch.nn.GRU / LSTM names), `bridge.weight`,
 * `bridge.bias` (and `bridge_c.*` for LSTM) when bidirectional. Dropout (training mode only) applies to the
 * embeddings and between recurrent layers.
 */
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { GRU, LSTM } from '../../nn/rnn.js';
import { fail } from '../../tensor/errors.js';
import { permute, reshape, tanh } from '../../tensor/ops/index.js';
import type { Generator } from '../../tensor/random.js';
import { formatShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import type { RNNCellKind } from './recurrence.js';

export interface RNNEncoderOptions {
  vocabSize: number;
  embeddingDim: number;
  /** Hidden size H of each direction. */
  hiddenSize: number;
  /** Recurrent cell (default 'gru'). */
  cell?: RNNCellKind;
  /** Stacked layers L (default 1). */
  numLayers?: number;
  /** A reverse direction too (default false); outputs are then 2H wide and the bridge is created. */
  bidirectional?: boolean;
  /** Dropout on the embeddings and between layers, training mode only (default 0). */
  dropout?: number;
  /** The <pad> id: its embedding row stays zero and gets no gradient. */
  paddingIdx?: number;
  generator?: Generator;
}

/** A recurrent state: h (and c for LSTM), [layers(·directions), B, H]. */
export interface RNNState {
  h: Tensor;
  c?: Tensor | null;
}

export interface RNNEncoderResult {
  /** [B, S, D·H], zero at padding positions. */
  outputs: Tensor;
  /** Final states [L·D, B, H]. */
  state: RNNState;
}

export class RNNEncoder extends Module {
  readonly vocabSize: number;
  readonly embeddingDim: number;
  readonly hiddenSize: number;
  readonly cell: RNNCellKind;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  /** Width of the outputs: D·H. */
  readonly outputSize: number;
  readonly embedding: Embedding;
  readonly dropout: Dropout;
  readonly rnn: GRU | LSTM;
  /** Linear(2H → H) joining the two directions' final h (bidirectional only). */
  readonly bridge: Linear | null = null;
  /** Linear(2H → H) joining the two directions' final c (bidirectional LSTM only). */
  readonly bridgeC: Linear | null = null;

  constructor(options: RNNEncoderOptions) {
    super();
    const { vocabSize, embeddingDim, hiddenSize, generator } = options;
    this.cell = options.cell ?? 'gru';
    if (this.cell !== 'gru' && this.cell !== 'lstm')
      fail('RNNEncoder', `cell must be 'gru' or 'lstm', got ${String(this.cell)}`);
    this.vocabSize = vocabSize;
    this.embeddingDim = embeddingDim;
    this.hiddenSize = hiddenSize;
    this.numLayers = options.numLayers ?? 1;
    this.bidirectional = options.bidirectional ?? false;
    this.outputSize = (this.bidirectional ? 2 : 1) * hiddenSize;
    const dropout = options.dropout ?? 0;
    this.embedding = this.registerModule(
      'embedding',
      new Embedding(vocabSize, embeddingDim, { paddingIdx: options.paddingIdx, generator }),
    );
    const rnnOptions = {
      numLayers: this.numLayers,
      bidirectional: this.bidirectional,
      dropout,
      batchFirst: true,
      generator,
    };
    this.rnn = this.registerModule(
      'rnn',
      this.cell === 'gru'
        ? new GRU(embeddingDim, hiddenSize, rnnOptions)
        : new LSTM(embeddingDim, hiddenSize, rnnOptions),
    );
    if (this.bidirectional) {
      this.bridge = this.registerModule('bridge', new Linear(2 * hiddenSize, hiddenSize, { generator }));
      if (this.cell === 'lstm')
        this.bridgeC = this.registerModule('bridge_c', new Linear(2 * hiddenSize, hiddenSize, { generator }));
    }
    this.dropout = this.registerModule('dropout', new Dropout(dropout, generator));
  }

  /** src int32 [B, S]; lengths (int32 [B] or numbers) for right-padded batches. */
  forward(src: Tensor, lengths: Tensor | readonly number[] | null = null): RNNEncoderResult {
    if (!(src instanceof Tensor) || src.dtype !== 'int32' || src.ndim !== 2) {
      fail(
        'RNNEncoder',
        `src must be int32 [B, S], got ${src instanceof Tensor ? `${src.dtype} ${formatShape(src.shape)}` : String(src)}`,
      );
    }
    const x = this.dropout.forward(this.embedding.forward(src));
    if (this.rnn instanceof LSTM) {
      const { output, hN, cN } = this.rnn.forward(x, null, { lengths });
      return { outputs: output, state: { h: hN, c: cN } };
    }
    const { output, hN } = this.rnn.forward(x, null, { lengths });
    return { outputs: output, state: { h: hN } };
  }

  /** The decoder's initial state [L, B, H] from the final states [L·D, B, H] (see the bridge, above). */
  decoderState(state: RNNState): RNNState {
    if (!this.bidirectional) return state;
    const join = (t: Tensor, bridge: Linear, squash: boolean): Tensor => {
      const [, batch, hidden] = t.shape as [number, number, number];
      // [L·2, B, H] → [L, 2, B, H] → [L, B, 2, H] → [L, B, 2H]: each layer's [forward; reverse].
      const both = reshape(permute(reshape(t, [this.numLayers, 2, batch, hidden]), [0, 2, 1, 3]), [
        this.numLayers,
        batch,
        2 * hidden,
      ]);
      const y = bridge.forward(both);
      return squash ? tanh(y) : y;
    };
    const h = join(state.h, this.bridge!, true);
    const c = state.c && this.bridgeC ? join(state.c, this.bridgeC, false) : null;
    return { h, c };
  }
}
