/**
 * The plain parts the Bahdanau and Luong decoders are built from (each decoder composes them; neither calls the
 * other): the options and the decoding state they share, the modules every RNN decoder has (target embedding,
 * a stacked GRU/LSTM, the output layer `fc`, dropout), the state before the first step and its reordering for
 * beam search, and the embedding term of layer 0's input.
 *
 * The state (RNNDecoderState) holds everything a step needs: the hidden (and cell) state of every layer, the
 * encoder outputs (the attention values), the keys as the score reads them (the attention layer's
 * `prepareKeys`, e.g. W1·outputs for Bahdanau, computed once in `init`), the source padding mask, Luong's
 * input-feeding vector, and the number of steps taken (local-m attention aligns target step t with source
 * position t). `selectRows` reorders it by rows for beam search; rows that keep their source (every beam-search
 * step) reuse the encoder-side tensors without copying.
 *
 * Dropout (training mode only) applies to the target embeddings, between layers, and to the vector fed to `fc`.
 */
import type { Normalizer } from '../../attention/normalizers.js';
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import { GRU, LSTM } from '../../nn/rnn.js';
import { zeros } from '../../tensor/creation.js';
import { fail, requirePositiveIntegers } from '../../tensor/errors.js';
import { indexSelect, unbind } from '../../tensor/ops/index.js';
import type { Generator } from '../../tensor/random.js';
import { formatShape, shapesEqual } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import {
  projectPart,
  projectPartRows,
  timeMajor,
  type RNNCellKind,
  type RecurrenceWeights,
} from './recurrence.js';
import type { RNNState } from './rnn-encoder.js';

export interface RNNDecoderOptions {
  vocabSize: number;
  embeddingDim: number;
  /** Hidden size H of the recurrence. */
  hiddenSize: number;
  /** Width of the encoder outputs (the attention keys and values): H_enc, or 2·H_enc when bidirectional. */
  encoderDim: number;
  /** Recurrent cell (default 'gru'). */
  cell?: RNNCellKind;
  /** Stacked layers (default 1); attention reads (Bahdanau) or is queried by (Luong) the top layer. */
  numLayers?: number;
  /** Dropout on the embeddings, between layers and before `fc`, training mode only (default 0). */
  dropout?: number;
  /** The <pad> id: its embedding row stays zero and gets no gradient. */
  paddingIdx?: number;
  /** How the attention's scores become weights (default 'softmax'), and α of 'entmax'. */
  normalizer?: Normalizer;
  alpha?: number;
  generator?: Generator;
}

export interface RNNDecoderState {
  /** Hidden state of each layer, [rows, H]. */
  readonly h: readonly Tensor[];
  /** Cell state of each layer (LSTM), else null. */
  readonly c: readonly Tensor[] | null;
  /** The encoder outputs: attention values, [rows, S, encoderDim]. */
  readonly memory: Tensor;
  /** The keys as the score reads them, prepared once (Attention.prepareKeys): [rows, S, ·]. */
  readonly keys: Tensor;
  /** bool [rows, S], true at source padding; null when nothing is padded. */
  readonly paddingMask: Tensor | null;
  /** Local-p attention: S_b − 1 of each row's source (float32 [rows, 1]); else null. */
  readonly lastPosition: Tensor | null;
  /** Luong input feeding: the previous attentional vector h̃ [rows, H]; null before the first step or unused. */
  readonly feed: Tensor | null;
  /** Target steps taken so far. */
  readonly step: number;
  /** The source (batch index) of every row. */
  readonly sources: Int32Array;
}

/** The per-run views of the parameters (see the decoders' `prepare`). */
export interface RNNDecoderWeights {
  readonly recurrence: RecurrenceWeights;
  /** The attention layer's `prepareWeights()` (e.g. the query half of Luong's concat score). */
  readonly scoreWeights: readonly Tensor[];
}

export interface RNNDecoderStepResult {
  /** [rows, vocabSize]. */
  logits: Tensor;
  /** [rows, S]. */
  weights: Tensor;
  state: RNNDecoderState;
}

/** One step before the output layer: the vector fed to fc [rows, ·], the weights [rows, S], the new state. */
export interface RNNDecoderCoreResult {
  output: Tensor;
  weights: Tensor;
  state: RNNDecoderState;
}

/** The modules every RNN attention decoder has, created in this order (it fixes the random initialisation). */
export interface RNNDecoderModules {
  embedding: Embedding;
  rnn: GRU | LSTM;
  fc: Linear;
  dropout: Dropout;
}

/** What the shared parts read of a decoder. */
export interface RNNDecoderShape extends RNNDecoderModules {
  readonly hiddenSize: number;
  readonly encoderDim: number;
  readonly cell: RNNCellKind;
  readonly numLayers: number;
}

export function describeTensor(t: unknown): string {
  return t instanceof Tensor ? `${t.dtype} ${formatShape(t.shape)}` : String(t);
}

/** Checks the sizes and the cell; returns the cell and the number of layers with their defaults. */
export function resolveDecoderOptions(
  op: string,
  options: RNNDecoderOptions,
): { cell: RNNCellKind; numLayers: number } {
  const { vocabSize, embeddingDim, hiddenSize, encoderDim } = options;
  requirePositiveIntegers(op, { vocabSize, embeddingDim, hiddenSize, encoderDim });
  const cell = options.cell ?? 'gru';
  if (cell !== 'gru' && cell !== 'lstm') fail(op, `cell must be 'gru' or 'lstm', got ${String(cell)}`);
  return { cell, numLayers: options.numLayers ?? 1 };
}

/** Embedding, the stacked recurrence (layer 0 reads `inputSize` features), fc and dropout. */
export function createDecoderModules(
  options: RNNDecoderOptions,
  cell: RNNCellKind,
  numLayers: number,
  inputSize: number,
): RNNDecoderModules {
  const { vocabSize, embeddingDim, hiddenSize, generator } = options;
  const embedding = new Embedding(vocabSize, embeddingDim, { paddingIdx: options.paddingIdx, generator });
  const rnnOptions = { numLayers, batchFirst: true, generator };
  const rnn =
    cell === 'gru' ? new GRU(inputSize, hiddenSize, rnnOptions) : new LSTM(inputSize, hiddenSize, rnnOptions);
  const fc = new Linear(hiddenSize, vocabSize, { generator });
  const dropout = new Dropout(options.dropout ?? 0, generator);
  return { embedding, rnn, fc, dropout };
}

/**
 * The state before the first step, without the keys (the decoder prepares them). memory: the encoder outputs
 * [B, S, encoderDim]; initial: h [L, B, H] (and c for LSTM; zeros when absent), or null for zeros;
 * paddingMask: bool [B, S], true at padding.
 */
export function initialState(
  op: string,
  decoder: RNNDecoderShape,
  memory: Tensor,
  initial: RNNState | null,
  paddingMask: Tensor | null,
): Omit<RNNDecoderState, 'keys' | 'lastPosition'> {
  const { encoderDim, numLayers, hiddenSize } = decoder;
  if (!(memory instanceof Tensor) || memory.dtype !== 'float32' || memory.ndim !== 3) {
    fail(op, `memory must be float32 [B, S, ${encoderDim}], got ${describeTensor(memory)}`);
  }
  const [batch, length, width] = memory.shape as [number, number, number];
  if (width !== encoderDim)
    fail(op, `memory must be float32 [B, S, ${encoderDim}], got ${describeTensor(memory)}`);
  if (
    paddingMask !== null &&
    !(
      paddingMask instanceof Tensor &&
      paddingMask.dtype === 'bool' &&
      shapesEqual(paddingMask.shape, [batch, length])
    )
  ) {
    fail(op, `paddingMask must be bool [${batch}, ${length}], got ${describeTensor(paddingMask)}`);
  }
  const expected = [numLayers, batch, hiddenSize];
  const layers = (name: string, t: Tensor | null | undefined): Tensor[] => {
    if (t === null || t === undefined) return new Array<Tensor>(numLayers).fill(zeros([batch, hiddenSize]));
    if (!(t instanceof Tensor) || t.dtype !== 'float32' || !shapesEqual(t.shape, expected))
      fail(
        op,
        `initial ${name} must be float32 ${formatShape(expected)} (layers, batch, hidden), got ${describeTensor(t)}`,
      );
    return unbind(t);
  };
  return {
    h: layers('h', initial?.h),
    c: decoder.cell === 'lstm' ? layers('c', initial?.c) : null,
    memory,
    paddingMask,
    feed: null,
    step: 0,
    sources: Int32Array.from({ length: batch }, (_, b) => b),
  };
}

/**
 * The state restricted to / reordered as rows `indices` (a row may repeat). The encoder-side tensors are
 * reused when every row keeps its source, as in beam search after the first expansion.
 */
export function selectRows(op: string, state: RNNDecoderState, indices: Int32Array): RNNDecoderState {
  const rows = state.sources.length;
  for (const i of indices)
    if (!(Number.isInteger(i) && i >= 0 && i < rows)) fail(op, `select: row ${i} is outside [0, ${rows})`);
  const index = new Tensor(Int32Array.from(indices), [indices.length], 'int32');
  const pick = (t: Tensor) => indexSelect(t, 0, index);
  const sources = Int32Array.from(indices, (i) => state.sources[i]!);
  const same = sources.length === rows && sources.every((s, r) => s === state.sources[r]);
  return {
    h: state.h.map(pick),
    c: state.c ? state.c.map(pick) : null,
    memory: same ? state.memory : pick(state.memory),
    keys: same ? state.keys : pick(state.keys),
    paddingMask: !state.paddingMask || same ? state.paddingMask : pick(state.paddingMask),
    lastPosition: !state.lastPosition || same ? state.lastPosition : pick(state.lastPosition),
    feed: state.feed ? pick(state.feed) : null,
    step: state.step,
    sources,
  };
}

/** Checks one step's tokens: int32 [rows], the previous target token of every row. */
export function checkTokens(op: string, tokens: Tensor, rows: number): void {
  if (
    !(tokens instanceof Tensor) ||
    tokens.dtype !== 'int32' ||
    tokens.ndim !== 1 ||
    tokens.shape[0] !== rows
  )
    fail(op, `tokens must be int32 [${rows}] (one per row), got ${describeTensor(tokens)}`);
}

/**
 * Layer 0's embedding term of one step, [G, rows, H], bias included: W_ih's embedding columns (input part
 * `part`) times dropout(Embedding(tokens)).
 */
export function embedStep(
  decoder: RNNDecoderShape,
  part: number,
  tokens: Tensor,
  w: RNNDecoderWeights,
): Tensor {
  const embedded = decoder.dropout.forward(decoder.embedding.forward(tokens));
  return projectPart(w.recurrence, part, embedded, true);
}

/**
 * Layer 0's embedding terms of every target step at once, tgtIn int32 [B, T] → GEMM rows [T, B, G·H] (bias
 * included): one lookup and one matmul for the whole sequence under teacher forcing.
 */
export function embedSequence(
  decoder: RNNDecoderShape,
  part: number,
  tgtIn: Tensor,
  w: RNNDecoderWeights,
): Tensor {
  const embedded = decoder.dropout.forward(decoder.embedding.forward(timeMajor(tgtIn)));
  return projectPartRows(w.recurrence, part, embedded);
}
