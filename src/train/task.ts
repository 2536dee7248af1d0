/**
 * What the trainer needs from a task: the model, the training batches of an epoch, the loss of a batch and an
 * evaluation. The trainer knows nothing else about the model or the data, so any model (seq2seq, classifier, a
 * language model) trains through it once an adapter says how. `TranslationTask` and `ClassificationTask` are the
 * ready ones.
 */
import type { Module } from '../nn/module.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** The loss of one batch and how much it covered (for tokens/s and weighted means). */
export interface BatchLoss {
  /** A scalar float32 tensor in the graph of the model's parameters (the trainer calls backward on it). */
  loss: Tensor;
  /** Tokens the loss covers (target tokens for seq2seq, input tokens for classification); 0 if not meaningful. */
  tokens: number;
  /** Examples in the batch. */
  examples: number;
}

/**
 * The batches of one epoch. When `length` is given (an array, or an object with `length`), the progress display
 * shows the position within the epoch and an ETA from it.
 */
export type TrainBatches<B> = Iterable<B> & { readonly length?: number };

/** Evaluation results by metric name (e.g. `{ loss: 1.23, bleu: 17.5 }`). */
export type EvalMetrics = Record<string, number>;

export interface TaskAdapter<B> {
  /** The model being trained: its parameters are checkpointed, and the trainer switches it train()/eval(). */
  readonly model: Module;
  /**
   * The training batches of epoch `epoch` (0-based), in order. The order must be a pure function of the epoch and
   * the draws from `generator` (seeded by the trainer from its seed and the epoch): resuming a run re-creates the
   * epoch's batches this way and skips the ones already trained on, so the resumed run sees exactly the batches
   * the uninterrupted one would. Batches may be built lazily.
   */
  trainBatches(epoch: number, generator: Generator): TrainBatches<B>;
  /** Forward pass and loss of one batch, with gradients recorded (the model is in training mode). */
  loss(batch: B): BatchLoss;
  /**
   * Metrics on a named split ('dev' by default), the model in evaluation mode. Should run without recording
   * gradients (`noGrad`) and without drawing from the dropout generators, so that evaluating does not change the
   * course of training. Leave it out for a task without evaluation.
   */
  evaluate?(split: string): EvalMetrics | Promise<EvalMetrics>;
}
