import { describe, expect, it } from 'vitest';
import {
  Adam,
  ClassificationTask,
  epochGenerator,
  Generator,
  Module,
  Padding,
  Tensor,
  Trainer,
  TranslationTask,
  type TranslationModel,
} from '../../src/index.js';
import { parityData, reversalData, TinyClassifier, TinySeq2Seq } from './tiny-models.js';

describe('TranslationTask', () => {
  const data = reversalData();

  it('trains a seq2seq model and reports loss, token accuracy, exact match and BLEU', async () => {
    const model = new TinySeq2Seq({
      vocab: data.vocab,
      hidden: 24,
      dropout: 0.1,
      generator: new Generator(1),
    });
    const task = new TranslationTask({
      model,
      train: data.train,
      splits: { dev: data.dev, train: data.train },
      batching: { batchSize: 8 },
      targetTokenizer: data.tokenizer,
    });
    const batches = task.trainBatches(0, epochGenerator(0, 0));
    expect(batches.length).toBe(6);
    expect([...batches]).toHaveLength(6);

    const initial = task.evaluate('dev');
    const optimizer = new Adam(model.parameters(), { lr: 0.03 });
    const result = await new Trainer({ task, optimizer, epochs: 8, maxGradNorm: 1 }).fit();
    const last = result.evaluations.at(-1)!.metrics;
    expect(Object.keys(last).sort()).toEqual(['bleu', 'chrf', 'exactMatch', 'loss', 'tokenAccuracy']);
    expect(last.loss).toBeLessThan(initial.loss!);
    expect(last.tokenAccuracy).toBeGreaterThan(initial.tokenAccuracy!);
    for (const k of ['tokenAccuracy', 'exactMatch'] as const) expect(last[k]).toBeGreaterThanOrEqual(0);
    expect(last.bleu).toBeGreaterThanOrEqual(0);
    expect(last.chrf).toBeGreaterThan(0);
    expect(last.chrf).toBeLessThanOrEqual(100);
    expect(last.bleu).toBeLessThanOrEqual(100);
    // Evaluation leaves the model in training mode and draws no dropout.
    expect(model.training).toBe(true);
  });

  it('scores a perfect model at 100 BLEU and exact match 1, on id tokens without a tokenizer', () => {
    // A fake model that decodes the reference exactly: it reverses the source.
    class Oracle extends Module implements TranslationModel {
      readonly w = this.registerParameter('w', new Tensor(new Float32Array([0]), [1]))!;
      loss(_src: Tensor, _pad: Padding, _tgtIn: Tensor, tgtOut: Tensor): { loss: Tensor } {
        void tgtOut;
        return { loss: this.w.mul(0).sum() };
      }
      stepper(src: Tensor, padding: Padding) {
        const [b, s] = src.shape as [number, number];
        const vocab = data.vocab;
        const targets = Array.from({ length: b }, (_, i) => {
          const ids: number[] = [];
          for (let j = 0; j < s; j++) if (!padding.mask.data[i * s + j]) ids.push(src.data[i * s + j]!);
          return [...ids.reverse(), 2];
        });
        return {
          batchSize: b,
          start: () => 0,
          step: (_tokens: Int32Array, t: number) => {
            const lp = new Float32Array(b * vocab).fill(-10);
            targets.forEach((ids, i) => (lp[i * vocab + ids[Math.min(t, ids.length - 1)]!] = 0));
            return { logProbs: new Tensor(lp, [b, vocab]), state: t + 1 };
          },
          select: (t: number) => t,
        };
      }
    }
    const task = new TranslationTask({
      model: new Oracle(),
      train: data.train,
      splits: { dev: data.dev },
      batching: { batchSize: 4 },
    });
    const m = task.evaluate('dev');
    expect(m.exactMatch).toBe(1);
    expect(m.bleu).toBeCloseTo(100, 10);
    expect(m.tokenAccuracy).toBeUndefined();
  });

  it("hands the model the batch's source Padding, and names bad splits, models and options", () => {
    let seen: Padding | null = null;
    const model = new TinySeq2Seq({ vocab: data.vocab, generator: new Generator(2) });
    const original = model.loss.bind(model);
    model.loss = (src, padding, tgtIn, tgtOut) => {
      seen = padding;
      return original(src, padding, tgtIn, tgtOut);
    };
    const task = new TranslationTask({
      model,
      train: data.train,
      splits: { dev: data.dev },
      batching: { batchSize: 8 },
      decode: false,
    });
    const [batch] = task.trainBatches(0, new Generator(0));
    const out = task.loss(batch!);
    expect(seen).toBe(batch!.sourcePadding);
    expect(seen!.lengths.dtype).toBe('int32');
    expect(seen!.mask.dtype).toBe('bool');
    expect(out.examples).toBe(8);
    expect(out.tokens).toBe(Array.from(batch!.targetPadding.lengths.data).reduce((a, b) => a + b));
    expect(Object.keys(task.evaluate('dev')).sort()).toEqual(['loss', 'tokenAccuracy']);
    expect(() => task.evaluate('test')).toThrow("TranslationTask: no split 'test' to evaluate (splits: dev)");
    expect(
      () =>
        new TranslationTask({ model: new Module() as never, train: data.train, batching: { batchSize: 2 } }),
    ).toThrow(/must implement TranslationModel/);
    // The retired 'mask' | 'lengths' choice, like any unknown option, is an error rather than ignored.
    expect(
      () =>
        new TranslationTask({
          model,
          train: data.train,
          batching: { batchSize: 2 },
          sourcePadding: 'lengths',
        } as never),
    ).toThrow(/^TranslationTask: unknown option 'sourcePadding' \(the options are model, train, splits, /);
  });
});

describe('ClassificationTask', () => {
  it('trains a classifier and reports loss, accuracy and macro-F1', async () => {
    const g = new Generator(5);
    const train = parityData(64, g);
    const dev = parityData(32, g);
    const model = new TinyClassifier(12, 2, new Generator(6));
    const task = new ClassificationTask({
      model,
      train,
      splits: { dev },
      batching: { batchSize: 16 },
      numClasses: 2,
    });
    const initial = task.evaluate('dev');
    const optimizer = new Adam(model.parameters(), { lr: 0.03 });
    const result = await new Trainer({ task, optimizer, epochs: 6 }).fit();
    const last = result.evaluations.at(-1)!.metrics;
    expect(Object.keys(last).sort()).toEqual(['accuracy', 'loss', 'macroF1']);
    expect(last.loss).toBeLessThan(initial.loss!);
    expect(last.accuracy).toBeGreaterThanOrEqual(0);
    expect(last.accuracy).toBeLessThanOrEqual(1);
    expect(last.macroF1).toBeGreaterThanOrEqual(0);
    expect(result.losses).toHaveLength(24);
  });

  it('needs labels', () => {
    const model = new TinyClassifier(12, 2);
    expect(
      () => new ClassificationTask({ model, train: [{ ids: [4, 5] }], batching: { batchSize: 2 } }),
    ).toThrow('ClassificationTask: train example 0 has no integer label');
  });

  it('hands the model the batch Padding and rejects unknown options', () => {
    const model = new TinyClassifier(12, 2, new Generator(6));
    let seen: Padding | null = null;
    const original = model.forward.bind(model);
    model.forward = (ids, padding) => {
      seen = padding;
      return original(ids, padding);
    };
    const train = parityData(16, new Generator(5));
    const task = new ClassificationTask({ model, train, batching: { batchSize: 4 } });
    const [batch] = task.trainBatches(0, new Generator(0));
    const out = task.loss(batch!);
    expect(seen).toBe(batch!.padding);
    expect(out.tokens).toBe(batch!.padding.tokens);
    expect(out.tokens).toBe(Array.from(batch!.padding.lengths.data).reduce((a, b) => a + b));
    expect(
      () => new ClassificationTask({ model, train, batching: { batchSize: 2 }, padding: 'mask' } as never),
    ).toThrow(
      "ClassificationTask: unknown option 'padding' (the options are model, train, splits, batching, " +
        'evalBatchSize, labelSmoothing, numClasses)',
    );
  });
});
