/**
 * Batching by length. Padding to the longest sequence wastes compute on every shorter one, so examples of
 * similar length go together: the examples are shuffled (seeded), cut into buckets of `bucketSize`, each bucket
 * is sorted by length and cut into batches (at most `batchSize` examples and/or at most `maxTokens` padded
 * tokens, B × T), and the batches are shuffled. A bucket of `batchSize` examples gives plain random batches;
 * larger buckets give less padding and slightly less random batches.
 *
 * Deterministic: the same examples, options and generator state give the same batches. The plan (which
 * examples go in which batch) is drawn when `bucketBatches` is called; the tensors are built as the batches are
 * iterated, so an epoch over a large corpus does not hold every padded batch at once.
 */
import { Padding } from '../attention/padding.js';
import { fail } from '../tensor/errors.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { padSequences } from './padding.js';
import { EOS_ID, SOS_ID } from './vocabulary.js';

export interface BatchingOptions {
  /** The most examples in a batch. */
  batchSize?: number;
  /** The most padded tokens in a batch (B × the longest side's T). An example longer than this goes alone. */
  maxTokens?: number;
  /** Examples sorted together. Default 100 × batchSize, or 4096 when only maxTokens is given. */
  bucketSize?: number;
  /** Shuffle the examples before bucketing and the batches after. Default true. */
  shuffle?: boolean;
  /** Shuffle with this generator (its state advances, so each epoch differs). */
  generator?: Generator;
  /** Shuffle with a fresh generator seeded with this. Without generator or seed: the default generator. */
  seed?: number;
}

/** A source/target pair of id sequences (without `<sos>`/`<eos>`: batching adds them). */
export interface TranslationExample {
  source: ArrayLike<number>;
  target: ArrayLike<number>;
}

/** One id sequence, with a class label for classification. */
export interface SequenceExample {
  ids: ArrayLike<number>;
  label?: number;
}

export interface TranslationBatch {
  /** Which examples (indices into the input) are in the batch, row by row. */
  indices: number[];
  /** int32 [B, S]: source ids (followed by `<eos>` with `sourceEos`). */
  source: Tensor;
  /** Where each source ends: its mask [B, S], lengths [B] (`<eos>` included) and token count. */
  sourcePadding: Padding;
  /** int32 [B, T]: `<sos>` then the target (teacher forcing). */
  decoderInput: Tensor;
  /** int32 [B, T]: the target then `<eos>` (what the decoder must predict). */
  decoderOutput: Tensor;
  /** Where each target ends, for both decoder input and output: lengths [B] are target length + 1. */
  targetPadding: Padding;
}

export interface SequenceBatch {
  indices: number[];
  /** int32 [B, T]. */
  ids: Tensor;
  /** Where each sequence ends: its mask [B, T], lengths [B] and token count. */
  padding: Padding;
  /** int32 [B] when every example has a label, else null. */
  labels: Tensor | null;
}

export interface TranslationBatchingOptions extends BatchingOptions {
  /** Append `<eos>` to every source. Default false. */
  sourceEos?: boolean;
}

function compareLengths(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * Groups example indices into batches (see the file comment). `lengths[i]` is example i's padded length, or one
 * length per side (source and target): sorting compares them in order, and a batch's token count is B times
 * its longest side.
 */
export function planBatches(
  lengths: readonly (number | readonly number[])[],
  options: BatchingOptions,
): number[][] {
  const op = 'planBatches';
  const { batchSize, maxTokens } = options;
  if (batchSize === undefined && maxTokens === undefined) fail(op, 'give batchSize or maxTokens (or both)');
  for (const [name, v] of [
    ['batchSize', batchSize],
    ['maxTokens', maxTokens],
    ['bucketSize', options.bucketSize],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0))
      fail(op, `${name} must be a positive integer, got ${v}`);
  }
  const maxB = batchSize ?? Infinity;
  const budget = maxTokens ?? Infinity;
  const bucketSize = options.bucketSize ?? (batchSize !== undefined ? 100 * batchSize : 4096);
  const keys = lengths.map((l) => (typeof l === 'number' ? [l] : l));
  const shuffle = options.shuffle ?? true;
  const g = shuffle
    ? (options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : defaultGenerator()))
    : undefined;
  const n = keys.length;
  const order = g ? Array.from(g.permutation(n)) : Array.from({ length: n }, (_, i) => i);

  const batches: number[][] = [];
  for (let start = 0; start < n; start += bucketSize) {
    // Array.prototype.sort is stable, so equal lengths keep their shuffled order.
    const bucket = order.slice(start, start + bucketSize).sort((a, b) => compareLengths(keys[a]!, keys[b]!));
    let current: number[] = [];
    let longest = 0;
    for (const i of bucket) {
      const len = Math.max(...keys[i]!);
      const wouldBe = Math.max(longest, len);
      if (current.length > 0 && (current.length + 1 > maxB || (current.length + 1) * wouldBe > budget)) {
        batches.push(current);
        current = [];
        longest = 0;
      }
      current.push(i);
      longest = Math.max(longest, len);
    }
    if (current.length > 0) batches.push(current);
  }
  if (!g) return batches;
  const batchOrder = g.permutation(batches.length);
  return Array.from(batchOrder, (i) => batches[i]!);
}

function isTranslation(examples: readonly (TranslationExample | SequenceExample)[]): boolean {
  if (examples.length === 0) return false;
  const kind = 'source' in examples[0]!;
  examples.forEach((e, i) => {
    const ok = kind ? 'source' in e && 'target' in e : 'ids' in e;
    if (!ok) {
      fail(
        'bucketBatches',
        `example ${i} must have ${kind ? 'source and target' : 'ids'} like example 0 (all examples of one kind)`,
      );
    }
  });
  return kind;
}

/**
 * Batches of padded int32 tensors, grouped by length (see the file comment). For translation examples each
 * batch holds the source, the decoder input (`<sos>` + target) and the decoder output (target + `<eos>`), with
 * the source's and the target's Padding; for sequence examples the ids, their Padding and the labels.
 */
export function bucketBatches(
  examples: readonly TranslationExample[],
  options: TranslationBatchingOptions,
): IterableIterator<TranslationBatch>;
export function bucketBatches(
  examples: readonly SequenceExample[],
  options: BatchingOptions,
): IterableIterator<SequenceBatch>;
export function bucketBatches(
  examples: readonly (TranslationExample | SequenceExample)[],
  options: TranslationBatchingOptions,
): IterableIterator<TranslationBatch | SequenceBatch> {
  if (isTranslation(examples)) {
    const pairs = examples as readonly TranslationExample[];
    const eos = options.sourceEos ? 1 : 0;
    const plan = planBatches(
      pairs.map((p) => [p.source.length + eos, p.target.length + 1]),
      options,
    );
    return translationBatches(pairs, plan, options.sourceEos ?? false);
  }
  const seqs = examples as readonly SequenceExample[];
  const plan = planBatches(
    seqs.map((s) => s.ids.length),
    options,
  );
  return sequenceBatches(seqs, plan);
}

function* translationBatches(
  pairs: readonly TranslationExample[],
  plan: number[][],
  sourceEos: boolean,
): IterableIterator<TranslationBatch> {
  for (const indices of plan) {
    const src = padSequences(
      indices.map((i) => pairs[i]!.source),
      sourceEos ? { suffix: EOS_ID } : {},
    );
    const targets = indices.map((i) => pairs[i]!.target);
    const input = padSequences(targets, { prefix: SOS_ID });
    const output = padSequences(targets, { suffix: EOS_ID });
    yield {
      indices,
      source: src.ids,
      sourcePadding: Padding.fromLengths(src.lengths, src.ids.shape[1]),
      decoderInput: input.ids,
      decoderOutput: output.ids,
      targetPadding: Padding.fromLengths(output.lengths, output.ids.shape[1]),
    };
  }
}

function* sequenceBatches(
  seqs: readonly SequenceExample[],
  plan: number[][],
): IterableIterator<SequenceBatch> {
  for (const indices of plan) {
    const padded = padSequences(indices.map((i) => seqs[i]!.ids));
    const labelled = indices.every((i) => seqs[i]!.label !== undefined);
    let labels: Tensor | null = null;
    if (labelled) {
      const data = new Int32Array(indices.length);
      indices.forEach((i, row) => {
        const label = seqs[i]!.label!;
        if (!(Number.isInteger(label) && label >= 0)) {
          fail('bucketBatches', `example ${i} has label ${label}; labels must be non-negative integers`);
        }
        data[row] = label;
      });
      labels = new Tensor(data, [indices.length], 'int32');
    }
    yield {
      indices,
      ids: padded.ids,
      padding: Padding.fromLengths(padded.lengths, padded.ids.shape[1]),
      labels,
    };
  }
}
