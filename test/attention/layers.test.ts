import { describe, expect, it } from 'vitest';
import {
  AdditiveAttention,
  AttnError,
  BahdanauAttention,
  BilinearAttention,
  ConcatAttention,
  DotAttention,
  GeneralAttention,
  Generator,
  luongAttention,
  mean,
  noGrad,
  randn,
  ScaledDotAttention,
  slice,
  square,
  squeeze,
  sub,
  sum,
  mul,
  add,
  Tensor,
  zeros,
  type Attention,
  type AttentionOptions,
  type LuongScore,
} from '../../src/index.js';
import { gradcheck } from '../helpers/gradcheck.js';
import {
  checkParameterGradients,
  contextOf,
  cube,
  expectValues,
  gumbelRow,
  handAttention,
  input,
  mat,
  rowOf,
  scoreFnOf,
  softmaxRow,
  sparsemaxRow,
} from './reference.js';

interface LayerCase {
  label: string;
  make: (options?: AttentionOptions) => Attention;
  type: abstract new (...args: never[]) => Attention;
  dq: number;
  dk: number;
  params: [string, number[]][];
}

const CASES: LayerCase[] = [
  {
    label: 'DotAttention',
    make: (o) => new DotAttention(4, o),
    type: DotAttention,
    dq: 4,
    dk: 4,
    params: [],
  },
  {
    label: 'ScaledDotAttention',
    make: (o) => new ScaledDotAttention(4, o),
    type: ScaledDotAttention,
    dq: 4,
    dk: 4,
    params: [],
  },
  {
    label: 'ScaledDotAttention (scale 0.7)',
    make: (o) => new ScaledDotAttention(4, { ...o, scale: 0.7 }),
    type: ScaledDotAttention,
    dq: 4,
    dk: 4,
    params: [],
  },
  {
    label: 'GeneralAttention',
    make: (o) => new GeneralAttention(3, 5, o),
    type: GeneralAttention,
    dq: 3,
    dk: 5,
    params: [['W.weight', [3, 5]]],
  },
  {
    label: 'AdditiveAttention',
    make: (o) => new AdditiveAttention(3, 5, 6, o),
    type: AdditiveAttention,
    dq: 3,
    dk: 5,
    params: [
      ['W1.weight', [6, 5]],
      ['W1.bias', [6]],
      ['W2.weight', [6, 3]],
      ['W2.bias', [6]],
      ['V.weight', [1, 6]],
      ['V.bias', [1]],
    ],
  },
  {
    label: 'ConcatAttention',
    make: (o) => new ConcatAttention(3, 5, 6, o),
    type: ConcatAttention,
    dq: 3,
    dk: 5,
    params: [
      ['W.weight', [6, 8]],
      ['W.bias', [6]],
      ['v.weight', [1, 6]],
    ],
  },
  {
    label: "luongAttention('dot')",
    make: (o) => luongAttention('dot', 4, o),
    type: DotAttention,
    dq: 4,
    dk: 4,
    params: [],
  },
  {
    label: "luongAttention('general')",
    make: (o) => luongAttention('general', 4, o),
    type: GeneralAttention,
    dq: 4,
    dk: 4,
    params: [['W.weight', [4, 4]]],
  },
  {
    label: "luongAttention('concat')",
    make: (o) => luongAttention('concat', 4, o),
    type: ConcatAttention,
    dq: 4,
    dk: 4,
    params: [
      ['W.weight', [4, 8]],
      ['W.bias', [4]],
      ['v.weight', [1, 4]],
    ],
  },
];

const dotScore = scoreFnOf(new DotAttention(4));

const B = 2;
const TQ = 3;
const TK = 4;
const DV = 3;

function setup(c: LayerCase, seed = 1) {
  const layer = c.make({ generator: new Generator(seed) });
  return {
    layer,
    query: input([B, TQ, c.dq], seed + 10, 0.8),
    keys: input([B, TK, c.dk], seed + 11, 0.8),
    values: input([B, TK, DV], seed + 12),
  };
}

/** Query i of a sequence [B, Tq, d] as one decoder step [B, d]. */
const step = (query: Tensor, i: number): Tensor => squeeze(slice(query, 1, i, i + 1), 1);

const rowSums = (w: Tensor): number[] => {
  const rows = w.toArray() as unknown[];
  return (rows.flat(w.ndim - 2) as number[][]).map((r) => r.reduce((a, b) => a + b, 0));
};

describe('attention layers: aliases and defaults', () => {
  it('exports the classic names of the same classes', () => {
    expect(BahdanauAttention).toBe(AdditiveAttention);
    expect(BilinearAttention).toBe(GeneralAttention);
  });

  it('scales by 1/√d by default', () => {
    expect(new ScaledDotAttention(4).scale).toBe(0.5);
    expect(new ScaledDotAttention(9).scale).toBeCloseTo(1 / 3, 12);
    expect(new ScaledDotAttention(4, { scale: 0.7 }).scale).toBe(0.7);
  });

  it('concat and units default to the query size', () => {
    expect(new ConcatAttention(3).W.weight.shape).toEqual([3, 6]);
    expect(new GeneralAttention(3).W.weight.shape).toEqual([3, 3]);
  });

  it('starts in training mode with the softmax normaliser and global attention', () => {
    const layer = new DotAttention(4);
    expect(layer.training).toBe(true);
    expect(layer.normalizer).toBe('softmax');
    expect(layer.window).toBeNull();
    expect(layer.scoreBias).toBeNull();
  });

  it('initialises seeded parameters reproducibly', () => {
    const a = new AdditiveAttention(3, 5, 6, { generator: new Generator(4) });
    const b = new AdditiveAttention(3, 5, 6, { generator: new Generator(4) });
    const c = new AdditiveAttention(3, 5, 6, { generator: new Generator(5) });
    expect(Array.from(a.W1.weight.data)).toEqual(Array.from(b.W1.weight.data));
    expect(Array.from(a.V.bias!.data)).toEqual(Array.from(b.V.bias!.data));
    expect(Array.from(a.W1.weight.data)).not.toEqual(Array.from(c.W1.weight.data));
  });
});

describe.each(CASES)('$label', (c) => {
  it('is the right layer, with parameters named and shaped as in PyTorch', () => {
    const { layer } = setup(c);
    expect(layer).toBeInstanceOf(c.type);
    expect(layer.namedParameters().map(([n, p]) => [n, p.shape])).toEqual(c.params);
    for (const [, p] of layer.namedParameters()) expect(p.requiresGrad).toBe(true);
  });

  it('matches a hand computation of its formula for a sequence of queries', () => {
    const { layer, query, keys, values } = setup(c);
    const r = layer.forward(query, keys, values);
    expect(r.context.shape).toEqual([B, TQ, DV]);
    expect(r.weights.shape).toEqual([B, TQ, TK]);
    expect(r.positions).toBeUndefined();
    const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values));
    expectValues(r.weights, hand.weights, 'weights');
    expectValues(r.context, hand.context, 'context');
    for (const s of rowSums(r.weights)) expect(s).toBeCloseTo(1, 6);
    expectValues(r.context, contextOf(cube(r.weights), cube(values)), 'context = weights·values', 1e-6);
  });

  it('gives one decoder step [B, dq] the same result as that row of the sequence', () => {
    const { layer, query, keys, values } = setup(c);
    const seq = layer.forward(query, keys, values);
    const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values));
    for (let i = 0; i < TQ; i++) {
      const r = layer.forward(step(query, i), keys, values);
      expect(r.context.shape).toEqual([B, DV]);
      expect(r.weights.shape).toEqual([B, TK]);
      expectValues(r.weights, rowOf(seq.weights, i), `weights of step ${i}`, 1e-6, 1e-6);
      expectValues(r.context, rowOf(seq.context, i), `context of step ${i}`, 1e-6, 1e-6);
      expectValues(
        r.weights,
        hand.weights.map((wb) => wb[i]),
        `hand weights of step ${i}`,
      );
      for (const s of rowSums(r.weights)) expect(s).toBeCloseTo(1, 6);
    }
  });

  it('uses the keys as values when values are omitted', () => {
    const { layer, query, keys } = setup(c);
    const a = layer.forward(query, keys);
    const b = layer.forward(query, keys, keys);
    expect(a.context.shape).toEqual([B, TQ, c.dk]);
    expect(Array.from(a.context.data)).toEqual(Array.from(b.context.data));
    expect(Array.from(a.weights.data)).toEqual(Array.from(b.weights.data));
  });

  it('matches finite differences for query, keys and values (sequence, with padding)', () => {
    const { layer, query, keys, values } = setup(c);
    const keyPaddingMask = new Tensor(Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 0]), [B, TK], 'bool');
    gradcheck(
      (q, k, v) => {
        const r = layer.forward(q!, k!, v!, { keyPaddingMask });
        return [r.context, r.weights];
      },
      [query, keys, values],
    );
  });

  it('matches finite differences for query, keys and values (single step)', () => {
    const { layer, query, keys, values } = setup(c, 2);
    gradcheck(
      (q, k, v) => {
        const r = layer.forward(q!, k!, v!);
        return [r.context, r.weights];
      },
      [step(query, 1), keys, values],
    );
  });
});

describe.each(CASES.filter((c) => c.params.length > 0))('$label: parameters', (c) => {
  it('match finite differences (sequence and single step)', () => {
    const { layer, query, keys, values } = setup(c, 3);
    for (const q of [query, step(query, 2)]) {
      const grads = checkParameterGradients(layer, () => {
        const r = layer.forward(q, keys, values);
        return [r.context, r.weights];
      });
      expect([...grads.keys()]).toEqual(c.params.map(([n]) => n));
      for (const [name, g] of grads) {
        // V.bias shifts every score equally: softmax ignores it, its gradient is 0. The rest all matter.
        const largest = Math.max(...Array.from(g, Math.abs));
        if (name === 'V.bias') expect(largest, name).toBeLessThan(1e-5);
        else expect(largest, name).toBeGreaterThan(1e-4);
      }
    }
  });
});

describe('AdditiveAttention: projected keys', () => {
  it('scorePrepared on W1 k equals score', () => {
    const c = CASES.find((x) => x.label === 'AdditiveAttention')!;
    const { layer, query, keys } = setup(c);
    const additive = layer as AdditiveAttention;
    const a = additive.score(query, keys);
    const b = additive.scorePrepared(query, additive.prepareKeys(keys));
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(keys));
    expectValues(a, hand.scores, 'scores');
  });
});

describe('prepared keys (attendPrepared)', () => {
  it('attendPrepared on prepareKeys gives exactly forward, for every score', () => {
    for (const c of CASES) {
      const { layer, query, keys } = setup(c);
      const viaForward = layer.forward(query, keys);
      const prepared = layer.attendPrepared(query, layer.prepareKeys(keys), keys, {
        scoreWeights: layer.prepareWeights(),
      });
      expect(Array.from(prepared.weights.data), c.label).toEqual(Array.from(viaForward.weights.data));
      expect(Array.from(prepared.context.data), c.label).toEqual(Array.from(viaForward.context.data));
    }
  });

  it('rejects prepared inputs that do not fit', () => {
    const concat = new ConcatAttention(4, 4, 5, { generator: new Generator(1) });
    const keys = randn([2, 3, 4]);
    expect(() =>
      concat.attendPrepared(randn([2, 4]), concat.prepareKeys(keys), keys, { scoreWeights: [] }),
    ).toThrow(/^ConcatAttention: scoreWeights must be what prepareWeights\(\) returns/);
    const local = new GeneralAttention(4, 4, { window: { kind: 'local-p', halfWidth: 1 } });
    expect(() =>
      local.attendPrepared(randn([2, 4]), local.prepareKeys(keys), keys, { lastKeyPosition: zeros([3, 1]) }),
    ).toThrow(/^GeneralAttention: lastKeyPosition must be float32 \[2, 1\], got float32 \[3,1\]/);
    expect(() => concat.attendPrepared(randn([2, 4]), randn([2, 3]), keys)).toThrow(
      /^ConcatAttention: prepared keys must be float32 \[B, Tk, ·\], got float32 \[2,3\]/,
    );
  });
});

describe('score bias', () => {
  const data = () => ({
    query: input([B, TQ, 3], 41, 0.8),
    keys: input([B, TK, 5], 42, 0.8),
    values: input([B, TK, DV], 43),
  });

  it('scoreBias: true adds one scalar score_bias [1] that leaves softmax weights unchanged', () => {
    const layer = new AdditiveAttention(3, 5, 6, { scoreBias: true, generator: new Generator(6) });
    expect(layer.namedParameters().map(([n, p]) => [n, p.shape])[0]).toEqual(['score_bias', [1]]);
    expect(layer.scoreBias).toBe(layer.namedParameters()[0]![1]);
    expect(layer.scoreBias!.data[0]).toBe(0);
    const { query, keys, values } = data();
    const before = layer.forward(query, keys, values);
    layer.scoreBias!.data[0] = 2.5;
    const after = layer.forward(query, keys, values);
    expectValues(after.weights, cube(before.weights), 'weights', 1e-6, 1e-5);
    expectValues(after.context, cube(before.context), 'context', 1e-6, 1e-5);
    // Its gradient is (numerically) zero: a shared shift of every score.
    const R = randn(after.context.shape, { generator: new Generator(1) });
    layer.zeroGrad();
    const r = layer.forward(query, keys, values);
    add(sum(mul(r.context, R)), sum(mul(r.weights, r.weights))).backward();
    expect(Math.abs(layer.scoreBias!.grad!.data[0]!)).toBeLessThan(1e-5);
    expect(layer.W1.weight.grad!.data.some((x) => Math.abs(x) > 1e-4)).toBe(true);
  });

  it('scoreBias: N adds a per-position bias [N] that shifts the scores of key j by b_j', () => {
    const layer = new GeneralAttention(3, 5, { scoreBias: 6, generator: new Generator(7) });
    expect(layer.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['score_bias', [6]],
      ['W.weight', [3, 5]],
    ]);
    const { query, keys, values } = data();
    const plain = layer.forward(query, keys, values);
    const bias = [0.5, -1, 2, 0, 1.5, -3];
    layer.scoreBias!.data.set(bias);
    const r = layer.forward(query, keys, values);
    const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values), {
      offset: (_b, _i, j) => bias[j]!,
    });
    expectValues(r.weights, hand.weights, 'weights');
    expectValues(r.context, hand.context, 'context');
    // The weights really moved, towards key 2 and away from key 1.
    const shift = Array.from(r.weights.data, (w, k) => w - plain.weights.data[k]!);
    expect(Math.max(...shift.map(Math.abs))).toBeGreaterThan(0.05);
    const w = cube(r.weights);
    const w0 = cube(plain.weights);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < TQ; i++) {
        expect(w[b]![i]![2]! / w[b]![i]![1]!).toBeCloseTo((w0[b]![i]![2]! / w0[b]![i]![1]!) * Math.exp(3), 3);
      }
    // One decoder step uses the same bias.
    const single = layer.forward(step(query, 1), keys, values);
    expectValues(single.weights, rowOf(r.weights, 1), 'single-step weights', 1e-6, 1e-6);
    // Gradients for the bias (and every other parameter) match finite differences.
    const grads = checkParameterGradients(layer, () => {
      const out = layer.forward(query, keys, values);
      return [out.context, out.weights];
    });
    const g = grads.get('score_bias')!;
    expect(Array.from(g.slice(TK)).every((x) => x === 0)).toBe(true);
    expect(Array.from(g.slice(0, TK)).some((x) => Math.abs(x) > 1e-3)).toBe(true);
  });

  it('errors when there are more keys than bias positions', () => {
    const layer = new DotAttention(4, { scoreBias: 3 });
    expect(() => layer.forward(input([B, 4], 1), input([B, 4, 4], 2))).toThrow(
      /^DotAttention: scoreBias covers 3 key positions, got 4 keys$/,
    );
    expect(() => layer.forward(input([B, 4], 1), input([B, 3, 4], 2))).not.toThrow();
  });

  it('rejects a bias that is not true or a positive integer', () => {
    for (const bad of [0, -2, 1.5, NaN]) {
      expect(() => new DotAttention(4, { scoreBias: bad })).toThrow(
        new RegExp(`^DotAttention: scoreBias must be true or a positive integer, got ${bad}$`),
      );
    }
    expect(new DotAttention(4, { scoreBias: false }).namedParameters()).toEqual([]);
  });
});

describe('normalisers through the layer', () => {
  const data = (scale: number) => ({
    query: input([B, TQ, 4], 51, scale),
    keys: input([B, 6, 4], 52, scale),
    values: input([B, 6, DV], 53),
  });

  it("'sparsemax' gives exact zeros, sums to 1 and matches sparsemax of the hand scores", () => {
    const layer = new DotAttention(4, { normalizer: 'sparsemax' });
    const { query, keys, values } = data(1.2);
    const keyPaddingMask = new Tensor(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]), [B, 6], 'bool');
    const r = layer.forward(query, keys, values, { keyPaddingMask });
    const hand = handAttention(dotScore, cube(query), cube(keys), cube(values), {
      blocked: (b, _i, j) => b === 1 && j >= 4,
      normalise: sparsemaxRow,
    });
    expectValues(r.weights, hand.weights, 'weights');
    expectValues(r.context, hand.context, 'context');
    const zerosByHand = hand.weights.flat(2).filter((x) => x === 0).length;
    const zerosFound = Array.from(r.weights.data).filter((x) => x === 0).length;
    expect(zerosByHand).toBeGreaterThan(4 + 2 * TQ); // more than the padding alone
    expect(zerosFound).toBe(zerosByHand);
    for (const s of rowSums(r.weights)) expect(s).toBeCloseTo(1, 6);
    for (let i = 0; i < TQ; i++) expect(cube(r.weights)[1]![i]!.slice(4)).toEqual([0, 0]);
  });

  it("'hard' gives one-hot weights at the argmax score, the value there, and a straight-through gradient", () => {
    const layer = new GeneralAttention(4, 4, { normalizer: 'hard', generator: new Generator(8) });
    const { query, keys, values } = data(1);
    const scores = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values)).scores;
    const q = query.clone().requireGrad();
    const r = layer.forward(q, keys, values);
    const w = cube(r.weights);
    const ctx = cube(r.context);
    const v = cube(values);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < TQ; i++) {
        const row = scores[b]![i]!;
        const best = row.indexOf(Math.max(...row));
        expect(w[b]![i]).toEqual(row.map((_, j) => (j === best ? 1 : 0)));
        expect(ctx[b]![i]).toEqual(v[b]![best]!.map((x) => Math.fround(x)));
      }
    sum(mul(r.context, randn(r.context.shape, { generator: new Generator(2) }))).backward();
    expect(Array.from(q.grad!.data).every(Number.isFinite)).toBe(true);
    expect(q.grad!.data.some((x) => Math.abs(x) > 1e-6)).toBe(true);
  });

  it("'gumbel' samples only in training mode, reproducibly from a seeded generator", () => {
    const { query, keys, values } = data(1);
    const scores = handAttention(dotScore, cube(query), cube(keys), cube(values)).scores;
    const layer = new DotAttention(4, { normalizer: 'gumbel', generator: new Generator(9) });
    expect(layer.training).toBe(true);
    const first = layer.forward(query, keys, values);
    // The sample drawn by hand from the same stream: one uniform per score, row-major.
    const byHand = new Generator(9);
    const expected = scores.map((sb) => sb.map((row) => gumbelRow(row, byHand)));
    expectValues(first.weights, expected, 'sampled weights');
    expectValues(first.context, contextOf(expected, cube(values)), 'sampled context');
    // The stream moves on: another call draws another sample.
    const second = layer.forward(query, keys, values);
    expect(Array.from(second.weights.data)).not.toEqual(Array.from(first.weights.data));
    // Another layer with the same seed draws the same samples.
    const twin = new DotAttention(4, { normalizer: 'gumbel', generator: new Generator(9) });
    expect(Array.from(twin.forward(query, keys, values).weights.data)).toEqual(
      Array.from(first.weights.data),
    );

    // Evaluation: no noise, the plain softmax, the same every call.
    layer.eval();
    const softmaxLayer = new DotAttention(4);
    const a = layer.forward(query, keys, values);
    const b = layer.forward(query, keys, values);
    expect(Array.from(b.weights.data)).toEqual(Array.from(a.weights.data));
    expectValues(a.weights, cube(softmaxLayer.forward(query, keys, values).weights), 'eval = softmax', 1e-6);
    layer.train();
    expect(Array.from(layer.forward(query, keys, values).weights.data)).not.toEqual(
      Array.from(a.weights.data),
    );
  });

  it("'gumbel' honours temperature and hard", () => {
    const { query, keys, values } = data(1);
    const scores = handAttention(dotScore, cube(query), cube(keys), cube(values)).scores;
    const cold = new DotAttention(4, { normalizer: 'gumbel', temperature: 0.5, generator: new Generator(3) });
    const byHand = new Generator(3);
    expectValues(
      cold.forward(query, keys, values).weights,
      scores.map((sb) => sb.map((row) => gumbelRow(row, byHand, 0.5))),
      'τ = 0.5 sample',
    );
    cold.eval();
    expectValues(
      cold.forward(query, keys, values).weights,
      scores.map((sb) => sb.map((row) => softmaxRow(row.map((e) => e / 0.5)))),
      'τ = 0.5 in eval',
    );
    const hard = new DotAttention(4, { normalizer: 'gumbel', hard: true, generator: new Generator(3) });
    const hot = hard.forward(query, keys, values).weights;
    const again = new Generator(3);
    const soft = scores.map((sb) => sb.map((row) => gumbelRow(row, again)));
    const w = cube(hot);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < TQ; i++) {
        const row = soft[b]![i]!;
        const best = row.indexOf(Math.max(...row));
        expect(w[b]![i]).toEqual(row.map((_, j) => (j === best ? 1 : 0)));
      }
  });
});

describe('learning', () => {
  it('AdditiveAttention learns by gradient descent to attend to the position the query names', () => {
    // Keys carry a one-hot of their position; the query is a one-hot of the position to read; the target is
    // the value there. Values are fresh every step, so only attending to the right key lowers the loss.
    const T = 5;
    const dv = 3;
    const batch = 10;
    const layer = new AdditiveAttention(T, T, 8, { generator: new Generator(12) });
    const eye = Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => (i === j ? 1 : 0)));
    const keys = new Tensor(Float32Array.from(Array.from({ length: batch }, () => eye).flat(2)), [
      batch,
      T,
      T,
    ]);
    const positions = Array.from({ length: batch }, (_, b) => (b * 3) % T);
    const query = new Tensor(Float32Array.from(positions.flatMap((p) => eye[p]!)), [batch, T]);
    const generator = new Generator(13);
    const lossOn = (values: Tensor) => {
      const v = cube(values);
      const target = new Tensor(Float32Array.from(positions.flatMap((p, b) => v[b]![p]!)), [batch, dv]);
      return mean(square(sub(layer.forward(query, keys, values).context, target)));
    };
    const heldOut = randn([batch, T, dv], { generator: new Generator(99) });
    const start = noGrad(() => lossOn(heldOut)).item();
    for (let stepIndex = 0; stepIndex < 300; stepIndex++) {
      layer.zeroGrad();
      lossOn(randn([batch, T, dv], { generator })).backward();
      for (const p of layer.parameters()) {
        for (let k = 0; k < p.size; k++) p.data[k] = p.data[k]! - 1.0 * p.grad!.data[k]!;
      }
    }
    const end = noGrad(() => lossOn(heldOut)).item();
    expect(start).toBeGreaterThan(0.5);
    expect(end).toBeLessThan(0.2 * start);
    // It attends to the named position.
    const w = mat(layer.forward(query, keys, heldOut).weights);
    positions.forEach((p, b) => expect(w[b]![p]).toBeGreaterThan(0.8));
  });
});

describe('errors', () => {
  const keys = zeros([2, 3, 4]);

  it('names the layer, the argument and the dtypes and shapes of bad inputs', () => {
    const layer = new GeneralAttention(5, 4);
    const call = (q: unknown, k: unknown, v?: unknown) => () =>
      layer.forward(q as Tensor, k as Tensor, v as Tensor | undefined);
    const q = zeros([2, 5]);
    expect(call(q, zeros([2, 3, 5]))).toThrow(
      /^GeneralAttention: keys must be float32 \[B, Tk, 4\], got float32 \[2,3,5\]$/,
    );
    expect(call(q, zeros([2, 4]))).toThrow(/^GeneralAttention: keys must be .*, got float32 \[2,4\]$/);
    expect(call(q, zeros([2, 3, 4], { dtype: 'int32' }))).toThrow(
      /^GeneralAttention: keys must be float32 \[B, Tk, 4\], got int32 \[2,3,4\]$/,
    );
    expect(call(q, 'keys')).toThrow(/^GeneralAttention: keys must be float32 \[B, Tk, 4\], got keys$/);
    expect(call(q, keys, zeros([2, 2, 6]))).toThrow(
      /^GeneralAttention: values must be float32 \[2, 3, dv\] to match keys \[2,3,4\], got float32 \[2,2,6\]$/,
    );
    expect(call(q, keys, zeros([3, 3, 6]))).toThrow(
      /values must be float32 \[2, 3, dv\].*got float32 \[3,3,6\]$/,
    );
    expect(call(q, keys, zeros([2, 3]))).toThrow(/^GeneralAttention: values must be .* got float32 \[2,3\]$/);
    expect(call(q, keys, zeros([2, 3, 6], { dtype: 'bool' }))).toThrow(
      /^GeneralAttention: values must be .* got bool \[2,3,6\]$/,
    );
    expect(call(zeros([2, 4]), keys)).toThrow(
      /^GeneralAttention: query must be float32 \[2, 5\] or \[2, Tq, 5\], got float32 \[2,4\]$/,
    );
    expect(call(zeros([3, 5]), keys)).toThrow(/^GeneralAttention: query must be .* got float32 \[3,5\]$/);
    expect(call(zeros([2, 1, 1, 5]), keys)).toThrow(
      /^GeneralAttention: query must be .* got float32 \[2,1,1,5\]$/,
    );
    expect(call(zeros([5]), keys)).toThrow(/^GeneralAttention: query must be .* got float32 \[5\]$/);
    expect(call(zeros([2, 5], { dtype: 'int32' }), keys)).toThrow(
      /^GeneralAttention: query must be .* got int32 \[2,5\]$/,
    );
    expect(call(zeros([2, 4]), keys)).toThrow(AttnError);
  });

  it('names the mask and its expected and actual dtype and shape', () => {
    const layer = new DotAttention(4);
    const query = zeros([2, 2, 4]);
    const call = (options: Parameters<DotAttention['forward']>[3]) => () =>
      layer.forward(query, keys, keys, options);
    expect(call({ keyPaddingMask: zeros([2, 3], { dtype: 'bool' }) })).not.toThrow();
    expect(call({ keyPaddingMask: zeros([2, 4], { dtype: 'bool' }) })).toThrow(
      /^DotAttention: keyPaddingMask must be bool \[2, 3\], got bool \[2,4\]$/,
    );
    expect(call({ keyPaddingMask: zeros([2, 3]) })).toThrow(
      /^DotAttention: keyPaddingMask must be bool \[2, 3\], got float32 \[2,3\]$/,
    );
    expect(call({ keyPaddingMask: zeros([2, 1, 3], { dtype: 'bool' }) })).toThrow(/got bool \[2,1,3\]$/);
    expect(call({ mask: zeros([3, 2], { dtype: 'bool' }) })).toThrow(
      /^DotAttention: mask must be bool or float \[2, 3\] or \[2, 2, 3\], got bool \[3,2\]$/,
    );
    expect(call({ mask: zeros([1, 2, 3], { dtype: 'bool' }) })).toThrow(/mask must be .*got bool \[1,2,3\]$/);
    expect(call({ mask: zeros([2, 3], { dtype: 'int32' }) })).toThrow(
      /^DotAttention: mask must be bool or float \[2, 3\] or \[2, 2, 3\], got int32 \[2,3\]$/,
    );
    expect(call({ keyPaddingMask: [[0, 0, 1]] as unknown as Tensor })).toThrow(
      /^DotAttention: keyPaddingMask must be bool \[2, 3\], got object \(not a Tensor\)$/,
    );
    expect(call({ mask: 'causal' as unknown as Tensor })).toThrow(
      /^DotAttention: mask must be bool or float \[2, 3\] or \[2, 2, 3\], got string \(not a Tensor\)$/,
    );
    // One decoder step: Tq = 1.
    expect(() =>
      layer.forward(zeros([2, 4]), keys, keys, { mask: zeros([2, 3], { dtype: 'bool' }) }),
    ).toThrow(/mask must be bool or float \[1, 3\] or \[2, 1, 3\], got bool \[2,3\]$/);
    for (const s of [-1, 1.5, NaN]) {
      expect(call({ step: s })).toThrow(
        new RegExp(`^DotAttention: step must be a non-negative integer, got ${s}$`),
      );
    }
  });

  it('rejects bad dimensions, units and windows at construction', () => {
    expect(() => new GeneralAttention(0, 4)).toThrow(
      /^GeneralAttention: queryDim must be a positive integer, got 0$/,
    );
    expect(() => new AdditiveAttention(3, 2.5, 4)).toThrow(
      /^AdditiveAttention: keyDim must be a positive integer, got 2.5$/,
    );
    expect(() => new DotAttention(-1)).toThrow(/^DotAttention: queryDim must be a positive integer, got -1$/);
    expect(() => new AdditiveAttention(3, 4, 0)).toThrow(
      /^AdditiveAttention: units must be a positive integer, got 0$/,
    );
    expect(() => new AdditiveAttention(3, 4, 1.5)).toThrow(/^AdditiveAttention: units must be .* got 1.5$/);
    expect(() => new ConcatAttention(3, 4, -2)).toThrow(
      /^ConcatAttention: units must be a positive integer, got -2$/,
    );
    expect(() => new ScaledDotAttention(4, { scale: Infinity })).toThrow(
      /^ScaledDotAttention: scale must be finite, got Infinity$/,
    );
    const kind = 'local-x' as 'local-m';
    expect(() => new DotAttention(4, { window: { kind, halfWidth: 2 } })).toThrow(
      /^DotAttention: window.kind must be 'local-m' or 'local-p', got local-x$/,
    );
    for (const halfWidth of [-1, 1.5, NaN]) {
      expect(() => new ConcatAttention(4, 4, 4, { window: { kind: 'local-p', halfWidth } })).toThrow(
        new RegExp(`^ConcatAttention: window.halfWidth must be a non-negative integer, got ${halfWidth}$`),
      );
    }
    expect(() => new DotAttention(4, { window: { kind: 'local-m', halfWidth: 0 } })).not.toThrow();
    // A real-valued local-p position has no key within a zero half-width.
    expect(() => new DotAttention(4, { window: { kind: 'local-p', halfWidth: 0 } })).toThrow(
      /^DotAttention: window.halfWidth must be at least 1 for local-p \(a real-valued p_t\), got 0$/,
    );
  });

  it('rejects an unknown Luong score', () => {
    expect(() => luongAttention('bogus' as LuongScore, 4)).toThrow(
      /^luongAttention: score must be 'dot', 'general', 'concat' or 'location', got bogus$/,
    );
  });
});
