// Label smoothing is the translation task's setting: it passes ε to the model's loss, in training and in
// evaluation's loss, for every architecture the registry builds (the RNN models and the Transformer alike).
import { describe, expect, it } from 'vitest';
import { buildModel, Generator, noGrad, TranslationTask, type Architecture } from '../../src/index.js';
import { reversalData } from './tiny-models.js';

const SMALL = {
  'gru-bahdanau': { embeddingDim: 6, hiddenSize: 8, dropout: 0 },
  'gru-luong': { embeddingDim: 6, hiddenSize: 8, dropout: 0 },
  transformer: {
    dModel: 8,
    nhead: 2,
    numEncoderLayers: 1,
    numDecoderLayers: 1,
    dimFeedforward: 8,
    dropout: 0,
  },
} as const;

describe('TranslationTask labelSmoothing', () => {
  const data = reversalData(16, 8);
  const sizes = { srcVocabSize: data.vocab, tgtVocabSize: data.vocab };

  for (const architecture of Object.keys(SMALL) as (keyof typeof SMALL & Architecture)[]) {
    it(`${architecture}: the task's loss is the model's loss with the task's ε, bit for bit`, () => {
      const built = buildModel(architecture, SMALL[architecture], sizes, new Generator(1));
      if (built.task !== 'translate') throw new Error('expected a translation model');
      const model = built.model;
      const task = (labelSmoothing?: number) =>
        new TranslationTask({
          model,
          train: data.train,
          splits: { dev: data.dev },
          batching: { batchSize: 4, shuffle: false },
          decode: false,
          ...(labelSmoothing === undefined ? {} : { labelSmoothing }),
        });
      const [batch] = task().trainBatches(0, new Generator(0));
      const b = batch!;
      const direct = (eps: number) =>
        noGrad(() =>
          model
            .loss(b.source, b.sourcePadding.mask, b.decoderInput, b.decoderOutput, { labelSmoothing: eps })
            .loss.item(),
        );
      const viaTask = (eps?: number) => noGrad(() => task(eps).loss(b).loss.item());
      expect(viaTask()).toBe(direct(0));
      expect(viaTask(0.1)).toBe(direct(0.1));
      expect(viaTask(0.1)).not.toBe(viaTask(0));
      expect(task(0.1).evaluate('dev').loss).not.toBe(task(0).evaluate('dev').loss);
    });
  }

  it('rejects an ε outside [0, 1]', () => {
    const built = buildModel('gru-bahdanau', SMALL['gru-bahdanau'], sizes);
    if (built.task !== 'translate') throw new Error('expected a translation model');
    expect(
      () =>
        new TranslationTask({
          model: built.model,
          train: data.train,
          batching: { batchSize: 4 },
          labelSmoothing: 1.5,
        }),
    ).toThrow('TranslationTask: labelSmoothing must be a number in [0, 1], got 1.5');
  });
});
