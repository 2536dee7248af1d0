import { describe, expect, it } from 'vitest';
import { bucketBatches, planBatches, type TranslationExample } from '../../src/data/batching.js';
import { padSequences } from '../../src/data/padding.js';
import { EOS_ID, PAD_ID, SOS_ID } from '../../src/data/vocabulary.js';
import { Generator } from '../../src/tensor/random.js';

/** Examples with lengths spread between 1 and 40, ids 4.. (never a special). */
function randomExamples(n: number, seed: number): { source: number[]; target: number[] }[] {
  const g = new Generator(seed);
  const seq = (len: number): number[] => Array.from({ length: len }, () => g.randint(4, 50));
  return Array.from({ length: n }, () => {
    const len = g.randint(1, 41);
    return { source: seq(len), target: seq(Math.max(1, len + g.randint(-3, 4))) };
  });
}

describe('padSequences', () => {
  it('pads to the longest with <pad>, masks padding with true and reports lengths', () => {
    const { ids, mask, lengths } = padSequences([[5, 6, 7], [8], []]);
    expect(ids.dtype).toBe('int32');
    expect(mask.dtype).toBe('bool');
    expect(ids.toArray()).toEqual([
      [5, 6, 7],
      [8, PAD_ID, PAD_ID],
      [PAD_ID, PAD_ID, PAD_ID],
    ]);
    expect(mask.toArray()).toEqual([
      [0, 0, 0],
      [0, 1, 1],
      [1, 1, 1],
    ]);
    expect(lengths.toArray()).toEqual([3, 1, 0]);
  });

  it('adds a prefix and suffix and pads to a minimum length', () => {
    const p = padSequences([[5], [6, 7]], { prefix: SOS_ID, suffix: EOS_ID, minLength: 5 });
    expect(p.ids.toArray()).toEqual([
      [SOS_ID, 5, EOS_ID, 0, 0],
      [SOS_ID, 6, 7, EOS_ID, 0],
    ]);
    expect(p.lengths.toArray()).toEqual([3, 4]);
  });

  it('rejects ids that are not non-negative integers', () => {
    expect(() => padSequences([[1, -2]])).toThrow('padSequences: sequence 0 holds -2 at 1');
    expect(() => padSequences([[1.5]])).toThrow(/ids must be non-negative int32 integers/);
  });
});

describe('bucketBatches (translation)', () => {
  const examples = randomExamples(500, 1);

  it('yields source, decoder input (<sos> + target) and output (target + <eos>) with their Padding (masks and lengths)', () => {
    const batches = [...bucketBatches(examples, { batchSize: 16, seed: 2 })];
    const seen = new Set<number>();
    for (const b of batches) {
      const B = b.indices.length;
      expect(B).toBeLessThanOrEqual(16);
      expect(b.source.shape[0]).toBe(B);
      expect(b.decoderInput.shape).toEqual(b.decoderOutput.shape);
      expect(b.targetPadding.mask.shape).toEqual(b.decoderOutput.shape);
      const S = b.source.shape[1]!;
      const T = b.decoderInput.shape[1]!;
      b.indices.forEach((ex, row) => {
        seen.add(ex);
        const { source, target } = examples[ex]!;
        const srcRow = Array.from(b.source.data.subarray(row * S, (row + 1) * S));
        const maskRow = Array.from(b.sourcePadding.mask.data.subarray(row * S, (row + 1) * S));
        expect(srcRow).toEqual([...source, ...Array(S - source.length).fill(PAD_ID)]);
        expect(maskRow).toEqual([...Array(source.length).fill(0), ...Array(S - source.length).fill(1)]);
        expect(b.sourcePadding.lengths.data[row]).toBe(source.length);
        const pad = Array(T - target.length - 1).fill(PAD_ID);
        expect(Array.from(b.decoderInput.data.subarray(row * T, (row + 1) * T))).toEqual([
          SOS_ID,
          ...target,
          ...pad,
        ]);
        expect(Array.from(b.decoderOutput.data.subarray(row * T, (row + 1) * T))).toEqual([
          ...target,
          EOS_ID,
          ...pad,
        ]);
        expect(Array.from(b.targetPadding.mask.data.subarray(row * T, (row + 1) * T))).toEqual([
          ...Array(target.length + 1).fill(0),
          ...Array(pad.length).fill(1),
        ]);
        expect(b.targetPadding.lengths.data[row]).toBe(target.length + 1);
      });
      // Padded to the longest in the batch: some row is full.
      expect(Math.max(...b.sourcePadding.lengths.data)).toBe(S);
      expect(Math.max(...b.targetPadding.lengths.data)).toBe(T);
    }
    expect(seen.size).toBe(examples.length);
  });

  it('appends <eos> to sources when asked', () => {
    const [b] = [...bucketBatches([{ source: [5, 6], target: [7] }], { batchSize: 4, sourceEos: true })];
    expect(b!.source.toArray()).toEqual([[5, 6, EOS_ID]]);
    expect(b!.sourcePadding.lengths.toArray()).toEqual([3]);
  });

  it('is deterministic for a seed', () => {
    const plan = (seed: number) =>
      [...bucketBatches(examples, { batchSize: 16, seed })].map((b) => b.indices);
    expect(plan(5)).toEqual(plan(5));
    expect(plan(6)).not.toEqual(plan(5));
    const g1 = new Generator(9);
    const g2 = new Generator(9);
    const a = [...bucketBatches(examples, { batchSize: 16, generator: g1 })];
    const b = [...bucketBatches(examples, { batchSize: 16, generator: g2 })];
    expect(b.map((x) => Array.from(x.source.data))).toEqual(a.map((x) => Array.from(x.source.data)));
    // A shared generator advances: the next epoch is shuffled differently.
    const next = [...bucketBatches(examples, { batchSize: 16, generator: g1 })];
    expect(next.map((x) => x.indices)).not.toEqual(a.map((x) => x.indices));
  });

  it('bucketing pads much less than random batching', () => {
    const padding = (bucketSize: number) => {
      let pad = 0;
      let total = 0;
      for (const b of bucketBatches(examples, { batchSize: 16, bucketSize, seed: 3 })) {
        for (const m of [b.sourcePadding.mask, b.targetPadding.mask]) {
          total += m.size;
          for (const v of m.data) pad += v;
        }
      }
      return pad / total;
    };
    const random = padding(16); // a bucket per batch: plain random batches
    const bucketed = padding(1600);
    expect(random).toBeGreaterThan(0.3);
    expect(bucketed).toBeLessThan(random / 4);
  });

  it('keeps every batch under a token budget', () => {
    const maxTokens = 200;
    const batches = [...bucketBatches(examples, { maxTokens, seed: 4 })];
    let count = 0;
    for (const b of batches) {
      count += b.indices.length;
      const tokens = b.indices.length * Math.max(b.source.shape[1]!, b.decoderInput.shape[1]!);
      expect(tokens).toBeLessThanOrEqual(maxTokens);
    }
    expect(count).toBe(examples.length);
    const both = [...bucketBatches(examples, { maxTokens: 10_000, batchSize: 8, seed: 4 })];
    expect(Math.max(...both.map((b) => b.indices.length))).toBe(8);
  });

  it('puts an example longer than the budget in a batch of its own', () => {
    expect(planBatches([3, 50, 4], { maxTokens: 10, shuffle: false })).toEqual([[0, 2], [1]]);
    expect(planBatches([3, 50, 4, 2], { maxTokens: 20, shuffle: false, bucketSize: 4 })).toEqual([
      [3, 0, 2],
      [1],
    ]);
  });

  it('validates its options', () => {
    expect(() => planBatches([1], {})).toThrow('planBatches: give batchSize or maxTokens (or both)');
    expect(() => planBatches([1], { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() =>
      bucketBatches([{ source: [1], target: [2] }, { ids: [1] }] as TranslationExample[], { batchSize: 2 }),
    ).toThrow(/example 1 must have source and target/);
  });
});

describe('bucketBatches (classification)', () => {
  it('pads ids and gathers labels', () => {
    const examples = [
      { ids: [4, 5, 6], label: 1 },
      { ids: [7], label: 0 },
      { ids: [8, 9], label: 1 },
    ];
    const [b] = [...bucketBatches(examples, { batchSize: 8, shuffle: false })];
    expect(b!.indices).toEqual([1, 2, 0]);
    expect(b!.ids.toArray()).toEqual([
      [7, 0, 0],
      [8, 9, 0],
      [4, 5, 6],
    ]);
    expect(b!.padding.mask.toArray()).toEqual([
      [0, 1, 1],
      [0, 0, 1],
      [0, 0, 0],
    ]);
    expect(b!.padding.lengths.toArray()).toEqual([1, 2, 3]);
    expect(b!.labels!.dtype).toBe('int32');
    expect(b!.labels!.toArray()).toEqual([0, 1, 1]);
    const [unlabelled] = [...bucketBatches([{ ids: [4] }], { batchSize: 2 })];
    expect(unlabelled!.labels).toBeNull();
  });
});
