// multiHeadAttentionCore (heads read in place from [B, T, features] projections, written merged) against the
// same heads split and merged with copies around fusedAttention: outputs, weights and gradients, for a packed
// q|k|v buffer, a packed k|v buffer, separate tensors, overlapping ranges of one tensor and both layouts; a
// finite-difference check of its own; and its errors.
import { describe, expect, it } from 'vitest';
import {
  fusedAttention,
  Generator,
  multiHeadAttentionCore,
  mul,
  noGrad,
  paddingMaskFromLengths,
  permute,
  randn,
  reshape,
  slice,
  sum,
  type Tensor,
} from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { gradcheck, randomInput } from '../helpers/gradcheck.js';

/** Features [offset, offset + H·w) of x [B, T, F] (or [T, B, F]) as contiguous heads [B, H, T, w]. */
function heads(x: Tensor, offset: number, h: number, w: number, batchFirst: boolean): Tensor {
  const part = slice(x, 2, offset, offset + h * w);
  const [a, b] = part.shape as [number, number];
  return permute(reshape(part, [a, b, h, w]), batchFirst ? [0, 2, 1, 3] : [1, 2, 0, 3]);
}

interface Case {
  name: string;
  batchFirst: boolean;
  /** Which of q, k, v are the same tensor: 'qkv' (one packed), 'kv' (k and v packed), 'none'. */
  shared: 'qkv' | 'kv' | 'none' | 'overlap';
  b: number;
  h: number;
  tq: number;
  tk: number;
  d: number;
  dv: number;
  causal: boolean;
  lengths: number[] | null;
}

const cases: Case[] = [
  {
    name: 'packed q|k|v, batch-first',
    batchFirst: true,
    shared: 'qkv',
    b: 2,
    h: 3,
    tq: 5,
    tk: 5,
    d: 4,
    dv: 2,
    causal: false,
    lengths: [5, 3],
  },
  {
    name: 'packed q|k|v, time-major, causal',
    batchFirst: false,
    shared: 'qkv',
    b: 3,
    h: 2,
    tq: 6,
    tk: 6,
    d: 3,
    dv: 3,
    causal: true,
    lengths: null,
  },
  {
    name: 'packed k|v (cross-attention)',
    batchFirst: true,
    shared: 'kv',
    b: 2,
    h: 2,
    tq: 3,
    tk: 7,
    d: 5,
    dv: 4,
    causal: false,
    lengths: [0, 4],
  },
  {
    name: 'separate tensors, time-major',
    batchFirst: false,
    shared: 'none',
    b: 2,
    h: 1,
    tq: 4,
    tk: 3,
    d: 2,
    dv: 5,
    causal: false,
    lengths: [3, 1],
  },
  {
    name: 'q and k the same range of one tensor',
    batchFirst: true,
    shared: 'overlap',
    b: 2,
    h: 2,
    tq: 4,
    tk: 4,
    d: 3,
    dv: 3,
    causal: false,
    lengths: null,
  },
];

/** The case's input tensors and the offsets of q, k and v in them (one spare feature first, to be skipped). */
function build(c: Case, seed: number) {
  const g = new Generator(seed);
  const E = c.h * c.d;
  const Ev = c.h * c.dv;
  const rows = (t: number, f: number) =>
    randn(c.batchFirst ? [c.b, t, f] : [t, c.b, f], { generator: g }).requireGrad();
  switch (c.shared) {
    case 'qkv': {
      const x = rows(c.tq, 1 + 2 * E + Ev);
      return { q: x, k: x, v: x, offsets: [1, 1 + E, 1 + 2 * E] as const, inputs: [x], g };
    }
    case 'kv': {
      const q = rows(c.tq, E);
      const kv = rows(c.tk, 1 + E + Ev);
      return { q, k: kv, v: kv, offsets: [0, 1, 1 + E] as const, inputs: [q, kv], g };
    }
    case 'overlap': {
      const x = rows(c.tq, 1 + E + Ev);
      return { q: x, k: x, v: x, offsets: [1, 1, 1 + E] as const, inputs: [x], g };
    }
    case 'none': {
      const q = rows(c.tq, E + 2);
      const k = rows(c.tk, E);
      const v = rows(c.tk, Ev + 1);
      return { q, k, v, offsets: [2, 0, 1] as const, inputs: [q, k, v], g };
    }
  }
}

describe.each(cases)('multiHeadAttentionCore: $name', (c) => {
  const kpm = c.lengths ? paddingMaskFromLengths(c.lengths, c.tk) : null;

  it('equals split heads → fusedAttention → merged heads, in output and gradients', () => {
    const run = (fused: boolean) => {
      const { q, k, v, offsets, inputs, g } = build(c, 7);
      let output: Tensor;
      if (fused) {
        output = multiHeadAttentionCore(q, k, v, {
          heads: c.h,
          embedDim: c.h * c.d,
          valueDim: c.h * c.dv,
          batchFirst: c.batchFirst,
          qOffset: offsets[0],
          kOffset: offsets[1],
          vOffset: offsets[2],
          keyPaddingMask: kpm,
          causal: c.causal,
        }).output;
      } else {
        const o = fusedAttention(
          heads(q, offsets[0], c.h, c.d, c.batchFirst),
          heads(k, offsets[1], c.h, c.d, c.batchFirst),
          heads(v, offsets[2], c.h, c.dv, c.batchFirst),
          { keyPaddingMask: kpm, causal: c.causal },
        ).output;
        const merged = permute(o, c.batchFirst ? [0, 2, 1, 3] : [2, 0, 1, 3]);
        const [a, b] = merged.shape as [number, number];
        output = reshape(merged, [a, b, c.h * c.dv]);
      }
      sum(mul(output, randn(output.shape, { generator: g }))).backward();
      return { output, grads: inputs.map((t) => t.grad!) };
    };
    const fused = run(true);
    const split = run(false);
    expect(fused.output.shape).toEqual(split.output.shape);
    expectClose(fused.output, split.output, 'output', { atol: 1e-6, rtol: 1e-5 });
    fused.grads.forEach((gr, i) => expectClose(gr, split.grads[i]!, `grad ${i}`, { atol: 1e-5, rtol: 1e-4 }));
    // Features no head reads get exactly zero gradient.
    const first = fused.grads[0]!;
    if (c.shared === 'qkv' || c.shared === 'overlap') {
      for (let i = 0; i < first.size; i += first.shape[2]!) expect(first.data[i]).toBe(0);
    }
  });

  it('returns the per-head weights outside a graph', () => {
    const { q, k, v, offsets } = build(c, 8);
    const run = () =>
      noGrad(() =>
        multiHeadAttentionCore(q, k, v, {
          heads: c.h,
          embedDim: c.h * c.d,
          valueDim: c.h * c.dv,
          batchFirst: c.batchFirst,
          qOffset: offsets[0],
          kOffset: offsets[1],
          vOffset: offsets[2],
          keyPaddingMask: kpm,
          causal: c.causal,
          needWeights: true,
        }),
      );
    const want = noGrad(() =>
      fusedAttention(
        heads(q, offsets[0], c.h, c.d, c.batchFirst),
        heads(k, offsets[1], c.h, c.d, c.batchFirst),
        heads(v, offsets[2], c.h, c.dv, c.batchFirst),
        { keyPaddingMask: kpm, causal: c.causal, needWeights: true },
      ),
    );
    const got = run();
    expect(got.weights!.shape).toEqual([c.b, c.h, c.tq, c.tk]);
    expectClose(got.weights!, want.weights!, 'weights', { atol: 1e-6 });
  });
});

describe('multiHeadAttentionCore gradients', () => {
  it('match central differences for a packed q|k|v input', () => {
    const x = randomInput([2, 3, 13], 21);
    const kpm = paddingMaskFromLengths([3, 2], 3);
    gradcheck(
      (t) =>
        multiHeadAttentionCore(t!, t!, t!, {
          heads: 2,
          embedDim: 4,
          batchFirst: true,
          qOffset: 1,
          kOffset: 5,
          vOffset: 9,
          keyPaddingMask: kpm,
        }).output,
      [x],
    );
  });

  it('match central differences for separate time-major q, k, v with the causal mask', () => {
    const [q, k, v] = [randomInput([3, 2, 4], 22), randomInput([3, 2, 4], 23), randomInput([3, 2, 2], 24)];
    gradcheck(
      (a, b, c) =>
        multiHeadAttentionCore(a!, b!, c!, {
          heads: 2,
          embedDim: 4,
          valueDim: 2,
          batchFirst: false,
          causal: true,
        }).output,
      [q, k, v],
    );
  });
});

describe('multiHeadAttentionCore errors', () => {
  const x = randn([2, 3, 12]);
  const base = { heads: 2, embedDim: 4, batchFirst: true };
  it('names the argument and the shapes', () => {
    expect(() => multiHeadAttentionCore(x, x, x, { ...base, vOffset: 9 })).toThrow(
      /multiHeadAttentionCore: v's heads \(features 9 to 13\) do not fit its 12 features/,
    );
    expect(() => multiHeadAttentionCore(x, x, x, { ...base, embedDim: 5 })).toThrow(/multiple of heads/);
    expect(() => multiHeadAttentionCore(reshape(x, [6, 12]), x, x, base)).toThrow(
      /q must be \[B, T, features\]/,
    );
    expect(() => multiHeadAttentionCore(x, randn([3, 3, 12]), x, base)).toThrow(
      /batch and length do not agree/,
    );
    expect(() =>
      multiHeadAttentionCore(x, x, x, { ...base, keyPaddingMask: paddingMaskFromLengths([1, 2, 3], 3) }),
    ).toThrow(/keyPaddingMask must be bool \[2, 3\]/);
  });
});
