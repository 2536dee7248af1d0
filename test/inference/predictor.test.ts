import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Adam,
  ClassificationTask,
  DirectoryCheckpoints,
  Generator,
  MODEL_CONFIG_FORMAT,
  Tensor,
  Trainer,
  TranslationTask,
  WordTokenizer,
  buildModel,
  createPredictor,
  greedyDecode,
  loadPredictor,
  sampleDecode,
  noGrad,
  validateConfig,
  reversalTask,
  type Architecture,
  type ModelCheckpointConfig,
  type TaskKind,
} from '../../src/node.js';
import { setBatchInvariantKernels } from '../../src/backend/native/select.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'attn-predictor-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SMALL: Record<Architecture, Record<string, number | boolean | string>> = {
  'gru-bahdanau': { embeddingDim: 8, hiddenSize: 12, dropout: 0 },
  'gru-luong': { embeddingDim: 8, hiddenSize: 12, dropout: 0, score: 'concat' },
  transformer: {
    dModel: 8,
    nhead: 2,
    numEncoderLayers: 1,
    numDecoderLayers: 2,
    dimFeedforward: 16,
    dropout: 0,
    maxLen: 32,
  },
  'bigru-attention': { embeddingDim: 8, hiddenSize: 6, dropout: 0 },
  'transformer-cls': { dModel: 8, nhead: 2, numLayers: 1, dimFeedforward: 16, dropout: 0, maxLen: 32 },
};

const reversal = reversalTask({ count: 40, seed: 5, minLength: 2, maxLength: 6, vocabSize: 6 });
const tok = reversal.sourceTokenizer;
const classTexts = ['good film', 'bad film', 'good plot', 'bad plot', 'very good', 'very bad'];
const classTok = WordTokenizer.train(classTexts);

/** Trains `arch` for a few steps and writes its checkpoint to a new directory. */
async function checkpoint(
  arch: Architecture,
  task: TaskKind,
): Promise<{ dir: string; config: ModelCheckpointConfig }> {
  const dir = tempDir();
  const model = validateConfig(arch, SMALL[arch], 'model');
  const generator = new Generator(1);
  let trainer: Trainer<unknown>;
  let config: ModelCheckpointConfig;
  if (task === 'translate') {
    const built = buildModel(
      arch,
      model,
      { srcVocabSize: tok.vocabulary.size, tgtVocabSize: tok.vocabulary.size },
      generator,
    );
    if (built.task !== 'translate') throw new Error('expected a translator');
    config = { format: MODEL_CONFIG_FORMAT, version: 1, task, architecture: arch, model, sourceEos: true };
    const examples = reversal.pairs.map((p) => ({
      source: tok.encode(p.source),
      target: tok.encode(p.target),
    }));
    const t = new TranslationTask({
      model: built.model,
      train: examples,
      batching: { batchSize: 8, sourceEos: true },
    });
    trainer = new Trainer({
      task: t as never,
      optimizer: new Adam(built.model.parameters(), { lr: 0.01 }),
      maxSteps: 3,
      evalEveryEpoch: false,
      generators: { model: generator },
      checkpoints: new DirectoryCheckpoints(dir),
      config,
      tokenizers: { source: tok, target: tok },
    });
  } else {
    const built = buildModel(arch, model, { vocabSize: classTok.vocabulary.size, numClasses: 2 }, generator);
    if (built.task !== 'classify') throw new Error('expected a classifier');
    config = {
      format: MODEL_CONFIG_FORMAT,
      version: 1,
      task,
      architecture: arch,
      model,
      labels: ['neg', 'pos'],
    };
    const examples = classTexts.map((text) => ({
      ids: classTok.encode(text),
      label: text.includes('good') ? 1 : 0,
    }));
    const t = new ClassificationTask({ model: built.model, train: examples, batching: { batchSize: 3 } });
    trainer = new Trainer({
      task: t as never,
      optimizer: new Adam(built.model.parameters(), { lr: 0.01 }),
      maxSteps: 3,
      evalEveryEpoch: false,
      generators: { model: generator },
      checkpoints: new DirectoryCheckpoints(dir),
      config,
      tokenizers: { text: classTok },
    });
  }
  await trainer.fit();
  return { dir, config };
}

describe('predictors from checkpoints', () => {
  for (const arch of ['gru-bahdanau', 'gru-luong', 'transformer'] as const) {
    it(`${arch}: translates with the same tokens as greedy decoding, attention rows summing to 1`, async () => {
      const { dir } = await checkpoint(arch, 'translate');
      const predictor = await loadPredictor(dir);
      expect(predictor.info.task).toBe('translate');
      expect(predictor.info.architecture).toBe(arch);
      const layers = arch === 'transformer' ? 2 : 1;
      const heads = arch === 'transformer' ? 2 : 1;
      expect([predictor.info.attentionLayers, predictor.info.attentionHeads]).toEqual([layers, heads]);

      const text = 'a b c d';
      const result = predictor.translate(text, { maxLength: 6 });
      expect(result.sourceTokens).toEqual(['a', 'b', 'c', 'd', '<eos>']);
      const [best] = result.hypotheses;
      // The reference: the same model decoded directly.
      const built = buildModel(arch, predictor.info.config as never, {
        srcVocabSize: tok.vocabulary.size,
        tgtVocabSize: tok.vocabulary.size,
      });
      if (built.task !== 'translate') throw new Error('expected a translator');
      const { loadCheckpoint } = await import('../../src/node.js');
      built.model.loadStateDict((await loadCheckpoint(dir)).weights);
      built.model.eval();
      const ids = tok.encode(text, { eos: true });
      const src = new Tensor(Int32Array.from(ids), [1, ids.length], 'int32');
      const mask = new Tensor(new Uint8Array(ids.length), [1, ids.length], 'bool');
      const [reference] = noGrad(() =>
        greedyDecode(built.model.stepper(src, mask), { sos: 1, eos: 2, maxLength: 6 }),
      );
      expect(best!.tokens).toEqual(reference!.tokens.map((id) => tok.vocabulary.token(id)));
      expect(best!.text).toBe(tok.decode(reference!.tokens));
      expect(best!.logProb).toBeCloseTo(reference!.logProb, 4);

      const att = best!.attention.layers;
      expect(att).toHaveLength(layers);
      expect(att[0]).toHaveLength(heads);
      const rows = best!.tokens.length + (reference!.finished ? 1 : 0);
      for (const layer of att)
        for (const head of layer) {
          expect(head).toHaveLength(rows);
          for (const row of head) {
            expect(row).toHaveLength(result.sourceTokens.length);
            expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
          }
        }

      // Beam search: n best, best first; a batch gives what single calls give.
      const beam = predictor.translate(text, { beamSize: 3, nBest: 2, maxLength: 6 });
      expect(beam.hypotheses).toHaveLength(2);
      expect(beam.hypotheses[0]!.score).toBeGreaterThanOrEqual(beam.hypotheses[1]!.score);
      // attention 'best' / 'none': the same hypotheses, the attention of the others left out ({ layers: [] }).
      const options = { beamSize: 3, nBest: 2, maxLength: 6 };
      const bestOnly = predictor.translate(text, { ...options, attention: 'best' });
      const none = predictor.translate(text, { ...options, attention: 'none' });
      const plain = (r: typeof beam) => r.hypotheses.map(({ attention: _a, ...h }) => h);
      expect(plain(bestOnly)).toEqual(plain(beam));
      expect(plain(none)).toEqual(plain(beam));
      expect(bestOnly.hypotheses.map((h) => h.attention)).toEqual([
        beam.hypotheses[0]!.attention,
        { layers: [] },
      ]);
      expect(none.hypotheses.map((h) => h.attention)).toEqual([{ layers: [] }, { layers: [] }]);
      expect(() => predictor.translate('a', { attention: 'some' as unknown as 'all' })).toThrow(
        /attention must be one of all, best, none, got some/,
      );
      const texts = ['a b', 'c d e f a', 'b'];
      const batch = predictor.translateBatch(texts, { maxLength: 6 });
      texts.forEach((t, i) => {
        const single = predictor.translate(t, { maxLength: 6 });
        expect(batch[i]!.hypotheses[0]!.tokens).toEqual(single.hypotheses[0]!.tokens);
        expect(batch[i]!.sourceTokens).toEqual(single.sourceTokens);
      });
      // Requests with their own options decode together, each exactly as alone (batch-invariant kernels).
      const requests = [
        { text: 'a b c d e' },
        { text: 'b', options: { maxLength: 2 } },
        { text: 'c d', options: { beamSize: 3, nBest: 2 } },
        { text: 'e f a b', options: { beamSize: 3, attention: 'none' as const } },
        { text: 'd', options: { beamSize: 2, nBest: 2, maxLength: 4 } },
      ];
      setBatchInvariantKernels(true);
      try {
        const each = predictor.translateEach(requests);
        requests.forEach((r, i) => expect(each[i]).toEqual(predictor.translate(r.text, r.options)));
      } finally {
        setBatchInvariantKernels(false);
      }
      // Sampling: the seed fixes the draws, which are sampleDecode's with that seed; requests sampling alike
      // decode together, each from its own seed, as alone.
      const sampling = { sample: true, temperature: 1.5, topK: 4, topP: 0.9, seed: 7, maxLength: 6 };
      const sampled = predictor.translate(text, sampling);
      expect(predictor.translate(text, sampling)).toEqual(sampled);
      const [drawn] = noGrad(() =>
        sampleDecode(built.model.stepper(src, mask), {
          sos: 1,
          eos: 2,
          maxLength: 6,
          temperature: 1.5,
          topK: 4,
          topP: 0.9,
          seed: 7,
        }),
      );
      expect(sampled.hypotheses[0]!.tokens).toEqual(drawn!.tokens.map((id) => tok.vocabulary.token(id)));
      expect(sampled.hypotheses[0]!.logProb).toBeCloseTo(drawn!.logProb, 4);
      const seeds = [1, 2, 3, 4, 5, 6].map((seed) => predictor.translate(text, { ...sampling, seed }));
      expect(new Set(seeds.map((r) => r.hypotheses[0]!.text)).size).toBeGreaterThan(1);
      const samplingRequests = [
        { text: 'a b c', options: { sample: true, seed: 1 } },
        { text: 'd e', options: { sample: true, seed: 2, topP: 0.5 } },
        { text: 'f', options: { maxLength: 3 } },
        { text: 'c b a d', options: { sample: true, seed: 3 } },
        { text: 'a', options: { sample: true, seed: 4, temperature: 0.5, topK: 2 } },
      ];
      setBatchInvariantKernels(true);
      try {
        const each = predictor.translateEach(samplingRequests);
        samplingRequests.forEach((r, i) => expect(each[i]).toEqual(predictor.translate(r.text, r.options)));
      } finally {
        setBatchInvariantKernels(false);
      }
      const bad: [Record<string, unknown>, string][] = [
        [{ topP: 0.9 }, 'Predictor.translate: topP applies only when sampling (sample: true)'],
        [{ seed: 1 }, 'Predictor.translate: seed applies only when sampling (sample: true)'],
        [
          { sample: true, beamSize: 2 },
          'Predictor.translate: sample draws one output: it does not go with beamSize 2',
        ],
        [{ sample: true, topP: 0 }, 'Predictor.translate: topP must be > 0'],
        [{ sample: true, topP: 1.5 }, 'Predictor.translate: topP must be a number in [0, 1], got 1.5'],
        [{ sample: true, temperature: 0 }, 'Predictor.translate: temperature must be > 0'],
        [{ sample: true, topK: 1.5 }, 'Predictor.translate: topK must be an integer in [0, '],
        [{ sample: true, seed: -1 }, 'Predictor.translate: seed must be an integer in [0, '],
        [{ sample: 'yes' }, 'Predictor.translate: sample must be true or false, got yes'],
        [
          { beam: 4 },
          "Predictor.translate: unknown option 'beam'; the options are beamSize, maxLength, nBest, attention, sample, temperature, topK, topP, seed",
        ],
      ];
      for (const [options, message] of bad)
        expect(() => predictor.translate('a', options as never)).toThrow(message);
      expect(() => predictor.translateEach([{ text: 'a' }, { text: 'b', options: { beamSize: 0 } }])).toThrow(
        /beamSize must be an integer in \[1, 64\]/,
      );

      expect(() => predictor.classify('a b')).toThrow(
        new RegExp(
          `^Predictor.classify: .*/step-\\d+ holds a translation model \\(${arch}\\); use translate$`,
        ),
      );
      expect(() => predictor.translate('   ')).toThrow(/no tokens/);
      expect(() => predictor.translate('a', { beamSize: 0 })).toThrow(
        /beamSize must be an integer in \[1, 64\]/,
      );
      expect(() => predictor.translate('a', { beamSize: 2, nBest: 3 })).toThrow(
        /nBest must be an integer in \[1, 2\]/,
      );
    });
  }

  for (const arch of ['bigru-attention', 'transformer-cls'] as const) {
    it(`${arch}: classifies with probabilities and pooling weights over the tokens`, async () => {
      const { dir } = await checkpoint(arch, 'classify');
      const predictor = await loadPredictor(dir);
      expect(predictor.info.task).toBe('classify');
      const r = predictor.classify('very good film');
      expect(r.tokens).toEqual(['very', 'good', 'film']);
      expect(r.labels).toEqual(['neg', 'pos']);
      expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(r.label).toBe(r.labels[r.probabilities[0]! > r.probabilities[1]! ? 0 : 1]);
      expect(r.weights).toHaveLength(3);
      expect(r.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const batch = predictor.classifyBatch(['bad', 'very good film', 'good plot']);
      expect(batch[1]!.probabilities[0]).toBeCloseTo(r.probabilities[0]!, 5);
      expect(() => predictor.translate('good')).toThrow(
        new RegExp(
          `^Predictor.translate: .*/step-\\d+ holds a classification model \\(${arch}\\); use classify$`,
        ),
      );
    });
  }

  it('names the file at fault for a corrupt or foreign checkpoint', async () => {
    const { dir } = await checkpoint('gru-bahdanau', 'translate');
    const { readdirSync } = await import('node:fs');
    const step = readdirSync(dir).find((f) => f.startsWith('step-'))!;
    const model = join(dir, step, 'model.safetensors');
    const bytes = readFileSync(model);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(model, bytes);
    await expect(loadPredictor(dir)).rejects.toThrow(`${model} is corrupt`);
    await expect(loadPredictor(join(dir, 'nope'))).rejects.toThrow(/nope does not exist/);
    await expect(loadPredictor(tempDir())).rejects.toThrow(/holds no checkpoint/);
  });

  it('rejects a config that is not an attn model, or weights of another architecture', async () => {
    const { dir, config } = await checkpoint('gru-bahdanau', 'translate');
    const { loadCheckpoint, predictorFromCheckpoint } = await import('../../src/node.js');
    const snapshot = await loadCheckpoint(dir);
    expect(() => predictorFromCheckpoint({ ...snapshot, config: { vocab: 3 } })).toThrow(
      /config\.json is not an attn model configuration/,
    );
    const luong = {
      ...config,
      architecture: 'gru-luong',
      model: validateConfig('gru-luong', SMALL['gru-luong'], 'model'),
    };
    expect(() => predictorFromCheckpoint({ ...snapshot, config: luong })).toThrow(
      /model\.safetensors does not fit the gru-luong model/,
    );
    expect(() =>
      predictorFromCheckpoint({ ...snapshot, config: { ...config, model: { hiddenSize: -1 } } }),
    ).toThrow(/config\.json: hiddenSize must be an integer in \[1, 4096\], got -1/);
    expect(() => predictorFromCheckpoint({ ...snapshot, tokenizers: {} })).toThrow(
      /tokenizers\.json has no 'source' tokenizer/,
    );
    expect(() =>
      createPredictor({
        model: buildModel('bigru-attention', validateConfig('bigru-attention', {}, 'model'), {
          vocabSize: 5,
          numClasses: 2,
        }),
        config,
        tokenizers: { source: tok, target: tok },
      }),
    ).toThrow(/classify model but the configuration says translate/);
  });
});
