import { describe, expect, it } from 'vitest';
import {
  buildModel,
  validateConfig,
  type Architecture,
  type ConfigValue,
  type ModelSizes,
} from '../../src/index.js';
import { estimateModelBytes, estimateParameterCount, formatBytes } from '../../src/models/memory-estimate.js';

const translate = { srcVocabSize: 30, tgtVocabSize: 40 };
const classify = { vocabSize: 30, numClasses: 3 };
const CASES: [Architecture, Record<string, ConfigValue>, ModelSizes][] = [
  ['gru-bahdanau', { embeddingDim: 8, hiddenSize: 16 }, translate],
  [
    'gru-bahdanau',
    { embeddingDim: 8, hiddenSize: 16, numLayers: 2, bidirectional: true, attentionUnits: 5 },
    translate,
  ],
  [
    'gru-luong',
    { embeddingDim: 8, hiddenSize: 16, numLayers: 2, bidirectional: true, score: 'concat' },
    translate,
  ],
  ['gru-luong', { embeddingDim: 8, hiddenSize: 16, score: 'dot', inputFeeding: false }, translate],
  ['gru-luong', { embeddingDim: 12, hiddenSize: 8, score: 'general' }, translate],
  ['gru-luong', { embeddingDim: 12, hiddenSize: 8, score: 'location', maxSourceLength: 300 }, translate],
  [
    'transformer',
    { dModel: 16, nhead: 2, numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 24, maxLen: 10 },
    translate,
  ],
  ['bigru-attention', { embeddingDim: 8, hiddenSize: 16, numLayers: 2 }, classify],
  ['bigru-attention', { embeddingDim: 8, hiddenSize: 4, attentionUnits: 7 }, classify],
  ['transformer-cls', { dModel: 16, nhead: 2, numLayers: 2, dimFeedforward: 24, maxLen: 10 }, classify],
  [
    'transformer',
    { dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 2, maxLen: 64, positions: 'learned' },
    translate,
  ],
  [
    'transformer',
    { dModel: 8, nhead: 2, dimFeedforward: 8, maxRelativeDistance: 64, positions: 'relative' },
    translate,
  ],
  ['transformer-cls', { dModel: 8, nhead: 2, maxLen: 256, positions: 'learned' }, classify],
  ['transformer-cls', { dModel: 8, nhead: 2, maxRelativeDistance: 100, positions: 'relative' }, classify],
];

describe('estimateParameterCount', () => {
  it.each(CASES)('%s %j: at least the real count and at most 1.5 times it', (architecture, given, sizes) => {
    const hyper = validateConfig(architecture, given, 'test');
    let real = 0;
    for (const t of buildModel(architecture, hyper, sizes).model.stateDict().values()) real += t.size;
    const estimate = estimateParameterCount(architecture, hyper, sizes);
    expect(estimate).toBeGreaterThanOrEqual(real);
    expect(estimate).toBeLessThanOrEqual(1.5 * real);
  });

  it('sees tens of GB in in-range options without allocating them', () => {
    const hyper = validateConfig(
      'gru-bahdanau',
      {
        embeddingDim: 4096,
        hiddenSize: 4096,
        numLayers: 8,
        bidirectional: true,
      },
      'test',
    );
    const parameters = estimateParameterCount('gru-bahdanau', hyper, translate);
    expect(estimateModelBytes(parameters, 'training')).toBeGreaterThan(20e9);
    expect(formatBytes(estimateModelBytes(parameters, 'inference'))).toMatch(/^\d+\.\d GB$/);
  });
});
