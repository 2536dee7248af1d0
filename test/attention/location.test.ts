// Luong's location score, a_t = softmax(W_a h_t): the layer against its formula, its errors and gradients, and
// gru-luong with --score location (built from its config, saved and rebuilt) beside the normalisers of the RNN
// seq2seq models.
import { describe, expect, it } from 'vitest';
import {
  type AttentionClassifier,
  BahdanauSeq2Seq,
  buildModel,
  Generator,
  LocationAttention,
  LuongDecoder,
  LuongSeq2Seq,
  luongAttention,
  paddingMaskFromLengths,
  teacherForcedFused,
  Tensor,
  TransformerDecoderLayer,
  TransformerEncoderLayer,
  validateConfig,
} from '../../src/index.js';
import { checkParameterGradients, cube, entmaxRow, expectValues, input, softmaxRow } from './reference.js';

const B = 2;
const TQ = 3;
const DQ = 4;

/** e[b][i][j] = Σ_d W[j][d] q[b][i][d] for j < tk, by hand; -∞ where blocked. */
function handScores(
  layer: LocationAttention,
  query: Tensor,
  tk: number,
  blocked: (b: number, j: number) => boolean,
) {
  const w = layer.W.weight.toArray() as number[][];
  return cube(query).map((qb, b) =>
    qb.map((qi) =>
      Array.from({ length: tk }, (_, j) =>
        blocked(b, j) ? -Infinity : w[j]!.reduce((s, x, d) => s + x * qi[d]!, 0),
      ),
    ),
  );
}

describe('LocationAttention', () => {
  it('scores the first Tk positions of W_a h_t, masks padding, and mixes the values', () => {
    const layer = new LocationAttention(DQ, 6, 8, { generator: new Generator(1) });
    expect(layer.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([['W.weight', [8, DQ]]]);
    for (const tk of [5, 8]) {
      const query = input([B, TQ, DQ], 2);
      const keys = input([B, tk, 6], 3);
      const values = input([B, tk, 3], 4);
      const keyPaddingMask = paddingMaskFromLengths([tk, 2], tk);
      const r = layer.forward(query, keys, values, { keyPaddingMask });
      const weights = handScores(layer, query, tk, (b, j) => b === 1 && j >= 2).map((sb) =>
        sb.map(softmaxRow),
      );
      expectValues(r.weights, weights, `weights, ${tk} keys`);
      const v = cube(values);
      const context = weights.map((wb, b) =>
        wb.map((wi) => [0, 1, 2].map((d) => wi.reduce((s, x, j) => s + x * v[b]![j]![d]!, 0))),
      );
      expectValues(r.context, context, `context, ${tk} keys`);
      // The keys are only counted: other keys, the same weights.
      const other = layer.forward(query, input([B, tk, 6], 5), values, { keyPaddingMask });
      expect(Array.from(other.weights.data)).toEqual(Array.from(r.weights.data));
    }
  });

  it('takes any normaliser and a local window', () => {
    const layer = new LocationAttention(DQ, DQ, 6, {
      normalizer: 'entmax',
      alpha: 1.4,
      window: { kind: 'local-m', halfWidth: 1 },
      generator: new Generator(6),
    });
    const query = input([B, TQ, DQ], 7, 2);
    const keys = input([B, 5, DQ], 8);
    const r = layer.forward(query, keys);
    const scores = handScores(layer, query, 5, () => false).map((sb) =>
      sb.map((row, i) =>
        entmaxRow(
          row.map((e, j) => (Math.abs(j - i) > 1 ? -Infinity : e)),
          1.4,
        ),
      ),
    );
    expectValues(r.weights, scores, 'weights');
  });

  it('its gradients match finite differences, with padding and fewer keys than positions', () => {
    const layer = new LocationAttention(DQ, 5, 7, { generator: new Generator(9) });
    const query = input([B, TQ, DQ], 10);
    const keys = input([B, 5, 5], 11);
    const keyPaddingMask = paddingMaskFromLengths([5, 3], 5);
    checkParameterGradients(layer, () => {
      const r = layer.forward(query, keys, keys, { keyPaddingMask });
      return [r.context, r.weights];
    });
  });

  it('rejects a source longer than maxSourceLength, naming both lengths, and a bad maxSourceLength', () => {
    const layer = new LocationAttention(DQ, DQ, 4);
    const keys = input([B, 6, DQ], 12);
    expect(() => layer.forward(input([B, DQ], 13), keys)).toThrow(
      'LocationAttention: the source has 6 positions, more than maxSourceLength 4',
    );
    expect(() => new LocationAttention(DQ, DQ, 0)).toThrow(
      'LocationAttention: maxSourceLength must be a positive integer, got 0',
    );
  });

  it("is luongAttention('location'), which needs maxSourceLength; the other scores refuse it", () => {
    expect(luongAttention('location', DQ, { maxSourceLength: 9 })).toBeInstanceOf(LocationAttention);
    expect(() => luongAttention('location', DQ)).toThrow("the 'location' score needs maxSourceLength");
    expect(() => luongAttention('general', DQ, { maxSourceLength: 9 })).toThrow(
      "luongAttention: maxSourceLength applies to the 'location' score only, got score 'general'",
    );
    const decoder = { vocabSize: 9, embeddingDim: 4, hiddenSize: 6, encoderDim: 6 };
    expect(() => new LuongDecoder({ ...decoder, score: 'location' })).toThrow(
      "LuongDecoder: the 'location' score needs maxSourceLength",
    );
    expect(() => new LuongDecoder({ ...decoder, score: 'dot', maxSourceLength: 5 })).toThrow(
      "LuongDecoder: maxSourceLength applies to the 'location' score only",
    );
  });
});

describe('gru-luong with the location score, and the normalisers of the models', () => {
  const src = new Tensor(Int32Array.from([3, 4, 5, 6, 7, 8, 9, 0, 0, 0]), [2, 5], 'int32');
  const lengths = [5, 2];
  const tgtIn = new Tensor(Int32Array.from([1, 5, 6, 1, 9, 8]), [2, 3], 'int32');
  const tgtOut = new Tensor(Int32Array.from([5, 6, 2, 9, 8, 2]), [2, 3], 'int32');
  const sizes = { srcVocabSize: 12, tgtVocabSize: 12 };

  it('builds from its config, keeps maxSourceLength there, and rebuilds to the same losses and weights', () => {
    const given = {
      embeddingDim: 6,
      hiddenSize: 8,
      score: 'location',
      maxSourceLength: 7,
      normalizer: 'sparsemax',
    };
    const config = validateConfig('gru-luong', given, 'test');
    expect(config).toMatchObject(given);
    const model = buildModel('gru-luong', config, sizes, new Generator(1)).model as LuongSeq2Seq;
    expect(model.stateDict().get('attn.W.weight')!.shape).toEqual([7, 8]);
    model.eval();
    const a = model.loss(src, lengths, tgtIn, tgtOut);
    // A checkpoint holds the config as JSON and the state dict: rebuild from both.
    const saved = validateConfig('gru-luong', JSON.parse(JSON.stringify(config)) as object, 'config.json');
    const again = buildModel('gru-luong', saved, sizes, new Generator(99)).model as LuongSeq2Seq;
    again.loadStateDict(model.stateDict());
    again.eval();
    const b = again.loss(src, lengths, tgtIn, tgtOut);
    expect(Array.from(b.loss.data)).toEqual(Array.from(a.loss.data));
    expect(Array.from(b.weights.data)).toEqual(Array.from(a.weights.data));
    expect(Array.from(a.weights.data).filter((x) => x === 0).length).toBeGreaterThan(3 * 3); // sparsemax + padding
    const long = new Tensor(new Int32Array(8).fill(3), [1, 8], 'int32');
    expect(() => model.loss(long, [8], tgtIn.slice(0, 0, 1), tgtOut.slice(0, 0, 1))).toThrow(
      'LocationAttention: the source has 8 positions, more than maxSourceLength 7',
    );
  });

  it('gru-bahdanau with an entmax normaliser takes the step loop (the fused op is softmax only)', () => {
    const model = new BahdanauSeq2Seq({
      srcVocabSize: 12,
      embeddingDim: 6,
      hiddenSize: 8,
      dropout: 0,
      padId: 0,
      normalizer: 'entmax',
      entmaxAlpha: 1.3,
      generator: new Generator(2),
    });
    expect(model.decoder.attention.normalizer).toBe('entmax');
    const enc = model.encode(src, lengths);
    const state = model.decoder.init(enc.memory, enc.initial, enc.paddingMask);
    expect(teacherForcedFused(model.decoder, tgtIn, state)).toBeNull();
    const { loss, weights } = model.loss(src, lengths, tgtIn, tgtOut);
    const w = Array.from(weights.data);
    for (let t = 0; t < 3; t++) expect(w.slice((3 + t) * 5 + 2, (3 + t) * 5 + 5)).toEqual([0, 0, 0]);
    loss.backward();
    for (const [name, p] of model.namedParameters()) expect(p.grad, name).not.toBeNull();
  });

  it('the classifiers take the normaliser for their attention pooling from their config', () => {
    const ids = new Tensor(Int32Array.from([3, 4, 5, 6, 3, 5, 0, 0]), [2, 4], 'int32');
    const sizes = { vocabSize: 7, numClasses: 3 };
    for (const [architecture, given] of [
      ['bigru-attention', { embeddingDim: 4, hiddenSize: 4, normalizer: 'sparsemax' }],
      [
        'transformer-cls',
        { dModel: 4, nhead: 2, dimFeedforward: 4, numLayers: 1, normalizer: 'entmax', entmaxAlpha: 1.3 },
      ],
    ] as const) {
      const built = buildModel(
        architecture,
        validateConfig(architecture, given, 'test'),
        sizes,
        new Generator(3),
      );
      const model = built.model as AttentionClassifier;
      expect(model.pooling.normalizer).toBe(given.normalizer);
      model.eval();
      const { weights } = model.forward(ids);
      expect(Array.from(weights.data.subarray(6))).toEqual([0, 0]);
      for (const row of [0, 1]) {
        const w = Array.from(weights.data.subarray(row * 4, row * 4 + 4));
        expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      }
    }
    expect(() => validateConfig('bigru-attention', { entmaxAlpha: 1.3 }, 'f')).toThrow(
      'f: entmaxAlpha applies to normalizer entmax only, got entmaxAlpha 1.3 with softmax',
    );
  });

  it('rejects entmaxAlpha without the entmax normaliser', () => {
    expect(
      () => new LuongSeq2Seq({ srcVocabSize: 12, embeddingDim: 4, hiddenSize: 4, entmaxAlpha: 1.3 }),
    ).toThrow("LuongSeq2Seq: entmaxAlpha applies to normalizer 'entmax' only, got normalizer 'softmax'");
  });
});

describe('Transformer layers with another normaliser', () => {
  it('hand it to every attention block, which then runs the readable path', () => {
    const x = input([2, 4, 8], 30);
    const layer = new TransformerDecoderLayer({
      dModel: 8,
      nhead: 2,
      dimFeedforward: 8,
      batchFirst: true,
      dropout: 0,
      normalizer: 'entmax',
      alpha: 1.7,
      generator: new Generator(31),
    });
    expect([layer.selfAttn.normalizer, layer.multiheadAttn.normalizer]).toEqual(['entmax', 'entmax']);
    expect(layer.selfAttn.alpha).toBe(1.7);
    const softmax = new TransformerEncoderLayer({ dModel: 8, nhead: 2, dimFeedforward: 8, batchFirst: true });
    expect(softmax.selfAttn.normalizer).toBe('softmax');
    const y = layer.forward(x, x);
    expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
    expect(
      () => new TransformerEncoderLayer({ dModel: 8, nhead: 2, normalizer: 'sparsemax', alpha: 2 }),
    ).toThrow("TransformerEncoderLayer: alpha applies to the 'entmax' normaliser only");
  });
});
