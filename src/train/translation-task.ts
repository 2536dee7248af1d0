/**
 * The task adapter for translation (any sequence-to-sequence model): training batches from `bucketBatches`
 * (length-bucketed, shuffled with the epoch's generator), the model's teacher-forced loss, and an evaluation
 * reporting
 *
 * ```
 * loss           mean cross-entropy per target token (the model's per-batch means, weighted by target tokens)
 * tokenAccuracy  teacher-forced next-token accuracy over non-pad targets (when the model returns logits)
 * exactMatch     fraction of greedy decodings equal to the reference, token for token
 * bleu           corpus BLEU (0–100) of the greedy decodings (13a-tokenised text with a target tokenizer,
 *                else the ids as whitespace-separated tokens)
 * chrf           corpus chrF (0–100, sacrebleu's defaults) of the decoded text, with a target tokenizer only
 *                (the characters of ids written out mean nothing)
 * ```
 *
 * A model only needs the two methods of `TranslationModel` (and to be a Module, for its parameters).
 */
import type { Padding } from '../attention/padding.js';
import type { TranslationBatch, TranslationBatchingOptions, TranslationExample } from '../data/batching.js';
import { bucketBatches } from '../data/batching.js';
import { EOS_ID, PAD_ID, SOS_ID } from '../data/vocabulary.js';
import { greedyDecode } from '../decode/greedy.js';
import type { DecoderStepper } from '../decode/stepper.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/tidy.js';
import { fail } from '../tensor/errors.js';
import { argmax } from '../tensor/ops/index.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { corpusBleu } from './metrics/bleu.js';
import { corpusChrf } from './metrics/chrf.js';
import { exactMatch } from './metrics/exact-match.js';
import { tokenAccuracy } from './metrics/token-accuracy.js';
import type { BatchLoss, EvalMetrics, TaskAdapter, TrainBatches } from './task.js';
import { checkOptionKeys, countedBatches, evaluationSplit } from './task-parts.js';

/**
 * What a sequence-to-sequence model offers the translation task. `srcPadding` says where each source ends; its
 * `mask` (bool [B, S], true at padding), `lengths` (int32 [B]) and `tokens` give whichever form the model uses.
 */
export interface TranslationModel {
  /**
   * Teacher-forced loss: src int32 [B, S], tgtIn int32 [B, T] (`<sos>` y₁ … y_{T−1}), tgtOut int32 [B, T]
   * (y₁ … y_{T−1} `<eos>`, padded with the pad id). `loss` is the mean cross-entropy over the non-pad targets;
   * `logits` [B, T, V], when returned, give the token accuracy. The task passes its label smoothing ε: the
   * cross-entropy's target distribution is (1 − ε)·onehot + ε/V.
   */
  loss(
    src: Tensor,
    srcPadding: Padding,
    tgtIn: Tensor,
    tgtOut: Tensor,
    options?: TranslationLossOptions,
  ): { loss: Tensor; logits?: Tensor };
  /** A decoder stepper over the sources, for greedy decoding (called in evaluation mode, without gradients). */
  stepper(src: Tensor, srcPadding: Padding): DecoderStepper<unknown>;
}

/** What the task asks of a model's loss beyond the batch. */
export interface TranslationLossOptions {
  /** Label smoothing ε of the cross-entropy (default 0). */
  labelSmoothing?: number;
  /**
   * Set for training steps, whose logits the task does not read: the model may apply its output layer at the
   * real (non-padding) targets only, as the built-in models do (models/target-loss.ts). Evaluation leaves it
   * unset and reads logits [B, T, V].
   */
  skipPadding?: boolean;
}

/** Turns ids into text for BLEU (a Tokenizer does). */
export interface TextDecoderLike {
  decode(ids: ArrayLike<number>): string;
}

export interface TranslationTaskOptions {
  model: Module & TranslationModel;
  train: readonly TranslationExample[];
  /** Evaluation splits by name (e.g. `{ dev, test }`). */
  splits?: Record<string, readonly TranslationExample[]>;
  /** Training batches: batchSize and/or maxTokens, bucketSize, sourceEos, shuffle (default true). */
  batching: Omit<TranslationBatchingOptions, 'generator' | 'seed'>;
  /** Sources per evaluation batch (default batching.batchSize, or 32). */
  evalBatchSize?: number;
  /** Decodes target ids to text for BLEU (e.g. the target Tokenizer); without it, ids are the tokens. */
  targetTokenizer?: TextDecoderLike;
  /** Greedy-decode in evaluation for exactMatch and BLEU (default true; false reports loss and accuracy only). */
  decode?: boolean;
  /** Most tokens a decoding may produce: a number, or a function of the batch's longest reference (default +10). */
  maxDecodeLength?: number | ((longestReference: number) => number);
  /** Label smoothing ε of the loss, in training and in evaluation's loss (default 0). */
  labelSmoothing?: number;
  /** Ids of the specials (defaults: the Vocabulary's 0, 1, 2). */
  padId?: number;
  sosId?: number;
  eosId?: number;
}

const OP = 'TranslationTask';

const OPTION_KEYS: readonly (keyof TranslationTaskOptions)[] = [
  'model',
  'train',
  'splits',
  'batching',
  'evalBatchSize',
  'targetTokenizer',
  'decode',
  'maxDecodeLength',
  'labelSmoothing',
  'padId',
  'sosId',
  'eosId',
];

export class TranslationTask implements TaskAdapter<TranslationBatch> {
  readonly model: Module & TranslationModel;
  private readonly options: TranslationTaskOptions;
  /** [source, target] padded lengths, as bucketBatches measures them (to count an epoch's batches). */
  private readonly lengths: [number, number][];
  private readonly lossOptions: TranslationLossOptions;

  constructor(options: TranslationTaskOptions) {
    const model = options?.model as Partial<TranslationModel> | undefined;
    if (!model || typeof model.loss !== 'function' || typeof model.stepper !== 'function') {
      fail(
        OP,
        'model must implement TranslationModel: loss(src, srcPadding, tgtIn, tgtOut, { labelSmoothing }) and stepper(src, srcPadding)',
      );
    }
    if (!Array.isArray(options.train) || options.train.length === 0)
      fail(OP, 'train must be a non-empty array of examples');
    checkOptionKeys(OP, options, OPTION_KEYS);
    const labelSmoothing = options.labelSmoothing ?? 0;
    if (!(typeof labelSmoothing === 'number' && labelSmoothing >= 0 && labelSmoothing <= 1))
      fail(OP, `labelSmoothing must be a number in [0, 1], got ${String(options.labelSmoothing)}`);
    this.lossOptions = { labelSmoothing };
    this.model = options.model;
    this.options = options;
    const eos = options.batching.sourceEos ? 1 : 0;
    this.lengths = options.train.map((e) => [e.source.length + eos, e.target.length + 1]);
  }

  trainBatches(_epoch: number, generator: Generator): TrainBatches<TranslationBatch> {
    const batching = this.options.batching;
    return countedBatches(this.lengths, batching, generator, (g) =>
      bucketBatches(this.options.train, { ...batching, generator: g }),
    );
  }

  loss(batch: TranslationBatch): BatchLoss {
    const out = this.teacherForced(batch, true);
    return { loss: out.loss, tokens: batch.targetPadding.tokens, examples: batch.indices.length };
  }

  evaluate(split: string): EvalMetrics {
    const o = this.options;
    const examples = evaluationSplit(OP, o.splits, split);
    const padId = o.padId ?? PAD_ID;
    const decode = o.decode ?? true;
    const batchSize = o.evalBatchSize ?? o.batching.batchSize ?? 32;
    return noGrad(() => {
      let lossSum = 0;
      let tokens = 0;
      const predicted: number[] = [];
      const gold: number[] = [];
      const hypotheses: number[][] = [];
      const references: number[][] = [];
      const batches = bucketBatches(examples, { batchSize, shuffle: false, sourceEos: o.batching.sourceEos });
      for (const batch of batches) {
        // Each batch in a tidy scope: its activations go back to the storage pool instead of to the collector.
        tidy(() => {
          const out = this.teacherForced(batch);
          const n = batch.targetPadding.tokens;
          lossSum += out.loss.item() * n;
          tokens += n;
          if (out.logits !== undefined) {
            const best = argmax(out.logits, -1).data;
            const target = batch.decoderOutput.data;
            if (best.length !== target.length) {
              fail(OP, `the model's logits do not match tgtOut ${JSON.stringify(batch.decoderOutput.shape)}`);
            }
            for (let i = 0; i < target.length; i++) {
              predicted.push(best[i]!);
              gold.push(target[i]!);
            }
          }
          if (decode) {
            const refs = batch.indices.map((i) => Array.from(examples[i]!.target));
            const longest = Math.max(...refs.map((r) => r.length));
            const max = o.maxDecodeLength;
            const maxLength = typeof max === 'function' ? max(longest) : (max ?? longest + 10);
            const hyps = greedyDecode(this.model.stepper(batch.source, batch.sourcePadding), {
              sos: o.sosId ?? SOS_ID,
              eos: o.eosId ?? EOS_ID,
              maxLength,
            });
            for (const h of hyps) hypotheses.push(h.tokens);
            references.push(...refs);
          }
        });
      }
      const metrics: EvalMetrics = { loss: lossSum / tokens };
      if (predicted.length > 0) metrics.tokenAccuracy = tokenAccuracy(predicted, gold, padId);
      if (decode) {
        metrics.exactMatch = exactMatch(hypotheses, references);
        Object.assign(metrics, this.textScores(hypotheses, references));
      }
      return metrics;
    });
  }

  private teacherForced(batch: TranslationBatch, skipPadding = false): { loss: Tensor; logits?: Tensor } {
    const { source, sourcePadding, decoderInput, decoderOutput } = batch;
    const options = skipPadding ? { ...this.lossOptions, skipPadding } : this.lossOptions;
    return this.model.loss(source, sourcePadding, decoderInput, decoderOutput, options);
  }

  /**
   * Corpus BLEU (and chrF, with a target tokenizer) over the pairs whose reference is not empty (BLEU has nothing
   * to match otherwise); none when every reference is empty.
   */
  private textScores(hypotheses: number[][], references: number[][]): { bleu?: number; chrf?: number } {
    const tokenizer = this.options.targetTokenizer;
    const text = (ids: number[]): string => (tokenizer ? tokenizer.decode(ids) : ids.join(' '));
    const hyps: string[] = [];
    const refs: string[] = [];
    references.forEach((ref, i) => {
      const r = text(ref);
      if (r.trim() === '') return;
      hyps.push(text(hypotheses[i]!));
      refs.push(r);
    });
    if (refs.length === 0) return {};
    const bleu = corpusBleu(hyps, refs, { tokenize: tokenizer ? '13a' : 'none' }).score;
    return tokenizer ? { bleu, chrf: corpusChrf(hyps, refs).score } : { bleu };
  }
}
