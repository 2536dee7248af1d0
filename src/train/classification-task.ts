/**
 * The task adapter for sequence classification: training batches from `bucketBatches` (length-bucketed,
 * shuffled with the epoch's generator), cross-entropy of the model's logits against the labels, and an
 * evaluation reporting
 *
 * ```
 * loss      mean cross-entropy per example
 * accuracy  fraction of examples whose argmax class is the label
 * macroF1   unweighted mean over classes of F1 (see metrics/macro-f1.ts)
 * ```
 *
 * A model only needs `forward(ids, padding)` returning logits (`ClassificationModel`) and to be a Module.
 */
import type { Padding } from '../attention/padding.js';
import type { BatchingOptions, SequenceBatch, SequenceExample } from '../data/batching.js';
import { bucketBatches } from '../data/batching.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/tidy.js';
import { fail } from '../tensor/errors.js';
import { argmax, crossEntropy } from '../tensor/ops/index.js';
import type { Generator } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { accuracy } from './metrics/accuracy.js';
import { macroF1 } from './metrics/macro-f1.js';
import type { BatchLoss, EvalMetrics, TaskAdapter, TrainBatches } from './task.js';
import { checkOptionKeys, countedBatches, evaluationSplit } from './task-parts.js';

/**
 * What a classifier offers the classification task: ids int32 [B, T] and their padding (whose `mask`, bool
 * [B, T] true at padding, or `lengths`, int32 [B], the model takes) → logits [B, classes], alone or as
 * `{ logits }` (extra fields, such as attention weights, are ignored).
 */
export interface ClassificationModel {
  forward(ids: Tensor, padding: Padding): Tensor | { logits: Tensor };
}

export interface ClassificationTaskOptions {
  model: Module & ClassificationModel;
  /** Labelled examples (every one needs a label). */
  train: readonly SequenceExample[];
  /** Evaluation splits by name (e.g. `{ dev, test }`). */
  splits?: Record<string, readonly SequenceExample[]>;
  /** Training batches: batchSize and/or maxTokens, bucketSize, shuffle (default true). */
  batching: Omit<BatchingOptions, 'generator' | 'seed'>;
  /** Examples per evaluation batch (default batching.batchSize, or 64). */
  evalBatchSize?: number;
  /** Label smoothing of the training loss (default 0; evaluation uses none). */
  labelSmoothing?: number;
  /** Number of classes, to check the labels and predictions in macro-F1. */
  numClasses?: number;
}

const OP = 'ClassificationTask';

const OPTION_KEYS: readonly (keyof ClassificationTaskOptions)[] = [
  'model',
  'train',
  'splits',
  'batching',
  'evalBatchSize',
  'labelSmoothing',
  'numClasses',
];

export class ClassificationTask implements TaskAdapter<SequenceBatch> {
  readonly model: Module & ClassificationModel;
  private readonly options: ClassificationTaskOptions;
  private readonly lengths: number[];

  constructor(options: ClassificationTaskOptions) {
    const model = options?.model as Partial<ClassificationModel> | undefined;
    if (!model || typeof model.forward !== 'function') {
      fail(OP, 'model must implement ClassificationModel: forward(ids, padding) → logits or { logits }');
    }
    if (!Array.isArray(options.train) || options.train.length === 0) {
      fail(OP, 'train must be a non-empty array of examples');
    }
    options.train.forEach((e, i) => {
      if (!Number.isInteger(e.label)) fail(OP, `train example ${i} has no integer label`);
    });
    checkOptionKeys(OP, options, OPTION_KEYS);
    this.model = options.model;
    this.options = options;
    this.lengths = options.train.map((e) => e.ids.length);
  }

  trainBatches(_epoch: number, generator: Generator): TrainBatches<SequenceBatch> {
    const batching = this.options.batching;
    return countedBatches(this.lengths, batching, generator, (g) =>
      bucketBatches(this.options.train, { ...batching, generator: g }),
    );
  }

  loss(batch: SequenceBatch): BatchLoss {
    const labels = this.labels(batch);
    const loss = crossEntropy(this.logits(batch), labels, {
      labelSmoothing: this.options.labelSmoothing ?? 0,
    });
    return { loss, tokens: batch.padding.tokens, examples: batch.indices.length };
  }

  evaluate(split: string): EvalMetrics {
    const o = this.options;
    const examples = evaluationSplit(OP, o.splits, split);
    const batchSize = o.evalBatchSize ?? o.batching.batchSize ?? 64;
    return noGrad(() => {
      let lossSum = 0;
      const predicted: number[] = [];
      const gold: number[] = [];
      for (const batch of bucketBatches(examples, { batchSize, shuffle: false })) {
        // Each batch in a tidy scope: its activations go back to the storage pool instead of to the collector.
        tidy(() => {
          const labels = this.labels(batch);
          const logits = this.logits(batch);
          lossSum += crossEntropy(logits, labels).item() * batch.indices.length;
          const best = argmax(logits, -1).data;
          for (let i = 0; i < labels.size; i++) {
            predicted.push(best[i]!);
            gold.push(labels.data[i]!);
          }
        });
      }
      return {
        loss: lossSum / gold.length,
        accuracy: accuracy(predicted, gold),
        macroF1: macroF1(predicted, gold, o.numClasses),
      };
    });
  }

  private labels(batch: SequenceBatch): Tensor {
    if (batch.labels === null) fail(OP, 'every example needs a label');
    return batch.labels;
  }

  private logits(batch: SequenceBatch): Tensor {
    const out = this.model.forward(batch.ids, batch.padding);
    const logits = out instanceof Tensor ? out : out?.logits;
    const b = batch.indices.length;
    if (!(logits instanceof Tensor) || logits.ndim !== 2 || logits.shape[0] !== b) {
      fail(
        OP,
        `the model must return logits [${b}, classes], got ${logits instanceof Tensor ? formatShape(logits.shape) : String(logits)}`,
      );
    }
    return logits;
  }
}
