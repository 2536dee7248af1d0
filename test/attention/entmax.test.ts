// The entmax normalisers ('entmax15', exact; 'entmax', α-entmax by bisection) through every attention layer:
// the weights match α-entmax of the hand scores, masked keys get exactly 0, MultiHeadAttention takes the
// readable path for them (its softmax path is untouched), and α is checked everywhere it is taken.
import { describe, expect, it } from 'vitest';
import {
  AdditiveAttention,
  AttentionPooling,
  ConcatAttention,
  DotAttention,
  entmax15,
  GeneralAttention,
  Generator,
  linear,
  luongAttention,
  MultiHeadAttention,
  normalize,
  paddingMaskFromLengths,
  permute,
  reshape,
  ScaledDotAttention,
  scaledDotProductAttention,
  slice,
  sparsemax,
  tensor,
  Tensor,
  type Attention,
  type AttentionOptions,
} from '../../src/index.js';
import {
  checkParameterGradients,
  cube,
  entmaxRow,
  expectValues,
  handAttention,
  input,
  scoreFnOf,
} from './reference.js';

const B = 2;
const TQ = 3;
const TK = 5;
const DV = 3;

const NORMALISERS: { label: string; options: AttentionOptions; alpha: number }[] = [
  { label: 'entmax15', options: { normalizer: 'entmax15' }, alpha: 1.5 },
  { label: 'entmax α = 1.3', options: { normalizer: 'entmax', alpha: 1.3 }, alpha: 1.3 },
  { label: 'entmax α = 3', options: { normalizer: 'entmax', alpha: 3 }, alpha: 3 },
];

const LAYERS: { label: string; make: (o: AttentionOptions) => Attention }[] = [
  { label: 'DotAttention', make: (o) => new DotAttention(4, o) },
  { label: 'ScaledDotAttention', make: (o) => new ScaledDotAttention(4, o) },
  { label: 'GeneralAttention', make: (o) => new GeneralAttention(4, 4, o) },
  { label: 'AdditiveAttention', make: (o) => new AdditiveAttention(4, 4, 5, o) },
  { label: 'ConcatAttention', make: (o) => new ConcatAttention(4, 4, 5, o) },
  { label: "luongAttention('general')", make: (o) => luongAttention('general', 4, o) },
];

function data(seed: number) {
  return {
    query: input([B, TQ, 4], seed, 1.5),
    keys: input([B, TK, 4], seed + 1, 1.5),
    values: input([B, TK, DV], seed + 2),
  };
}

const rowSums = (w: Tensor): number[] => {
  const n = w.shape.at(-1)!;
  return Array.from({ length: w.size / n }, (_, r) =>
    Array.from(w.data.subarray(r * n, (r + 1) * n)).reduce((a, b) => a + b, 0),
  );
};

describe('normalize: entmax15 and entmax', () => {
  const x = tensor([
    [1.2, 0.3, -2.5, 0.9],
    [0.1, -Infinity, 0.05, -0.02],
  ]);

  it('are the ops: entmax15 exact, entmax at α = 2 sparsemax, 1.5 by default', () => {
    expect(Array.from(normalize('entmax15', x).data)).toEqual(Array.from(entmax15(x).data));
    const bisected = normalize('entmax', x).data;
    entmax15(x).data.forEach((v, i) => expect(Math.abs(v - bisected[i]!)).toBeLessThan(1e-6));
    const two = normalize('entmax', x, { alpha: 2 }).data;
    sparsemax(x).data.forEach((v, i) => expect(Math.abs(v - two[i]!)).toBeLessThan(1e-6));
    expect(normalize('entmax', x, { alpha: 1.2 }).data[5]).toBe(0);
  });

  it('rejects α ≤ 1, a non-finite α, and α with another normaliser', () => {
    for (const alpha of [1, 0, Number.NaN, Infinity])
      expect(() => normalize('entmax', x, { alpha })).toThrow(
        /normalize: alpha must be a finite number greater than 1/,
      );
    expect(() => normalize('softmax', x, { alpha: 1.5 })).toThrow(
      /normalize: alpha applies to the 'entmax' normaliser only, got alpha 1.5 with 'softmax'/,
    );
  });
});

describe.each(NORMALISERS)('$label through the layers', ({ options, alpha }) => {
  it.each(LAYERS)('$label: α-entmax of the hand scores, exact zeros at padding', ({ make }) => {
    const layer = make({ ...options, generator: new Generator(3) });
    const { query, keys, values } = data(4);
    const keyPaddingMask = paddingMaskFromLengths([5, 3]);
    const blocked = (b: number, _i: number, j: number) => b === 1 && j >= 3;
    const r = layer.forward(query, keys, values, { keyPaddingMask });
    const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values), {
      blocked,
      normalise: (e) => entmaxRow(e, alpha),
    });
    expectValues(r.weights, hand.weights, 'weights');
    expectValues(r.context, hand.context, 'context');
    for (let i = 0; i < TQ; i++) expect(cube(r.weights)[1]![i]!.slice(3)).toEqual([0, 0]);
    for (const s of rowSums(r.weights)) expect(s).toBeCloseTo(1, 6);
  });

  it('local-m and local-p windows: exact zeros outside the window', () => {
    for (const kind of ['local-m', 'local-p'] as const) {
      const layer = new GeneralAttention(4, 4, { ...options, window: { kind, halfWidth: 1 } });
      const { query, keys, values } = data(5);
      const r = layer.forward(query, keys, values);
      const w = cube(r.weights);
      const p = cube(reshape(r.positions!, [B, TQ, 1]));
      w.forEach((wb, b) =>
        wb.forEach((wi, i) =>
          wi.forEach((x, j) => {
            if (Math.abs(j - p[b]![i]![0]!) > 1) expect(x, `${kind} [${b}, ${i}, ${j}]`).toBe(0);
          }),
        ),
      );
      if (kind === 'local-m') for (const s of rowSums(r.weights)) expect(s).toBeCloseTo(1, 6);
    }
  });

  it('AttentionPooling: α-entmax of its scores, 0 at padding', () => {
    const pool = new AttentionPooling(4, 6, { ...options, generator: new Generator(6) });
    const h = input([B, TK, 4], 7, 2);
    const mask = paddingMaskFromLengths([5, 2]);
    const r = pool.forward(h, mask);
    const scores = pool.v.forward(pool.W.forward(h).tanh()).data;
    const want = [0, 1].map((b) =>
      entmaxRow(
        Array.from({ length: TK }, (_, j) => (b === 1 && j >= 2 ? -Infinity : scores[b * TK + j]!)),
        alpha,
      ),
    );
    expectValues(r.weights, want, 'weights');
    expect(Array.from(r.weights.data.subarray(TK + 2))).toEqual([0, 0, 0]);
  });

  it('the gradients of a layer with it match finite differences', () => {
    const layer = new AdditiveAttention(4, 4, 5, { ...options, generator: new Generator(8) });
    const { query, keys, values } = data(9);
    const keyPaddingMask = paddingMaskFromLengths([4, 5]);
    checkParameterGradients(
      layer,
      () => {
        const r = layer.forward(query, keys, values, { keyPaddingMask });
        return [r.context, r.weights];
      },
      { atol: 2e-3 },
    );
  });
});

describe('scaledDotProductAttention and MultiHeadAttention with entmax', () => {
  it('scaledDotProductAttention: α-entmax of q·kᵀ/√d under masks', () => {
    const q = input([B, TQ, 4], 10, 2);
    const k = input([B, TK, 4], 11, 2);
    const v = input([B, TK, DV], 12);
    const keyPaddingMask = paddingMaskFromLengths([5, 4]);
    const r = scaledDotProductAttention(q, k, v, {
      keyPaddingMask,
      causal: true,
      normalizer: 'entmax',
      alpha: 1.7,
      needWeights: false,
    });
    const blocked = (b: number, i: number, j: number) => (b === 1 && j >= 4) || j > i;
    const hand = handAttention(
      (a, c) => a.reduce((s, x, i) => s + x * c[i]!, 0) / 2,
      cube(q),
      cube(k),
      cube(v),
      { blocked, normalise: (e) => entmaxRow(e, 1.7) },
    );
    expectValues(r.output, hand.context, 'output');
  });

  const E = 8;
  const H = 2;
  const L = 3;
  const S = 4;

  /** Per-head weights [B, H, L, S] by hand: q, k from the layer's projections, then α-entmax of q·kᵀ/√d. */
  function handWeights(mha: MultiHeadAttention, query: Tensor, key: Tensor, alpha: number, pad: number[]) {
    const [wq, wk] = mha.projectionWeights();
    const heads = (x: Tensor, w: Tensor, i: number) =>
      permute(
        reshape(linear(x, w, slice(mha.inProjBias!, 0, i * E, (i + 1) * E)), [B, x.shape[1]!, H, E / H]),
        [0, 2, 1, 3],
      );
    const q = heads(query, wq, 0).toArray() as number[][][][];
    const k = heads(key, wk, 1).toArray() as number[][][][];
    const d = E / H;
    return q.map((qb, b) =>
      qb.map((qh, h) =>
        qh.map((qi) =>
          entmaxRow(
            k[b]![h]!.map((kj, j) =>
              j >= pad[b]! ? -Infinity : kj.reduce((s, x, c) => s + x * qi[c]!, 0) / Math.sqrt(d),
            ),
            alpha,
          ),
        ),
      ),
    );
  }

  it('self and cross attention: per-head α-entmax weights, zeros at padding, the readable path', () => {
    for (const [normalizer, alpha] of [
      ['entmax15', 1.5],
      ['entmax', 1.25],
    ] as const) {
      const mha = new MultiHeadAttention({
        embedDim: E,
        numHeads: H,
        batchFirst: true,
        normalizer,
        ...(normalizer === 'entmax' ? { alpha } : {}),
        generator: new Generator(13),
      });
      for (let i = 0; i < mha.inProjBias!.size; i++) mha.inProjBias!.data[i] = 0.01 * i;
      const x = input([B, S, E], 14, 2);
      const memory = input([B, S, E], 15, 2);
      const keyPaddingMask = paddingMaskFromLengths([4, 2]);
      // Self-attention (query = key = value) and cross-attention over a memory.
      for (const [query, key] of [
        [x, x],
        [slice(x, 1, 0, L), memory],
      ] as const) {
        const r = mha.forward(query, key, key, { keyPaddingMask, averageAttnWeights: false });
        expectValues(r.weights!, handWeights(mha, query, key, alpha, [4, 2]), `${normalizer} weights`);
        expect(r.weights!.shape).toEqual([B, H, query.shape[1], S]);
        for (const s of rowSums(r.weights!)) expect(s).toBeCloseTo(1, 6);
        // needWeights false would take the fused kernel with softmax; here it takes the readable path.
        const bare = mha.forward(query, key, key, { keyPaddingMask, needWeights: false });
        expect(Array.from(bare.output.data)).toEqual(Array.from(r.output.data));
      }
    }
  });

  it('softmax named explicitly gives the default layer’s bits', () => {
    const make = (extra: object) =>
      new MultiHeadAttention({
        embedDim: E,
        numHeads: H,
        batchFirst: true,
        generator: new Generator(16),
        ...extra,
      });
    const x = input([B, S, E], 17);
    const a = make({}).forward(x, x, x, { needWeights: false }).output;
    const b = make({ normalizer: 'softmax' }).forward(x, x, x, { needWeights: false }).output;
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  it('incremental decoding with a cache gives the full causal forward, step by step', () => {
    const mha = new MultiHeadAttention({
      embedDim: E,
      numHeads: H,
      batchFirst: true,
      normalizer: 'entmax',
      alpha: 1.6,
      generator: new Generator(18),
    });
    const x = input([B, S, E], 19, 2);
    const full = mha.forward(x, x, x, { isCausal: true, needWeights: false }).output;
    let cache = mha.emptyCache();
    for (let t = 0; t < S; t++) {
      const xt = slice(x, 1, t, t + 1);
      const r = mha.forward(xt, xt, xt, { cache, needWeights: false });
      cache = r.cache!;
      expectValues(r.output, slice(full, 1, t, t + 1).toArray() as unknown[], `step ${t}`, 1e-6, 1e-5);
    }
  });

  it('rejects a bad normaliser or α, naming the layer', () => {
    expect(
      () => new MultiHeadAttention({ embedDim: E, numHeads: H, normalizer: 'entmax', alpha: 1 }),
    ).toThrow(/MultiHeadAttention: alpha must be a finite number greater than 1, got 1/);
    expect(() => new MultiHeadAttention({ embedDim: E, numHeads: H, alpha: 1.5 })).toThrow(
      /MultiHeadAttention: alpha applies to the 'entmax' normaliser only/,
    );
    expect(() => new DotAttention(4, { normalizer: 'entmax', alpha: Number.NaN })).toThrow(
      /DotAttention: alpha must be a finite number greater than 1, got NaN/,
    );
    expect(() => new AttentionPooling(4, 4, { normalizer: 'sparsemax', alpha: 2 })).toThrow(
      /AttentionPooling: alpha applies to the 'entmax' normaliser only/,
    );
    const x = input([B, TQ, 4], 20);
    expect(() => scaledDotProductAttention(x, x, x, { normalizer: 'entmax', alpha: 0.5 })).toThrow(
      /scaledDotProductAttention: alpha must be a finite number greater than 1/,
    );
    expect(() => new GeneralAttention(4, 4, { normalizer: 'maxout' as 'softmax' })).toThrow(
      /GeneralAttention: unknown normaliser 'maxout'/,
    );
  });
});
