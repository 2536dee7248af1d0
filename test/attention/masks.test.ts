import { describe, expect, it } from 'vitest';
import {
  AdditiveAttention,
  add,
  causalMask,
  ConcatAttention,
  DotAttention,
  GeneralAttention,
  Generator,
  mul,
  paddingMaskFromLengths,
  randn,
  ScaledDotAttention,
  slice,
  squeeze,
  sum,
  Tensor,
  tensor,
  type Attention,
  type Normalizer,
} from '../../src/index.js';
import { gradcheck } from '../helpers/gradcheck.js';
import {
  checkParameterGradients,
  cube,
  expectValues,
  handAttention,
  input,
  mat,
  rowOf,
  scoreFnOf,
  entmaxRow,
  sparsemaxRow,
} from './reference.js';

const B = 2;
const TQ = 3;
const TK = 5;
const DV = 3;

const bool = (rows: number[][] | number[][][]): Tensor => tensor(rows as number[][], { dtype: 'bool' });
const step = (query: Tensor, i: number): Tensor => squeeze(slice(query, 1, i, i + 1), 1);

interface MaskCase {
  label: string;
  make: (generator: Generator, normalizer?: Normalizer) => Attention;
}

const LAYERS: MaskCase[] = [
  { label: 'DotAttention', make: (generator, normalizer) => new DotAttention(4, { generator, normalizer }) },
  {
    label: 'ScaledDotAttention',
    make: (generator, normalizer) => new ScaledDotAttention(4, { generator, normalizer }),
  },
  {
    label: 'GeneralAttention',
    make: (generator, normalizer) => new GeneralAttention(4, 4, { generator, normalizer }),
  },
  {
    label: 'AdditiveAttention',
    make: (generator, normalizer) => new AdditiveAttention(4, 4, 5, { generator, normalizer }),
  },
  {
    label: 'ConcatAttention',
    make: (generator, normalizer) => new ConcatAttention(4, 4, 5, { generator, normalizer }),
  },
];

function data(seed = 1, tq = TQ, tk = TK) {
  return {
    query: input([B, tq, 4], seed, 0.8),
    keys: input([B, tk, 4], seed + 1, 0.8),
    values: input([B, tk, DV], seed + 2),
  };
}

/** Every weight where `blocked` says so is exactly 0. */
function expectZeroWhere(weights: Tensor, blocked: (b: number, i: number, j: number) => boolean): void {
  const w = weights.ndim === 2 ? (mat(weights).map((r) => [r]) as number[][][]) : cube(weights);
  w.forEach((wb, b) =>
    wb.forEach((wi, i) =>
      wi.forEach((x, j) => {
        if (blocked(b, i, j)) expect(x, `weight [${b}, ${i}, ${j}]`).toBe(0);
      }),
    ),
  );
}

describe.each(LAYERS)('$label: masks', ({ make }) => {
  it('keyPaddingMask gives padding keys exactly zero weight and renormalises over the rest', () => {
    const layer = make(new Generator(2));
    const { query, keys, values } = data();
    const keyPaddingMask = paddingMaskFromLengths([5, 3]);
    const blocked = (b: number, _i: number, j: number) => b === 1 && j >= 3;
    const r = layer.forward(query, keys, values, { keyPaddingMask });
    expectZeroWhere(r.weights, blocked);
    const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values), { blocked });
    expectValues(r.weights, hand.weights, 'weights');
    expectValues(r.context, hand.context, 'context');
    // The padding values do not matter at all.
    const scrambled = values.clone();
    for (let j = 3; j < TK; j++) for (let d = 0; d < DV; d++) scrambled.data[(TK + j) * DV + d] = 1e6;
    const again = layer.forward(query, keys, scrambled, { keyPaddingMask });
    expect(Array.from(again.context.data)).toEqual(Array.from(r.context.data));
    // One decoder step.
    const single = layer.forward(step(query, 2), keys, values, { keyPaddingMask });
    expectZeroWhere(single.weights, blocked);
    expectValues(single.weights, rowOf(r.weights, 2), 'single-step weights', 1e-6, 1e-6);
  });

  it('bool masks [Tq, Tk] and [B, Tq, Tk] forbid exactly the marked pairs', () => {
    const layer = make(new Generator(3));
    const { query, keys, values } = data(4);
    const shared = [
      [0, 1, 0, 0, 1],
      [0, 0, 0, 0, 0],
      [1, 1, 1, 1, 0],
    ];
    const perBatch = [
      shared,
      [
        [1, 0, 0, 0, 0],
        [0, 0, 1, 1, 0],
        [0, 0, 0, 0, 1],
      ],
    ];
    for (const [mask, blocked] of [
      [bool(shared), (_b: number, i: number, j: number) => shared[i]![j] === 1],
      [bool(perBatch), (b: number, i: number, j: number) => perBatch[b]![i]![j] === 1],
    ] as const) {
      const r = layer.forward(query, keys, values, { mask });
      expectZeroWhere(r.weights, blocked);
      const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values), { blocked });
      expectValues(r.weights, hand.weights, `weights with mask ${mask.shape}`);
      expectValues(r.context, hand.context, `context with mask ${mask.shape}`);
    }
  });

  it('float masks are added to the scores; -∞ acts as a bool mask', () => {
    const layer = make(new Generator(5));
    const { query, keys, values } = data(6);
    const offsets = randn([B, TQ, TK], { generator: new Generator(8) });
    offsets.data[3] = -Infinity;
    offsets.data[TQ * TK + 7] = -Infinity;
    const o = cube(offsets);
    const r = layer.forward(query, keys, values, { mask: offsets });
    const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values), {
      offset: (b, i, j) => o[b]![i]![j]!,
    });
    expectValues(r.weights, hand.weights, 'weights');
    expectValues(r.context, hand.context, 'context');
    expect(r.weights.data[3]).toBe(0);
    expect(r.weights.data[TQ * TK + 7]).toBe(0);
    // A [Tq, Tk] float mask is shared by the batch.
    const shared = slice(offsets, 0, 0, 1).reshape([TQ, TK]);
    const s = layer.forward(query, keys, values, { mask: shared });
    const handShared = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values), {
      offset: (_b, i, j) => o[0]![i]![j]!,
    });
    expectValues(s.weights, handShared.weights, 'shared float mask weights');
    // -∞ / 0 floats equal the bool mask.
    const flags = [
      [0, 1, 0, 0, 1],
      [0, 0, 0, 0, 0],
      [1, 1, 1, 1, 0],
    ];
    const asFloat = tensor(flags.map((row) => row.map((x) => (x ? -Infinity : 0))));
    const a = layer.forward(query, keys, values, { mask: asFloat });
    const b = layer.forward(query, keys, values, { mask: bool(flags) });
    expect(Array.from(a.weights.data)).toEqual(Array.from(b.weights.data));
    expect(Array.from(a.context.data)).toEqual(Array.from(b.context.data));
  });

  it('one decoder step takes masks [1, Tk] and [B, 1, Tk]', () => {
    const layer = make(new Generator(6));
    const { query, keys, values } = data(7);
    const q = step(query, 0);
    const a = layer.forward(q, keys, values, { mask: bool([[0, 0, 1, 0, 1]]) });
    expect(a.weights.shape).toEqual([B, TK]);
    expectZeroWhere(a.weights, (_b, _i, j) => j === 2 || j === 4);
    const b = layer.forward(q, keys, values, {
      mask: bool([[[0, 0, 1, 0, 1]], [[1, 0, 0, 0, 0]]]),
    });
    expectZeroWhere(b.weights, (bi, _i, j) => (bi === 0 ? j === 2 || j === 4 : j === 0));
    const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values), {
      blocked: (bi, _i, j) => (bi === 0 ? j === 2 || j === 4 : j === 0),
    });
    expectValues(
      b.weights,
      hand.weights.map((wb) => wb[0]),
      'weights',
    );
  });

  it('causal with step: query i at position step + i attends keys ≤ step + i only', () => {
    const layer = make(new Generator(7));
    const { query, keys, values } = data(9, 3, 6);
    for (const s of [0, 2, 4]) {
      const blocked = (_b: number, i: number, j: number) => j > s + i;
      const r = layer.forward(query, keys, values, { causal: true, step: s });
      expectZeroWhere(r.weights, blocked);
      const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values), { blocked });
      expectValues(r.weights, hand.weights, `weights at step ${s}`);
      expectValues(r.context, hand.context, `context at step ${s}`);
    }
    // step 0 with Tq = Tk is the causal mask.
    const square = data(10, 4, 4);
    const a = layer.forward(square.query, square.keys, square.values, { causal: true });
    const b = layer.forward(square.query, square.keys, square.values, { mask: causalMask(4, 4) });
    expect(Array.from(a.weights.data)).toEqual(Array.from(b.weights.data));
    // One decoder step at step t sees keys 0..t, and equals row i of the sequence started at t - i.
    const seq = layer.forward(query, keys, values, { causal: true, step: 2 });
    for (let t = 0; t < 6; t++) {
      const r = layer.forward(step(query, 1), keys, values, { causal: true, step: t });
      expectZeroWhere(r.weights, (_b, _i, j) => j > t);
      if (t === 3) expectValues(r.weights, rowOf(seq.weights, 1), 'step 3 = row 1 from step 2', 1e-6, 1e-6);
    }
  });

  it('combines padding, a mask and causality', () => {
    const layer = make(new Generator(8));
    const { query, keys, values } = data(11);
    const keyPaddingMask = paddingMaskFromLengths([4, 5]);
    const flags = [
      [0, 0, 1, 0, 0],
      [1, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ];
    const blocked = (b: number, i: number, j: number) =>
      (b === 0 && j === 4) || flags[i]![j] === 1 || j > 1 + i;
    const r = layer.forward(query, keys, values, {
      keyPaddingMask,
      mask: bool(flags),
      causal: true,
      step: 1,
    });
    expectZeroWhere(r.weights, blocked);
    const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values), { blocked });
    expectValues(r.weights, hand.weights, 'weights');
    expectValues(r.context, hand.context, 'context');
  });
});

const EVERY_NORMALIZER = ['softmax', 'sparsemax', 'entmax15', 'entmax', 'hard', 'gumbel'] as const;

describe('fully masked queries', () => {
  // Batch 1 is all padding; query 0 of batch 0 is blocked from every key by the mask.
  const keyPaddingMask = paddingMaskFromLengths([5, 0], 5);
  const mask = bool([
    [1, 1, 1, 1, 1],
    [0, 0, 0, 0, 0],
    [0, 1, 0, 0, 0],
  ]);

  describe.each(EVERY_NORMALIZER)('%s', (normalizer) => {
    it.each(LAYERS)('$label: zero weights, zero context, finite gradients', ({ make }) => {
      const layer = make(new Generator(12), normalizer);
      if (normalizer === 'gumbel') layer.eval();
      const { query, keys, values } = data(13);
      for (const t of [query, keys, values]) t.requireGrad();
      const r = layer.forward(query, keys, values, { keyPaddingMask, mask });
      const w = cube(r.weights);
      const c = cube(r.context);
      expect(w[1]!.flat().every((x) => x === 0)).toBe(true);
      expect(c[1]!.flat().every((x) => x === 0)).toBe(true);
      expect(w[0]![0]!.every((x) => x === 0)).toBe(true);
      expect(c[0]![0]!.every((x) => x === 0)).toBe(true);
      expect(Array.from(r.weights.data).every(Number.isFinite)).toBe(true);
      expect(Array.from(r.context.data).every(Number.isFinite)).toBe(true);
      // The other queries are normal.
      expect(w[0]![1]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      const R = randn(r.context.shape, { generator: new Generator(1) });
      add(sum(mul(r.context, R)), sum(mul(r.weights, r.weights))).backward();
      for (const [name, t] of [
        ['query', query],
        ['keys', keys],
        ['values', values],
        ...layer.namedParameters(),
      ] as const) {
        expect(Array.from(t.grad?.data ?? []).every(Number.isFinite), name).toBe(true);
      }
      // Nothing flows back through a query that attends nothing.
      expect(
        cube(query.grad!)[1]!
          .flat()
          .every((x) => x === 0),
      ).toBe(true);
      expect(cube(query.grad!)[0]![0]!.every((x) => x === 0)).toBe(true);
      expect(
        cube(values.grad!)[1]!
          .flat()
          .every((x) => x === 0),
      ).toBe(true);
    });
  });

  it('one decoder step whose keys are all padding gets zeros too', () => {
    const layer = new AdditiveAttention(4, 4, 5, { generator: new Generator(14) });
    const { query, keys, values } = data(15);
    const r = layer.forward(step(query, 0), keys, values, { keyPaddingMask });
    expect(mat(r.weights)[1]).toEqual([0, 0, 0, 0, 0]);
    expect(mat(r.context)[1]).toEqual([0, 0, 0]);
  });
});

describe('masked gradients', () => {
  it.each(LAYERS)('$label: finite differences with padding, a float mask and causality', ({ make }) => {
    const layer = make(new Generator(16));
    const { query, keys, values } = data(17);
    const floatMask = randn([TQ, TK], { generator: new Generator(18) });
    floatMask.data[6] = -Infinity;
    const call = { keyPaddingMask: paddingMaskFromLengths([5, 3]), mask: floatMask, causal: true, step: 1 };
    gradcheck(
      (q, k, v) => {
        const r = layer.forward(q!, k!, v!, call);
        return [r.context, r.weights];
      },
      [query, keys, values],
    );
    gradcheck(
      (q, k, v) => {
        const r = layer.forward(q!, k!, v!, { ...call, mask: slice(floatMask, 0, 2, 3), step: 3 });
        return [r.context, r.weights];
      },
      [step(query, 0), keys, values],
    );
  });

  it('parameters of AdditiveAttention and ConcatAttention match finite differences under masks', () => {
    const { query, keys, values } = data(19);
    const keyPaddingMask = paddingMaskFromLengths([2, 5]);
    for (const layer of [LAYERS[3]!.make(new Generator(20)), LAYERS[4]!.make(new Generator(21))]) {
      checkParameterGradients(layer, () => {
        const r = layer.forward(query, keys, values, { keyPaddingMask, causal: true });
        return [r.context, r.weights];
      });
    }
  });

  it('sparsemax under masks matches the hand computation', () => {
    const layer = new DotAttention(4, { normalizer: 'sparsemax' });
    const { query, keys, values } = data(22);
    const keyPaddingMask = paddingMaskFromLengths([5, 4]);
    const blocked = (b: number, i: number, j: number) => (b === 1 && j === 4) || j > i + 1;
    const r = layer.forward(query, keys, values, { keyPaddingMask, causal: true, step: 1 });
    const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values), {
      blocked,
      normalise: sparsemaxRow,
    });
    expectValues(r.weights, hand.weights, 'weights');
    expectZeroWhere(r.weights, blocked);
  });
  it('entmax15 and α-entmax under masks match the hand computation', () => {
    for (const [normalizer, alpha] of [
      ['entmax15', 1.5],
      ['entmax', 1.5],
    ] as const) {
      const layer = new DotAttention(4, { normalizer });
      const { query, keys, values } = data(22);
      const keyPaddingMask = paddingMaskFromLengths([5, 4]);
      const blocked = (b: number, i: number, j: number) => (b === 1 && j === 4) || j > i + 1;
      const r = layer.forward(query, keys, values, { keyPaddingMask, causal: true, step: 1 });
      const hand = handAttention(scoreFnOf(layer), cube(query), cube(keys), cube(values), {
        blocked,
        normalise: (e) => entmaxRow(e, alpha),
      });
      expectValues(r.weights, hand.weights, 'weights');
      expectZeroWhere(r.weights, blocked);
    }
  });
});

describe('mask helpers', () => {
  it('causalMask is true above the diagonal', () => {
    const m = causalMask(3, 5);
    expect(m.dtype).toBe('bool');
    expect(m.shape).toEqual([3, 5]);
    expect(m.toArray()).toEqual([
      [0, 1, 1, 1, 1],
      [0, 0, 1, 1, 1],
      [0, 0, 0, 1, 1],
    ]);
    expect(causalMask(4, 2).toArray()).toEqual([
      [0, 1],
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(causalMask(1, 1).toArray()).toEqual([[0]]);
  });

  it('paddingMaskFromLengths is true at positions ≥ length', () => {
    const m = paddingMaskFromLengths([2, 0, 3]);
    expect(m.dtype).toBe('bool');
    expect(m.shape).toEqual([3, 3]);
    expect(m.toArray()).toEqual([
      [0, 0, 1],
      [1, 1, 1],
      [0, 0, 0],
    ]);
    expect(paddingMaskFromLengths([2, 1], 4).toArray()).toEqual([
      [0, 0, 1, 1],
      [0, 1, 1, 1],
    ]);
    const fromTensor = paddingMaskFromLengths(new Tensor(Int32Array.from([1, 3]), [2], 'int32'), 3);
    expect(fromTensor.toArray()).toEqual([
      [0, 1, 1],
      [0, 0, 0],
    ]);
  });

  it('paddingMaskFromLengths rejects bad lengths', () => {
    expect(() => paddingMaskFromLengths([2, 5], 4)).toThrow(
      /^paddingMaskFromLengths: a length of 5 exceeds maxLength 4$/,
    );
    expect(() => paddingMaskFromLengths(tensor([1, 2]))).toThrow(
      /^paddingMaskFromLengths: lengths must be int32 \[B\], got float32 \[2\]$/,
    );
    expect(() => paddingMaskFromLengths(new Tensor(Int32Array.from([1, 2]), [1, 2], 'int32'))).toThrow(
      /lengths must be int32 \[B\], got int32 \[1,2\]$/,
    );
  });
});
