// Checkpoints of every architecture in the variants the PyTorch export must reproduce (uni- and bidirectional
// encoders, stacked layers, every Luong score, pre- and post-norm Transformers), trained two steps through the
// library and written by the trainer as `attn train` writes them.
import { reversalTask, type Architecture } from '../../src/node.js';
import { trainedCheckpoint } from '../serve/checkpoints.js';

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
  await trainedCheckpoint(c.architecture, c.model, dir, seed, 2);
}
