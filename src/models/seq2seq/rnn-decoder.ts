/**
 * What the Bahdanau and Luong decoders share: the target embedding, a multi-layer GRU or LSTM advanced one step
 * at a time, the output layer `fc` to the vocabulary, teacher forcing, the decoding state and its reordering.
 * The subclasses define one step (where attention happens relative to the recurrence) and how the encoder
 * outputs are projected into keys, once per batch.
 *
 * The state (RNNDecoderState) holds everything a step needs: the hidden (and cell) state of every layer, the
 * encoder outputs (the attention values), the keys as the score needs them (e.g. W1·outputs for Bahdanau,
 * computed once in `init`), the source padding mask, Luong's input-feeding vector, and the number of steps taken
 * (local-m attention aligns target step t with source position t). `select` reorders it by rows for beam search;
 * rows that keep their source (every beam-search step) reuse the encoder-side tensors without copying.
 *
 * Dropout (training mode only) applies to the target embeddings, between layers, and to the vector fed to `fc`.
 */
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { GRU, LSTM } from '../../nn/rnn.js';
import { zeros } from '../../tensor/creation.js';
import { fail } from '../../tensor/errors.js';
import {
  argmax,
  cast,
  indexSelect,
  reshape,
  slice,
  stack,
  sub,
  sum,
  unbind,
} from '../../tensor/ops/index.js';
import { defaultGenerator, type Generator } from '../../tensor/random.js';
import { formatShape, shapesEqual } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import {
  prepareRecurrence,
  gateMajor,
  projectPart,
  projectPartRows,
  recurrenceStep,
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
  generator?: Generator;
}

export interface RNNDecoderState {
  /** Hidden state of each layer, [rows, H]. */
  readonly h: readonly Tensor[];
  /** Cell state of each layer (LSTM), else null. */
  readonly c: readonly Tensor[] | null;
  /** The encoder outputs: attention values, [rows, S, encoderDim]. */
  readonly memory: Tensor;
  /** The keys as the score reads them, projected once: [rows, S, ·]. */
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

export interface RNNDecoderForwardOptions {
  /**
   * Probability of feeding the gold token tgtIn[:, t] at step t ≥ 1 (default 1); otherwise the model's own
   * argmax of step t − 1 is fed, for the whole batch, drawn once per step from `generator`. Step 0 always reads
   * tgtIn[:, 0] (<sos>). 0 feeds the model's own predictions throughout (as greedy decoding does).
   */
  teacherForcingRatio?: number;
  /** For the teacher-forcing draws (the global generator by default). */
  generator?: Generator;
}

export interface RNNDecoderForwardResult {
  /** [B, T, vocabSize]. */
  logits: Tensor;
  /** Attention weights of every step, [B, T, S]. */
  weights: Tensor;
  /** The state after the last step. */
  state: RNNDecoderState;
}

export interface RNNDecoderStepResult {
  /** [rows, vocabSize]. */
  logits: Tensor;
  /** [rows, S]. */
  weights: Tensor;
  state: RNNDecoderState;
}

/** The per-call views of the parameters (see `prepare`). */
export interface RNNDecoderWeights {
  readonly recurrence: RecurrenceWeights;
  /** Subclass extras (e.g. the query half of Luong's concat score). */
  readonly extra: readonly Tensor[];
}

/** What a subclass step computes: the vector fed to fc, the attention weights [rows, S] and the new state. */
export interface RNNStepCore {
  output: Tensor;
  weights: Tensor;
  state: RNNDecoderState;
}

function describe(t: unknown): string {
  return t instanceof Tensor ? `${t.dtype} ${formatShape(t.shape)}` : String(t);
}

export abstract class RNNAttentionDecoder extends Module {
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
  /** Widths of layer 0's input parts. */
  private readonly splits: readonly number[];

  /**
   * @param inputParts the widths of layer 0's input parts, in order (from encoderDim, embeddingDim, hiddenSize)
   * @param embeddingPart which part is the target embedding
   */
  protected constructor(
    protected readonly op: string,
    options: RNNDecoderOptions,
    inputParts: (encoderDim: number, embeddingDim: number, hiddenSize: number) => readonly number[],
    private readonly embeddingPart: number,
  ) {
    super();
    const { vocabSize, embeddingDim, hiddenSize, encoderDim, generator } = options;
    for (const [name, v] of [
      ['vocabSize', vocabSize],
      ['embeddingDim', embeddingDim],
      ['hiddenSize', hiddenSize],
      ['encoderDim', encoderDim],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) fail(op, `${name} must be a positive integer, got ${v}`);
    }
    this.cell = options.cell ?? 'gru';
    if (this.cell !== 'gru' && this.cell !== 'lstm')
      fail(op, `cell must be 'gru' or 'lstm', got ${String(this.cell)}`);
    this.vocabSize = vocabSize;
    this.embeddingDim = embeddingDim;
    this.hiddenSize = hiddenSize;
    this.encoderDim = encoderDim;
    this.numLayers = options.numLayers ?? 1;
    this.splits = inputParts(encoderDim, embeddingDim, hiddenSize);
    this.embedding = this.registerModule(
      'embedding',
      new Embedding(vocabSize, embeddingDim, { paddingIdx: options.paddingIdx, generator }),
    );
    const inputSize = this.splits.reduce((a, b) => a + b, 0);
    const rnnOptions = { numLayers: this.numLayers, batchFirst: true, generator };
    this.rnn = this.registerModule(
      'rnn',
      this.cell === 'gru'
        ? new GRU(inputSize, hiddenSize, rnnOptions)
        : new LSTM(inputSize, hiddenSize, rnnOptions),
    );
    this.fc = this.registerModule('fc', new Linear(hiddenSize, vocabSize, { generator }));
    this.dropout = this.registerModule('dropout', new Dropout(options.dropout ?? 0, generator));
  }

  /** The keys of the encoder outputs as the score reads them, [B, S, encoderDim] → [B, S, ·]; once per batch. */
  protected abstract projectKeys(memory: Tensor): Tensor;

  /** Subclass extras of `prepare`. */
  protected prepareExtra(): Tensor[] {
    return [];
  }

  /** One step from layer 0's embedding term x [G, rows, H] (bias included). */
  protected abstract stepCore(
    embedded: Tensor,
    state: RNNDecoderState,
    weights: RNNDecoderWeights,
  ): RNNStepCore;

  /**
   * Every teacher-forced step at once, from layer 0's embedding terms of all steps, rows [T, B, G·H] (bias
   * included): the top layer's outputs [B, T, H], the weights [B, T, S] and the final state; or null where this
   * decoder has no fused form for its configuration (then `forward` steps one by one).
   */
  protected forwardSequence(
    _embedded: Tensor,
    _state: RNNDecoderState,
    _weights: RNNDecoderWeights,
  ): { outputs: Tensor; weights: Tensor; state: RNNDecoderState } | null {
    return null;
  }

  /** Whether the state carries the source lengths for local-p attention. */
  protected needsLastPosition(): boolean {
    return false;
  }

  /**
   * Views of the parameters that every step reads (W_ih's column blocks, folded biases, …). `forward` makes them
   * once per call; pass them to every `step` of a decode (they are copies: make new ones after an update).
   */
  prepare(): RNNDecoderWeights {
    return { recurrence: prepareRecurrence(this.rnn, this.splits), extra: this.prepareExtra() };
  }

  /**
   * The state before the first step. memory: the encoder outputs [B, S, encoderDim]; initial: h [L, B, H] (and c
   * for LSTM; zeros when absent), or null for zeros; paddingMask: bool [B, S], true at padding.
   */
  init(memory: Tensor, initial: RNNState | null = null, paddingMask: Tensor | null = null): RNNDecoderState {
    const op = this.op;
    if (!(memory instanceof Tensor) || memory.dtype !== 'float32' || memory.ndim !== 3) {
      fail(op, `memory must be float32 [B, S, ${this.encoderDim}], got ${describe(memory)}`);
    }
    const [batch, length, width] = memory.shape as [number, number, number];
    if (width !== this.encoderDim)
      fail(op, `memory must be float32 [B, S, ${this.encoderDim}], got ${describe(memory)}`);
    if (
      paddingMask !== null &&
      !(
        paddingMask instanceof Tensor &&
        paddingMask.dtype === 'bool' &&
        shapesEqual(paddingMask.shape, [batch, length])
      )
    ) {
      fail(op, `paddingMask must be bool [${batch}, ${length}], got ${describe(paddingMask)}`);
    }
    const expected = [this.numLayers, batch, this.hiddenSize];
    const layers = (name: string, t: Tensor | null | undefined): Tensor[] => {
      if (t === null || t === undefined)
        return new Array<Tensor>(this.numLayers).fill(zeros([batch, this.hiddenSize]));
      if (!(t instanceof Tensor) || t.dtype !== 'float32' || !shapesEqual(t.shape, expected))
        fail(
          op,
          `initial ${name} must be float32 ${formatShape(expected)} (layers, batch, hidden), got ${describe(t)}`,
        );
      return unbind(t);
    };
    const h = layers('h', initial?.h);
    const c = this.cell === 'lstm' ? layers('c', initial?.c) : null;
    let lastPosition: Tensor | null = null;
    if (this.needsLastPosition()) {
      lastPosition = paddingMask
        ? sub(length - 1, sum(cast(paddingMask, 'float32'), 1, true))
        : zeros([batch, 1]).add(length - 1);
    }
    return {
      h,
      c,
      memory,
      keys: this.projectKeys(memory),
      paddingMask,
      lastPosition,
      feed: null,
      step: 0,
      sources: Int32Array.from({ length: batch }, (_, b) => b),
    };
  }

  /**
   * The state restricted to / reordered as rows `indices` (a row may repeat). The encoder-side tensors are
   * reused when every row keeps its source, as in beam search after the first expansion.
   */
  select(state: RNNDecoderState, indices: Int32Array): RNNDecoderState {
    const rows = state.sources.length;
    for (const i of indices)
      if (!(Number.isInteger(i) && i >= 0 && i < rows))
        fail(this.op, `select: row ${i} is outside [0, ${rows})`);
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

  /** One step: tokens int32 [rows] (the previous target token of every row) → logits [rows, V], weights [rows, S]. */
  step(
    tokens: Tensor,
    state: RNNDecoderState,
    weights: RNNDecoderWeights = this.prepare(),
  ): RNNDecoderStepResult {
    const rows = state.sources.length;
    if (
      !(tokens instanceof Tensor) ||
      tokens.dtype !== 'int32' ||
      tokens.ndim !== 1 ||
      tokens.shape[0] !== rows
    )
      fail(this.op, `tokens must be int32 [${rows}] (one per row), got ${describe(tokens)}`);
    const core = this.stepCore(this.embedTokens(tokens, weights), state, weights);
    return {
      logits: this.fc.forward(this.dropout.forward(core.output)),
      weights: core.weights,
      state: core.state,
    };
  }

  /**
   * Runs the decoder over tgtIn int32 [B, T] (<sos> y₁ … y_{T−1}) from `state` (see `init`), with teacher forcing
   * as `options.teacherForcingRatio` says.
   */
  forward(
    tgtIn: Tensor,
    state: RNNDecoderState,
    options: RNNDecoderForwardOptions = {},
  ): RNNDecoderForwardResult {
    const op = this.op;
    const batch = state.sources.length;
    if (!(tgtIn instanceof Tensor) || tgtIn.dtype !== 'int32' || tgtIn.ndim !== 2 || tgtIn.shape[0] !== batch)
      fail(op, `tgtIn must be int32 [${batch}, T] (the batch size of the state), got ${describe(tgtIn)}`);
    const steps = tgtIn.shape[1]!;
    if (steps === 0) fail(op, 'tgtIn must have at least one step');
    const ratio = options.teacherForcingRatio ?? 1;
    if (!(ratio >= 0 && ratio <= 1)) fail(op, `teacherForcingRatio must be in [0, 1], got ${ratio}`);
    const generator = options.generator ?? defaultGenerator();
    const w = this.prepare();

    const weights: Tensor[] = [];
    let s = state;
    if (ratio === 1) {
      // Teacher forcing throughout: embed and project every target token at once, and apply fc once at the end.
      const embedded = this.dropout.forward(this.embedding.forward(timeMajor(tgtIn)));
      const rows = projectPartRows(w.recurrence, this.embeddingPart, embedded);
      const fused = this.forwardSequence(rows, s, w);
      if (fused) {
        const logits = this.fc.forward(this.dropout.forward(fused.outputs));
        return { logits, weights: fused.weights, state: fused.state };
      }
      const terms = unbind(gateMajor(w.recurrence, rows));
      const outputs: Tensor[] = [];
      for (let t = 0; t < steps; t++) {
        const core = this.stepCore(terms[t]!, s, w);
        outputs.push(core.output);
        weights.push(core.weights);
        s = core.state;
      }
      const logits = this.fc.forward(this.dropout.forward(stack(outputs, 1)));
      return { logits, weights: stack(weights, 1), state: s };
    }

    const logits: Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const gold = t === 0 || (ratio > 0 && generator.uniform() < ratio);
      const tokens = gold ? reshape(slice(tgtIn, 1, t, t + 1), [batch]) : argmax(logits[t - 1]!, 1);
      const r = this.step(tokens, s, w);
      logits.push(r.logits);
      weights.push(r.weights);
      s = r.state;
    }
    return { logits: stack(logits, 1), weights: stack(weights, 1), state: s };
  }

  /** Layer 0's embedding term of one step's tokens, [G, rows, H], bias included. */
  private embedTokens(tokens: Tensor, w: RNNDecoderWeights): Tensor {
    const embedded = this.dropout.forward(this.embedding.forward(tokens));
    return projectPart(w.recurrence, this.embeddingPart, embedded, true);
  }

  /** Dropout between layers, for recurrenceStep. */
  protected readonly between = (x: Tensor): Tensor => this.dropout.forward(x);

  /** The recurrence step of every layer from layer 0's full pre-activation. */
  protected advance(
    x0: Tensor,
    state: RNNDecoderState,
    w: RNNDecoderWeights,
  ): { h: Tensor[]; c: Tensor[] | null } {
    return recurrenceStep(w.recurrence, x0, state.h, state.c, this.between);
  }

  /** Layer 0's term of a non-embedding input part for one step, [G, rows, H] (no bias). */
  protected projectInput(part: number, x: Tensor, w: RNNDecoderWeights): Tensor {
    return projectPart(w.recurrence, part, x, false);
  }
}
