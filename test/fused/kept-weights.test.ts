// The fused attention ops keep the forward's weights P for the backward when they record a gradient over short
// keys (src/fused/kept-attention-weights.ts): when they do, what the kernels are handed, that the gradients
// equal the recomputing backward's and central differences, and that the storage goes back to the pool.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/kernels.js';
import {
  fusedAttention,
  Generator,
  getBackend,
  multiHeadAttentionCore,
  mul,
  noGrad,
  paddingMaskFromLengths,
  randn,
  setBackend,
  sum,
  type Tensor,
} from '../../src/index.js';
import { attentionWeightStorage, KEPT_WEIGHTS_MAX_KEYS } from '../../src/fused/kept-attention-weights.js';
import { expectClose } from '../helpers/close.js';
import { gradcheck, randomInput } from '../helpers/gradcheck.js';

/** The weights arrays the kernels were handed, per call, while installed. */
interface Calls {
  forward: (Float32Array | null)[];
  backward: (Float32Array | null)[];
}

let inner: Backend;
let calls: Calls;
/** When set, attentionGrad is called without the kept weights (the recomputing backward). */
let dropKept = false;

beforeEach(() => {
  inner = getBackend();
  calls = { forward: [], backward: [] };
  dropKept = false;
  setBackend({
    ...inner,
    attention: (args) => {
      calls.forward.push(args.weights);
      inner.attention(args);
    },
    attentionGrad: (args) => {
      calls.backward.push(args.weights ?? null);
      inner.attentionGrad(dropKept ? { ...args, weights: null } : args);
    },
  });
});
afterEach(() => setBackend(inner));

function operands(b: number, h: number, tq: number, tk: number, d: number, dv: number, seed: number) {
  const generator = new Generator(seed);
  return {
    q: randn([b, h, tq, d], { generator }).requireGrad(),
    k: randn([b, h, tk, d], { generator }).requireGrad(),
    v: randn([b, h, tk, dv], { generator }).requireGrad(),
    upstream: randn([b, h, tq, dv], { generator }),
  };
}

describe('attentionWeightStorage', () => {
  const x = randn([2, 3]).requireGrad();
  const y = randn([2, 3]);

  it('keeps the weights when a gradient is recorded over at most 256 keys', () => {
    expect(KEPT_WEIGHTS_MAX_KEYS).toBe(256);
    const p = attentionWeightStorage([y, x], 256, 12, null);
    expect(p.kept).not.toBeNull();
    expect(p.forward).toBe(p.kept);
    expect(p.kept!.length).toBe(12);
  });

  it('keeps nothing in inference, without inputs that need gradients, or past 256 keys', () => {
    const requested = new Float32Array(12);
    for (const p of [
      noGrad(() => attentionWeightStorage([x], 8, 12, null)),
      attentionWeightStorage([y], 8, 12, null),
      attentionWeightStorage([x], 257, 12, null),
    ])
      expect([p.forward, p.kept]).toEqual([null, null]);
    const asked = noGrad(() => attentionWeightStorage([x], 8, 12, requested));
    expect(asked.forward).toBe(requested);
    expect(asked.kept).toBeNull();
  });

  it("keeps the caller's weights when it asked for them, and never recycles those", () => {
    const requested = new Float32Array(12);
    const p = attentionWeightStorage([x], 8, 12, requested);
    expect(p.forward).toBe(requested);
    expect(p.kept).toBe(requested);
  });
});

describe('fusedAttention with kept weights', () => {
  const shapes = [
    { name: 'padding, tq ≠ tk, several heads', b: 3, h: 2, tq: 5, tk: 9, d: 4, dv: 3, causal: false },
    { name: 'padding and causal', b: 3, h: 3, tq: 9, tk: 9, d: 16, dv: 16, causal: true },
    {
      name: 'the short-key kernel, one query block',
      b: 2,
      h: 4,
      tq: 128,
      tk: 128,
      d: 16,
      dv: 32,
      causal: false,
    },
    {
      name: 'the short-key kernel, two query blocks',
      b: 1,
      h: 2,
      tq: 131,
      tk: 200,
      d: 32,
      dv: 16,
      causal: true,
    },
  ];

  it.each(shapes)('$name: kept and recomputed backwards agree', ({ b, h, tq, tk, d, dv, causal }) => {
    // With several batch elements, element 0 attends nothing (all keys padded: zero output, zero gradients);
    // the last pads 3 keys.
    const lengths = Array.from({ length: b }, (_, i) => (i === 0 && b > 1 ? 0 : tk - 3 * i));
    lengths[b - 1] = tk - 3;
    const keyPaddingMask = paddingMaskFromLengths(lengths, tk);
    const run = (drop: boolean) => {
      dropKept = drop;
      const { q, k, v, upstream } = operands(b, h, tq, tk, d, dv, 31);
      const { output } = fusedAttention(q, k, v, { keyPaddingMask, causal });
      sum(mul(output, upstream)).backward();
      return [output, q.grad!, k.grad!, v.grad!];
    };
    const kept = run(false);
    const recomputed = run(true);
    expect(calls.forward.map((w) => w?.length)).toEqual([b * h * tq * tk, b * h * tq * tk]);
    expect(calls.backward[0]).toBe(calls.forward[0]); // the backward read what the forward wrote
    kept.forEach((t, i) => expectClose(t, recomputed[i]!, `tensor ${i}`, { atol: 1e-5, rtol: 1e-4 }));
  });

  it('keeps nothing in inference or past 256 keys', () => {
    const { q, k, v } = operands(1, 2, 3, 257, 4, 4, 5);
    noGrad(() => fusedAttention(q, k, v));
    sum(fusedAttention(q, k, v).output).backward();
    expect(calls.forward).toEqual([null, null]);
    expect(calls.backward).toEqual([null]);
  });

  it('hands the kept storage back after the backward: the next step writes into the same buffer', () => {
    const { q, k, v, upstream } = operands(2, 3, 7, 11, 4, 4, 9);
    for (let step = 0; step < 2; step++) sum(mul(fusedAttention(q, k, v).output, upstream)).backward();
    expect(calls.forward[0]).not.toBeNull();
    expect(calls.forward[1]!.buffer).toBe(calls.forward[0]!.buffer);
  });

  it('uses the weights the caller asked for as the kept ones and leaves them to the caller', () => {
    const { q, k, v, upstream } = operands(2, 2, 6, 5, 4, 4, 13);
    const keyPaddingMask = paddingMaskFromLengths([5, 3], 5);
    const asked = fusedAttention(q, k, v, { keyPaddingMask, needWeights: true });
    const want = noGrad(() => fusedAttention(q, k, v, { keyPaddingMask, needWeights: true }).weights!);
    expectClose(asked.weights!, want, 'weights', { atol: 1e-6 });
    sum(mul(asked.output, upstream)).backward();
    expect(calls.backward[0]).toBe(asked.weights!.data);
    const copy = asked.weights!.data.slice();
    const dq = q.grad!.clone();
    // A second step allocates a kept buffer of the same size: not the caller's.
    q.grad = null;
    sum(mul(fusedAttention(q, k, v, { keyPaddingMask }).output, upstream)).backward();
    expect(calls.forward[2]!.buffer).not.toBe(asked.weights!.data.buffer);
    expect(asked.weights!.data).toEqual(copy);
    expectClose(q.grad!, dq, 'dq', { atol: 0 });
  });

  it('passes the gradient check with the weights kept', () => {
    const keyPaddingMask = paddingMaskFromLengths([4, 2], 4);
    const [q, k, v] = [
      randomInput([2, 2, 3, 3], 41),
      randomInput([2, 2, 4, 3], 42),
      randomInput([2, 2, 4, 2], 43),
    ];
    for (const causal of [false, true]) {
      calls.backward = [];
      gradcheck((a, b, c) => fusedAttention(a!, b!, c!, { keyPaddingMask, causal }).output, [q, k, v]);
      expect(calls.backward.length).toBe(1);
      expect(calls.backward[0]).not.toBeNull();
    }
  });
});

describe('multiHeadAttentionCore with kept weights', () => {
  const core = (t: Tensor, causal: boolean, keyPaddingMask: Tensor | null, needWeights = false) =>
    multiHeadAttentionCore(t, t, t, {
      heads: 2,
      embedDim: 4,
      batchFirst: true,
      qOffset: 1,
      kOffset: 5,
      vOffset: 9,
      keyPaddingMask,
      causal,
      needWeights,
    });

  it('passes the gradient check with the weights kept (packed q|k|v, padding, causal)', () => {
    const x = randomInput([2, 3, 13], 51);
    const kpm = paddingMaskFromLengths([3, 2], 3);
    for (const causal of [false, true]) {
      calls.backward = [];
      gradcheck((t) => core(t!, causal, kpm).output, [x]);
      expect(calls.backward.length).toBe(1);
      expect(calls.backward[0]).not.toBeNull();
    }
  });

  it('kept and recomputed backwards agree on the classifier-like shape', () => {
    const generator = new Generator(61);
    const run = (drop: boolean) => {
      dropKept = drop;
      const x = randn([3, 128, 3 * 64], { generator: new Generator(62) }).requireGrad();
      const out = multiHeadAttentionCore(x, x, x, {
        heads: 4,
        embedDim: 64,
        batchFirst: true,
        kOffset: 64,
        vOffset: 128,
        keyPaddingMask: paddingMaskFromLengths([128, 100, 1], 128),
      }).output;
      sum(mul(out, upstream)).backward();
      return x.grad!;
    };
    const upstream = randn([3, 128, 64], { generator });
    const kept = run(false);
    const recomputed = run(true);
    expect(calls.backward[0]).not.toBeNull();
    expectClose(kept, recomputed, 'dx', { atol: 1e-5, rtol: 1e-4 });
  });
});
