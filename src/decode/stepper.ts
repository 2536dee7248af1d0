/**
 * What a decoder must offer to be searched: one step from the previous tokens to log-probabilities of the next,
 * with a state that the search can reorder (beam search keeps, drops and duplicates hypotheses). RNN decoders
 * keep their hidden state and projected keys in it; Transformer decoders their KV cache.
 */
import type { Tensor } from '../tensor/tensor.js';

export interface StepResult<State> {
  /** log p(next token | prefix) for each row: float32 [rows, vocab]. */
  logProbs: Tensor;
  state: State;
  /**
   * The attention weights of this step for each row, e.g. [rows, Tk] for an RNN decoder or
   * [layers, rows, heads, Tk] for a Transformer; rows must be the first axis after any leading layer axes
   * given by `attentionRowAxis`.
   */
  attention?: Tensor;
}

/**
 * The searches run each step (step, then select) in a TidyChain scope: storage that the step's ops make is
 * released when it ends unless the returned state holds it (tensors in plain objects, arrays or Maps), and a
 * superseded state is released with it. Keep what later steps read in the state, not in the stepper's fields;
 * tensors made before the search (constructor, start) are never released.
 */
export interface DecoderStepper<State> {
  /** The state for `rows` hypotheses of each of the batch's sources: row r belongs to source ⌊r / rows⌋. */
  start(rowsPerSource: number): State;
  /** One step: the last token of every row (int32 [rows]) → next-token log-probabilities. */
  step(tokens: Int32Array, state: State): StepResult<State>;
  /** The state restricted to / reordered as rows `indices` (a row may appear several times). */
  select(state: State, indices: Int32Array): State;
  /** Number of source sentences in the batch. */
  readonly batchSize: number;
  /** Axis of the attention tensor that indexes rows (default 0). */
  readonly attentionRowAxis?: number;
}

export interface DecodeOptions {
  sos: number;
  eos: number;
  /**
   * Stop after this many generated tokens (EOS not counted): one bound for every source, or one per source of
   * the batch. A source's hypotheses never depend on another's bound, so a batch of sources with their own
   * bounds decodes each as it would alone.
   */
  maxLength: number | readonly number[];
}

export interface Hypothesis {
  /** Generated tokens, without <sos> and <eos>. */
  tokens: number[];
  /** Sum of log-probabilities of the tokens (and of <eos> when it ended there). */
  logProb: number;
  /** The score the search ranked by (logProb, or its length-normalised form in beam search). */
  score: number;
  /** One attention tensor per generated step (including the <eos> step when present), row axis removed. */
  attention: Tensor[];
  /** Whether the hypothesis ended with <eos> (false when it hit maxLength). */
  finished: boolean;
}
