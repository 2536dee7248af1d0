import { describe, expect, it } from 'vitest';
import { ARCHITECTURES, architectureInfo, buildModel, validateConfig } from '../../src/index.js';
import { MODEL_OPTIONS, modelSettings } from '../../src/cli/model-options.js';

describe('validateConfig', () => {
  it('fills every default from the declaration, and types the result', () => {
    const config = validateConfig('transformer', { dModel: 8, nhead: 2 }, 'x.json');
    expect(config).toEqual({
      dModel: 8,
      nhead: 2,
      numEncoderLayers: 3,
      numDecoderLayers: 3,
      dimFeedforward: 1024,
      dropout: 0.1,
      normFirst: true,
      maxLen: 256,
      positions: 'sinusoidal',
      maxRelativeDistance: 16,
      normalizer: 'softmax',
      entmaxAlpha: 1.5,
    });
    const width: number = config.dModel;
    expect(width).toBe(8);
    for (const architecture of ARCHITECTURES) {
      const defaults = Object.fromEntries(
        Object.entries(architectureInfo(architecture).config).map(([k, f]) => [k, f.default]),
      );
      expect(validateConfig(architecture, {}, 'x.json')).toEqual(defaults);
    }
  });

  it('reads the classifiers’ former key embedDim under its name now, silently', () => {
    expect(validateConfig('bigru-attention', { embedDim: 6 }, 'c.json').embeddingDim).toBe(6);
    expect(validateConfig('transformer-cls', { embedDim: 8, nhead: 2 }, 'c.json').dModel).toBe(8);
  });

  it('names the source in every error: unknown key, out of range, wrong type, cross-field checks', () => {
    expect(() => validateConfig('gru-luong', { hiddenSize: 8, colour: 'red' }, 'run/config.json')).toThrow(
      'validateConfig: run/config.json: gru-luong has no hyper-parameter "colour"',
    );
    expect(() => validateConfig('gru-bahdanau', { hiddenSize: 0 }, 'run/config.json')).toThrow(
      'run/config.json: hiddenSize must be an integer in [1, 4096], got 0',
    );
    expect(() => validateConfig('gru-luong', { score: 'cosine' }, 'f')).toThrow(
      'f: score must be one of dot, general, concat, location, got "cosine"',
    );
    expect(() => validateConfig('gru-luong', { score: 'dot', maxSourceLength: 50 }, 'f')).toThrow(
      'f: maxSourceLength applies to the location score only, got score dot',
    );
    expect(() => validateConfig('gru-bahdanau', { entmaxAlpha: 1.3 }, 'f')).toThrow(
      'f: entmaxAlpha applies to normalizer entmax only, got entmaxAlpha 1.3 with softmax',
    );
    expect(() => validateConfig('gru-luong', { normalizer: 'entmax', entmaxAlpha: 1 }, 'f')).toThrow(
      'f: entmaxAlpha must be a number in [1.001, 10], got 1',
    );
    expect(() => validateConfig('transformer', { normFirst: 1 }, 'f')).toThrow(
      'f: normFirst must be true or false, got 1',
    );
    expect(() => validateConfig('transformer', { dModel: 10, nhead: 4 }, 'f')).toThrow(
      'f: nhead 4 must divide the model width 10 (dModel)',
    );
    expect(() => validateConfig('gru-luong', { score: 'dot', bidirectional: true }, 'f')).toThrow(
      'f: the dot score needs a unidirectional encoder',
    );
    expect(() => validateConfig('gru-bahdanau', [1], 'f')).toThrow(
      'f: the gru-bahdanau config must be an object',
    );
    expect(() => validateConfig('lstm' as never, {}, 'f')).toThrow('f: unknown architecture "lstm"');
  });

  it('builds each architecture from its config', () => {
    const sizes = { srcVocabSize: 7, tgtVocabSize: 9, vocabSize: 7, numClasses: 3 };
    const small = {
      'gru-bahdanau': { embeddingDim: 4, hiddenSize: 4 },
      'gru-luong': { embeddingDim: 4, hiddenSize: 4 },
      transformer: { dModel: 4, nhead: 2, dimFeedforward: 4, numEncoderLayers: 1, numDecoderLayers: 1 },
      'bigru-attention': { embeddingDim: 4, hiddenSize: 4 },
      'transformer-cls': { dModel: 4, nhead: 2, dimFeedforward: 4, numLayers: 1 },
    } as const;
    for (const architecture of ARCHITECTURES) {
      const built = buildModel(architecture, small[architecture], sizes);
      expect(built.task).toBe(architectureInfo(architecture).task);
    }
    expect(() => buildModel('transformer', { dModel: 4, nhead: 2 }, { srcVocabSize: 7 })).toThrow(
      'buildModel: tgtVocabSize must be a positive integer, got undefined',
    );
  });
});

describe('attn train flags from the config declarations', () => {
  const keys = (flag: string) => MODEL_OPTIONS.find((o) => o.name === flag)?.keys;

  it('keeps the flags users know, each setting the declared keys', () => {
    expect(keys('embedding-dim')).toEqual({
      'gru-bahdanau': ['embeddingDim'],
      'gru-luong': ['embeddingDim'],
      'bigru-attention': ['embeddingDim'],
    });
    expect(keys('d-model')).toEqual({ transformer: ['dModel'], 'transformer-cls': ['dModel'] });
    expect(keys('heads')).toEqual({ transformer: ['nhead'], 'transformer-cls': ['nhead'] });
    expect(keys('layers')?.transformer).toEqual(['numEncoderLayers', 'numDecoderLayers']);
    expect(MODEL_OPTIONS.map((o) => o.name).sort()).toEqual(
      [
        'attention-units',
        'bidirectional',
        'd-model',
        'decoder-layers',
        'dropout',
        'embedding-dim',
        'encoder-layers',
        'entmax-alpha',
        'ff-dim',
        'heads',
        'hidden-size',
        'layers',
        'max-len',
        'max-relative-distance',
        'max-source-length',
        'no-input-feeding',
        'normalizer',
        'positions',
        'post-norm',
        'score',
      ].sort(),
    );
  });

  it('turns flags into config values; a switch sets the value that is not the default', () => {
    expect(modelSettings({ layers: '2', 'post-norm': true, heads: '2' }, 'transformer')).toEqual({
      numEncoderLayers: 2,
      numDecoderLayers: 2,
      normFirst: false,
      nhead: 2,
    });
    expect(modelSettings({ 'no-input-feeding': true, bidirectional: true }, 'gru-luong')).toEqual({
      inputFeeding: false,
      bidirectional: true,
    });
    expect(() => modelSettings({ heads: '2' }, 'gru-bahdanau')).toThrow(
      '--heads does not apply to --arch gru-bahdanau (only to transformer, transformer-cls)',
    );
    expect(() => modelSettings({ 'd-model': '0' }, 'transformer-cls')).toThrow(
      "--d-model must be an integer in [1, 4096], got '0'",
    );
  });
});
