// Real checkpoints for the server tests: tiny models trained for a few steps through the library and
// written by the trainer in the checkpoint format `attn train` writes, so that the server loads them with the
// real loadPredictor.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Adam,
  ClassificationTask,
  DirectoryCheckpoints,
  Generator,
  MODEL_CONFIG_FORMAT,
  MODEL_CONFIG_VERSION,
  Trainer,
  TranslationTask,
  WordTokenizer,
  buildModel,
  validateConfig,
  reversalTask,
  type Architecture,
  type ModelCheckpointConfig,
} from '../../src/node.js';
import { architectureInfo } from '../../src/models/registry.js';

export interface TinyCheckpoints {
  /** A Transformer translating the reversal task: 2 decoder layers × 2 heads of cross-attention, 32 positions. */
  translate: string;
  /** A BiGRU + attention-pooling classifier of short sentences. */
  classify: string;
  remove(): Promise<void>;
}

/** Source sentences of the reversal task's vocabulary: tokens 'a' … 'f'. */
export const REVERSAL_SENTENCE = 'a b c d';

export async function tinyCheckpoints(): Promise<TinyCheckpoints> {
  const root = await mkdtemp(join(tmpdir(), 'attn-serve-'));
  const translate = join(root, 'translate');
  const classify = join(root, 'classify');
  await tinyCheckpoint('transformer', translate, 1);
  await tinyCheckpoint('bigru-attention', classify, 2);
  return { translate, classify, remove: () => rm(root, { recursive: true, force: true }) };
}

/** Small hyper-parameters of every architecture, for checkpoints that train in a moment. */
const TINY: Record<Architecture, Record<string, number | string | boolean>> = {
  'gru-bahdanau': { embeddingDim: 8, hiddenSize: 12, dropout: 0 },
  'gru-luong': { embeddingDim: 8, hiddenSize: 12, dropout: 0, score: 'general' },
  transformer: {
    dModel: 16,
    nhead: 2,
    numEncoderLayers: 1,
    numDecoderLayers: 2,
    dimFeedforward: 32,
    dropout: 0,
    maxLen: 32,
  },
  'bigru-attention': { embeddingDim: 8, hiddenSize: 8, dropout: 0 },
  'transformer-cls': { dModel: 8, nhead: 2, numLayers: 1, dimFeedforward: 16, dropout: 0, maxLen: 32 },
};

/** Sentences of the classifiers' vocabulary. */
export const CLASSIFY_TEXTS = [
  'a good film',
  'a bad film',
  'good plot',
  'bad plot',
  'very good acting',
  'very bad acting',
];

/**
 * A checkpoint of `arch` trained for a few steps into `dir` (its weights drawn from `seed`): translation
 * architectures on the reversal task (tokens 'a' … 'f'), classifiers on CLASSIFY_TEXTS. `overrides` changes
 * hyper-parameters of the tiny config (e.g. a bidirectional encoder); `steps` trains longer (a model that has
 * learnt some reversal writes more than <eos>).
 */
export async function tinyCheckpoint(
  arch: Architecture,
  dir: string,
  seed = 3,
  overrides: Record<string, number | string | boolean> = {},
  steps = 6,
): Promise<void> {
  await trainedCheckpoint(arch, { ...TINY[arch], ...overrides }, dir, seed, steps);
}

/**
 * A checkpoint of `arch` with exactly the hyper-parameters `hyper`, trained `steps` steps from `seed` into `dir`
 * on the data tinyCheckpoint describes.
 */
export async function trainedCheckpoint(
  arch: Architecture,
  hyper: Record<string, number | string | boolean>,
  dir: string,
  seed: number,
  steps: number,
): Promise<void> {
  const generator = new Generator(seed);
  const model = validateConfig(arch, hyper, 'model');
  const common = {
    maxSteps: steps,
    evalEveryEpoch: false,
    generators: { model: generator },
    checkpoints: new DirectoryCheckpoints(dir),
  };
  if (architectureInfo(arch).task === 'classify') {
    const tok = WordTokenizer.train(CLASSIFY_TEXTS);
    const built = buildModel(arch, model, { vocabSize: tok.vocabulary.size, numClasses: 2 }, generator);
    if (built.task !== 'classify') throw new Error('expected a classifier');
    const train = CLASSIFY_TEXTS.map((text) => ({
      ids: tok.encode(text),
      label: text.includes('good') ? 1 : 0,
    }));
    await new Trainer({
      ...common,
      task: new ClassificationTask({ model: built.model, train, batching: { batchSize: 3 } }) as never,
      optimizer: new Adam(built.model.parameters(), { lr: 0.01 }),
      config: {
        format: MODEL_CONFIG_FORMAT,
        version: MODEL_CONFIG_VERSION,
        task: 'classify',
        architecture: arch,
        model,
        labels: ['negative', 'positive'],
      },
      tokenizers: { text: tok },
    }).fit();
    return;
  }
  const task = reversalTask({ count: 48, seed: 5, minLength: 2, maxLength: 6, vocabSize: 6 });
  const tok = task.sourceTokenizer;
  const sizes = { srcVocabSize: tok.vocabulary.size, tgtVocabSize: tok.vocabulary.size };
  const built = buildModel(arch, model, sizes, generator);
  if (built.task !== 'translate') throw new Error('expected a translation model');
  const config: ModelCheckpointConfig = {
    format: MODEL_CONFIG_FORMAT,
    version: MODEL_CONFIG_VERSION,
    task: 'translate',
    architecture: arch,
    model,
    sourceEos: true,
    maxDecodeLength: 12,
  };
  const train = task.pairs.map((p) => ({ source: tok.encode(p.source), target: tok.encode(p.target) }));
  await new Trainer({
    ...common,
    task: new TranslationTask({
      model: built.model,
      train,
      batching: { batchSize: 8, sourceEos: true },
    }) as never,
    optimizer: new Adam(built.model.parameters(), { lr: 0.01 }),
    config,
    tokenizers: { source: tok, target: tok },
  }).fit();
}
