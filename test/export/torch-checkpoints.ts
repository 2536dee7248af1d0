// Checkpoints of every architecture in the variants the PyTorch export must reproduce (uni- and bidirectional
// encoders, stacked layers, every Luong score, pre- and post-norm Transformers), trained two steps through the
// library and written by the trainer as `attn train` writes them.
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
} from '../../src/node.js';
import { architectureInfo } from '../../src/models/registry.js';
import { CLASSIFY_TEXTS } from '../serve/checkpoints.js';

export interface TorchCase {
  name: string;
  architecture: Architecture;
  model: Record<string, number | string | boolean>;
}

export const TORCH_CASES: readonly TorchCase[] = [
  {
    name: 'gru-bahdanau-bi2',
    architecture: 'gru-bahdanau',
    model: {
      embeddingDim: 8,
      hiddenSize: 12,
      numLayers: 2,
      bidirectional: true,
      attentionUnits: 10,
      dropout: 0.1,
    },
  },
  {
    name: 'gru-luong-general',
    architecture: 'gru-luong',
    model: { embeddingDim: 8, hiddenSize: 12, score: 'general', dropout: 0 },
  },
  {
    name: 'gru-luong-concat-bi',
    architecture: 'gru-luong',
    model: { embeddingDim: 8, hiddenSize: 10, score: 'concat', bidirectional: true, inputFeeding: false },
  },
  {
    name: 'gru-luong-dot2',
    architecture: 'gru-luong',
    model: { embeddingDim: 6, hiddenSize: 8, score: 'dot', numLayers: 2, dropout: 0.1 },
  },
  {
    name: 'transformer-pre',
    architecture: 'transformer',
    model: { dModel: 16, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 32, maxLen: 32 },
  },
  {
    name: 'transformer-post',
    architecture: 'transformer',
    model: {
      dModel: 12,
      nhead: 3,
      numEncoderLayers: 2,
      numDecoderLayers: 1,
      dimFeedforward: 24,
      maxLen: 16,
      normFirst: false,
    },
  },
  {
    name: 'bigru-attention-2',
    architecture: 'bigru-attention',
    model: { embeddingDim: 8, hiddenSize: 6, numLayers: 2, attentionUnits: 5, dropout: 0.1 },
  },
  {
    name: 'transformer-cls',
    architecture: 'transformer-cls',
    model: { dModel: 8, nhead: 2, numLayers: 2, dimFeedforward: 16, maxLen: 32, attentionUnits: 6 },
  },
];

/** The reversal task the translation checkpoints learn (word tokens 'a' … 'f'). */
export function reversalPairs() {
  return reversalTask({ count: 48, seed: 5, minLength: 2, maxLength: 6, vocabSize: 6 });
}

/** Labels of CLASSIFY_TEXTS: 'positive' when the text says good. */
export const labelOf = (text: string): 'negative' | 'positive' =>
  text.includes('good') ? 'positive' : 'negative';

/** Trains `c` two steps from `seed` and writes its checkpoint into `dir`. */
export async function torchCaseCheckpoint(c: TorchCase, dir: string, seed = 7): Promise<void> {
  const generator = new Generator(seed);
  const model = validateConfig(c.architecture, c.model, 'model');
  const common = {
    maxSteps: 2,
    evalEveryEpoch: false,
    generators: { model: generator },
    checkpoints: new DirectoryCheckpoints(dir),
  };
  const base = {
    format: MODEL_CONFIG_FORMAT,
    version: MODEL_CONFIG_VERSION,
    architecture: c.architecture,
    model,
  };
  if (architectureInfo(c.architecture).task === 'classify') {
    const tok = WordTokenizer.train(CLASSIFY_TEXTS);
    const built = buildModel(
      c.architecture,
      model,
      { vocabSize: tok.vocabulary.size, numClasses: 2 },
      generator,
    );
    if (built.task !== 'classify') throw new Error('expected a classifier');
    const train = CLASSIFY_TEXTS.map((text) => ({
      ids: tok.encode(text),
      label: labelOf(text) === 'positive' ? 1 : 0,
    }));
    await new Trainer({
      ...common,
      task: new ClassificationTask({ model: built.model, train, batching: { batchSize: 3 } }) as never,
      optimizer: new Adam(built.model.parameters(), { lr: 0.01 }),
      config: { ...base, task: 'classify', labels: ['negative', 'positive'] },
      tokenizers: { text: tok },
    }).fit();
    return;
  }
  const task = reversalPairs();
  const tok = task.sourceTokenizer;
  const sizes = { srcVocabSize: tok.vocabulary.size, tgtVocabSize: tok.vocabulary.size };
  const built = buildModel(c.architecture, model, sizes, generator);
  if (built.task !== 'translate') throw new Error('expected a translation model');
  const train = task.pairs.map((p) => ({ source: tok.encode(p.source), target: tok.encode(p.target) }));
  await new Trainer({
    ...common,
    task: new TranslationTask({
      model: built.model,
      train,
      batching: { batchSize: 8, sourceEos: true },
    }) as never,
    optimizer: new Adam(built.model.parameters(), { lr: 0.01 }),
    config: { ...base, task: 'translate', sourceEos: true, maxDecodeLength: 12 },
    tokenizers: { source: tok, target: tok },
  }).fit();
}
