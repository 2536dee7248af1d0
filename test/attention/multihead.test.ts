import { describe, expect, it } from 'vitest';
import {
  add,
  causalMask,
  Generator,
  matmul,
  mean,
  mul,
  MultiHeadAttention,
  noGrad,
  randn,
  reshape,
  slice,
  squeeze,
  sum,
  Tensor,
  transpose,
  unsqueeze,
  zeros,
  type MultiHeadAttentionOptions,
} from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { expectGradClose, gradcheck, randomInput } from '../helpers/gradcheck.js';

const boolMask = (rows: number[][]): Tensor =>
  new Tensor(Uint8Array.from(rows.flat()), [rows.length, rows[0]!.length], 'bool');

/** A module with seeded init and, so that every parameter matters, nonzero biases. */
function makeMha(options: Partial<MultiHeadAttentionOptions> = {}, seed = 1): MultiHeadAttention {
  const generator = new Generator(seed);
  const mha = new MultiHeadAttention({ embedDim: 8, numHeads: 2, batchFirst: true, generator, ...options });
  for (const [name, p] of mha.namedParameters()) {
    if (name.endsWith('bias')) p.data.set(randn(p.shape, { generator }).data);
  }
  return mha;
}

function inputs(b: number, l: number, s: number, e = 8, kdim = e, vdim = e, seed = 3) {
  const generator = new Generator(seed);
  return {
    query: randn([b, l, e], { generator }),
    key: randn([b, s, kdim], { generator }),
    value: randn([b, s, vdim], { generator }),
  };
}

describe('MultiHeadAttention: parameters', () => {
  it('has torch state-dict names, shapes and counts (packed projection)', () => {
    const mha = new MultiHeadAttention({ embedDim: 16, numHeads: 4 });
    expect(mha.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['in_proj_weight', [48, 16]],
      ['in_proj_bias', [48]],
      ['out_proj.weight', [16, 16]],
      ['out_proj.bias', [16]],
    ]);
    expect(mha.numParameters()).toBe(4 * 16 * 16 + 4 * 16);
    expect(new MultiHeadAttention({ embedDim: 16, numHeads: 4, bias: false }).numParameters()).toBe(
      4 * 16 * 16,
    );
  });

  it('has separate q/k/v projections when kdim or vdim differ', () => {
    const mha = new MultiHeadAttention({ embedDim: 12, numHeads: 3, kdim: 10, vdim: 7 });
    expect(mha.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['q_proj_weight', [12, 12]],
      ['k_proj_weight', [12, 10]],
      ['v_proj_weight', [12, 7]],
      ['in_proj_bias', [36]],
      ['out_proj.weight', [12, 12]],
      ['out_proj.bias', [12]],
    ]);
    expect(mha.numParameters()).toBe(144 + 120 + 84 + 36 + 144 + 12);
  });

  it('initialises as torch: xavier in_proj, zero biases, Linear default out_proj; seeded', () => {
    const E = 16;
    const mha = new MultiHeadAttention({ embedDim: E, numHeads: 4, generator: new Generator(5) });
    const bound = Math.sqrt(6 / (E + 3 * E));
    const w = Array.from(mha.inProjWeight!.data);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(Array.from(mha.inProjBias!.data).every((x) => x === 0)).toBe(true);
    expect(Array.from(mha.outProj.bias!.data).every((x) => x === 0)).toBe(true);
    const o = Array.from(mha.outProj.weight.data);
    expect(Math.max(...o.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(E));
    const again = new MultiHeadAttention({ embedDim: E, numHeads: 4, generator: new Generator(5) });
    expect(Array.from(again.inProjWeight!.data)).toEqual(w);
    expect(Array.from(again.outProj.weight.data)).toEqual(o);
  });
});

describe('MultiHeadAttention: forward', () => {
  it('batchFirst=false takes and returns [T, B, E] with the same numbers transposed', () => {
    const first = makeMha({ kdim: 6, vdim: 5 });
    const second = makeMha({ kdim: 6, vdim: 5, batchFirst: false }, 2);
    second.loadStateDict(first.stateDict());
    const { query, key, value } = inputs(2, 3, 4, 8, 6, 5);
    const kpm = boolMask([
      [0, 0, 0, 1],
      [0, 1, 0, 0],
    ]);
    const a = first.forward(query, key, value, { keyPaddingMask: kpm });
    const b = second.forward(transpose(query, 0, 1), transpose(key, 0, 1), transpose(value, 0, 1), {
      keyPaddingMask: kpm,
    });
    expect(b.output.shape).toEqual([3, 2, 8]);
    expectClose(transpose(b.output, 0, 1), a.output, 'output', { atol: 1e-6, rtol: 1e-6 });
    expectClose(b.weights!, a.weights!, 'weights', { atol: 1e-6, rtol: 1e-6 });
  });

  it('returns weights [B, L, S] averaged, [B, H, L, S] per head, or null', () => {
    const mha = makeMha();
    const { query, key, value } = inputs(2, 3, 5);
    const avg = mha.forward(query, key, value);
    const perHead = mha.forward(query, key, value, { averageAttnWeights: false });
    const none = mha.forward(query, key, value, { needWeights: false });
    expect(avg.weights!.shape).toEqual([2, 3, 5]);
    expect(perHead.weights!.shape).toEqual([2, 2, 3, 5]);
    expectClose(mean(perHead.weights!, 1), avg.weights!, 'mean of heads');
    expect(none.weights).toBeNull();
    // Without weights the fused kernel runs: the same numbers up to float32 rounding.
    expectClose(none.output, avg.output, 'output without weights', { atol: 1e-6, rtol: 1e-6 });
    // Each row of weights sums to one.
    expectClose(sum(avg.weights!, -1), zeros([2, 3]).add(1), 'row sums', { atol: 1e-6 });
  });

  it('accepts unbatched inputs as torch does', () => {
    const mha = makeMha();
    const { query, key, value } = inputs(1, 3, 4);
    const attnMask = new Tensor(
      Uint8Array.from({ length: 24 }, (_, i) => (i % 5 === 1 ? 1 : 0)),
      [2, 3, 4],
      'bool',
    );
    const batched = mha.forward(query, key, value, { attnMask, averageAttnWeights: false });
    const single = mha.forward(squeeze(query, 0), squeeze(key, 0), squeeze(value, 0), {
      attnMask,
      keyPaddingMask: boolMask([[0, 0, 0, 0]]).reshape([4]),
      averageAttnWeights: false,
    });
    expect(single.output.shape).toEqual([3, 8]);
    expectClose(unsqueeze(single.output, 0), batched.output, 'output', { atol: 0, rtol: 0 });
    expectClose(unsqueeze(single.weights!, 0), batched.weights!, 'weights', { atol: 0, rtol: 0 });
  });

  it('gives zero weights and a zero attention output, not NaN, for fully masked queries', () => {
    const mha = makeMha();
    for (const p of [mha.inProjBias!, mha.outProj.bias!]) p.data.fill(0);
    const { query, key, value } = inputs(2, 3, 4);
    for (const t of [query, key, value]) t.requireGrad();
    // Batch 1 has every key padded; query 0 of batch 0 is blocked from every key by attnMask.
    const keyPaddingMask = boolMask([
      [0, 0, 1, 0],
      [1, 1, 1, 1],
    ]);
    const attnMask = boolMask([
      [1, 1, 1, 1],
      [0, 0, 0, 0],
      [0, 1, 0, 0],
    ]);
    const { output, weights } = mha.forward(query, key, value, { keyPaddingMask, attnMask });
    const out = output.toArray() as number[][][];
    const w = weights!.toArray() as number[][][];
    expect(out[1]!.flat().every((x) => x === 0)).toBe(true);
    expect(out[0]![0]!.every((x) => x === 0)).toBe(true);
    expect(w[1]!.flat().every((x) => x === 0)).toBe(true);
    expect(w[0]![0]!.every((x) => x === 0)).toBe(true);
    expect(out[0]![1]!.some((x) => x !== 0)).toBe(true);
    add(sum(output), sum(weights!)).backward();
    for (const t of [query, key, value, ...mha.parameters()]) {
      expect(Array.from(t.grad!.data).every(Number.isFinite)).toBe(true);
    }
  });

  it('treats float masks as additive and bool masks as -∞, including per-head [B·H, L, S] masks', () => {
    const mha = makeMha();
    const { query, key, value } = inputs(2, 3, 4);
    const gen = new Generator(11);
    const perHead = new Tensor(
      Uint8Array.from({ length: 4 * 3 * 4 }, () => (gen.uniform() < 0.3 ? 1 : 0)),
      [4, 3, 4],
      'bool',
    );
    const kpm = boolMask([
      [0, 0, 0, 1],
      [1, 0, 0, 0],
    ]);
    const toFloat = (m: Tensor) =>
      new Tensor(
        Float32Array.from(m.data, (x) => (x ? -Infinity : 0)),
        m.shape,
      );
    const a = mha.forward(query, key, value, {
      attnMask: perHead,
      keyPaddingMask: kpm,
      averageAttnWeights: false,
    });
    const b = mha.forward(query, key, value, {
      attnMask: toFloat(perHead),
      keyPaddingMask: toFloat(kpm),
      averageAttnWeights: false,
    });
    const c = mha.forward(query, key, value, {
      attnMask: perHead,
      keyPaddingMask: toFloat(kpm),
      averageAttnWeights: false,
    });
    for (const r of [b, c]) {
      expectClose(r.output, a.output, 'output', { atol: 1e-6, rtol: 1e-6 });
      expectClose(r.weights!, a.weights!, 'weights', { atol: 1e-6, rtol: 1e-6 });
    }
    // Head h of batch b uses mask b·H + h.
    const w = a.weights!.toArray() as number[][][][];
    const m = perHead.toArray() as boolean[][][] | number[][][];
    for (let bi = 0; bi < 2; bi++)
      for (let h = 0; h < 2; h++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 4; j++) if (m[bi * 2 + h]![i]![j]) expect(w[bi]![h]![i]![j]).toBe(0);
    // A finite float mask shifts the scores: adding a constant per row changes nothing.
    const shift = mha.forward(query, key, value, { attnMask: zeros([3, 4]).add(5) });
    expectClose(shift.output, mha.forward(query, key, value).output, 'constant shift', { atol: 1e-6 });
  });

  it('isCausal equals a causal attnMask', () => {
    const mha = makeMha();
    const { query, key, value } = inputs(2, 4, 4);
    const a = mha.forward(query, key, value, { isCausal: true });
    const b = mha.forward(query, key, value, { attnMask: causalMask(4, 4) });
    expectClose(a.output, b.output, 'output', { atol: 0, rtol: 0 });
    expectClose(a.weights!, b.weights!, 'weights', { atol: 0, rtol: 0 });
  });

  it('applies dropout to the weights only in training mode, deterministically with a seeded generator', () => {
    const { query, key, value } = inputs(2, 5, 6);
    const make = () => makeMha({ dropout: 0.5 }, 9);
    const plain = makeMha({}, 9);
    const mha = make();
    mha.eval();
    const evalRun = mha.forward(query, key, value, { averageAttnWeights: false });
    expectClose(evalRun.output, plain.forward(query, key, value).output, 'eval = no dropout', {
      atol: 0,
      rtol: 0,
    });
    mha.train();
    const r1 = mha.forward(query, key, value, { averageAttnWeights: false });
    const w = Array.from(r1.weights!.data);
    const ref = Array.from(evalRun.weights!.data);
    // Each weight is dropped (0) or scaled by 1/(1-p) = 2; both happen.
    w.forEach((x, i) => expect(x === 0 || Math.abs(x - 2 * ref[i]!) < 1e-6).toBe(true));
    expect(w.filter((x) => x === 0).length).toBeGreaterThan(w.length / 4);
    expect(w.filter((x) => x !== 0).length).toBeGreaterThan(w.length / 4);
    expect(Array.from(r1.output.data)).not.toEqual(Array.from(evalRun.output.data));
    // The output uses the dropped weights: recompute it from them.
    const recomputed = noGrad(() => {
      const wv = slice(mha.inProjWeight!, 0, 16, 24);
      const bv = slice(mha.inProjBias!, 0, 16, 24);
      const v = transpose(reshape(add(matmul(value, wv, { transB: true }), bv), [2, 6, 2, 4]), 1, 2);
      const heads = matmul(r1.weights!, v);
      return mha.outProj.forward(reshape(transpose(heads, 1, 2), [2, 5, 8]));
    });
    expectClose(recomputed, r1.output, 'output from dropped weights', { atol: 1e-5 });
    // Same seed, same masks.
    const r2 = make().forward(query, key, value, { averageAttnWeights: false });
    expect(Array.from(r2.output.data)).toEqual(Array.from(r1.output.data));
    expect(Array.from(r2.weights!.data)).toEqual(w);
  });
});

describe('MultiHeadAttention: gradients', () => {
  const setup = () => {
    const mha = makeMha({ embedDim: 4, numHeads: 2, kdim: 3, vdim: 5 }, 21);
    const query = randomInput([2, 3, 4], 31);
    const key = randomInput([2, 4, 3], 32);
    const value = randomInput([2, 4, 5], 33);
    const options = {
      keyPaddingMask: boolMask([
        [0, 0, 0, 1],
        [0, 0, 0, 0],
      ]),
      attnMask: boolMask([
        [0, 1, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 1, 0],
      ]),
      averageAttnWeights: false,
    };
    return { mha, query, key, value, options };
  };

  it('matches finite differences for query, key and value', () => {
    const { mha, query, key, value, options } = setup();
    gradcheck(
      (q, k, v) => {
        const r = mha.forward(q!, k!, v!, options);
        return [r.output, r.weights!];
      },
      [query, key, value],
    );
  });

  it('matches finite differences for every parameter', () => {
    const { mha, query, key, value, options } = setup();
    const run = () => {
      const r = mha.forward(query, key, value, options);
      return [r.output, r.weights!];
    };
    const generator = new Generator(77);
    const weights = noGrad(run).map((o) => randn(o.shape, { generator }));
    const lossOf = (outs: Tensor[]) =>
      outs.reduce((acc, o, i) => {
        const w = weights[i]!.data;
        return acc + Array.from(o.data).reduce((s, x, k) => s + x * w[k]!, 0);
      }, 0);
    mha.zeroGrad();
    run()
      .map((o, i) => sum(mul(o, weights[i]!)))
      .reduce((a, b) => add(a, b))
      .backward();
    for (const [name, p] of mha.namedParameters()) {
      const analytic = Float64Array.from(p.grad!.data);
      const numeric = new Float64Array(p.size);
      for (let k = 0; k < p.size; k++) {
        const x = p.data[k]!;
        const up = Math.fround(x + 1e-2);
        const down = Math.fround(x - 1e-2);
        p.data[k] = up;
        const lUp = lossOf(noGrad(run));
        p.data[k] = down;
        const lDown = lossOf(noGrad(run));
        p.data[k] = x;
        numeric[k] = (lUp - lDown) / (up - down);
      }
      expectGradClose(analytic, numeric, name);
    }
  });
});

describe('MultiHeadAttention: errors', () => {
  it('rejects bad constructor options', () => {
    expect(() => new MultiHeadAttention({ embedDim: 10, numHeads: 3 })).toThrow(
      /MultiHeadAttention: embedDim \(10\) must be divisible by numHeads \(3\)/,
    );
    expect(() => new MultiHeadAttention({ embedDim: 0, numHeads: 1 })).toThrow(/embedDim must be a positive/);
    expect(() => new MultiHeadAttention({ embedDim: 8, numHeads: 2, kdim: 2.5 })).toThrow(/kdim/);
    expect(() => new MultiHeadAttention({ embedDim: 8, numHeads: 2, dropout: 1.5 })).toThrow(/dropout/);
  });

  it('names the argument and the shapes of bad inputs and masks', () => {
    const mha = makeMha({ kdim: 6 });
    const { query, key, value } = inputs(2, 3, 4, 8, 6, 8);
    const bad =
      (options: Parameters<MultiHeadAttention['forward']>[3], q = query, k = key, v = value) =>
      () =>
        mha.forward(q, k, v, options);
    expect(bad({}, randn([2, 3, 7]))).toThrow(
      /MultiHeadAttention: query must be float32 \[B, T, 8\].*\[2,3,7\]/,
    );
    expect(bad({}, query, randn([2, 4, 8]))).toThrow(/key must be float32 \[B, T, 6\].*\[2,4,8\]/);
    expect(bad({}, query, key, randn([8]))).toThrow(/value must be float32/);
    expect(bad({}, query, randn([3, 4, 6]))).toThrow(/same batch size.*key \[3,4,6\]/);
    expect(bad({}, query, key, randn([2, 5, 8]))).toThrow(/same length.*value \[2,5,8\]/);
    expect(bad({ keyPaddingMask: boolMask([[0, 0, 0, 0]]) })).toThrow(
      /keyPaddingMask must be \[2, 4\] \(B, S\), got \[1,4\]/,
    );
    expect(bad({ keyPaddingMask: zeros([2, 4], { dtype: 'int32' }) })).toThrow(
      /keyPaddingMask must be bool .* or float32 .*got int32/,
    );
    expect(bad({ attnMask: boolMask([[0, 0, 0]]) })).toThrow(
      /attnMask must be \[3,4\] or \[4,3,4\] \(B·numHeads, L, S\), got \[1,3\]/,
    );
    expect(bad({ attnMask: zeros([3, 4], { dtype: 'int32' }) })).toThrow(/attnMask must be bool.*got int32/);
    expect(() => mha.forward(query, key, 'value' as unknown as Tensor)).toThrow(/value must be a Tensor/);
  });
});

describe('MultiHeadAttention: cache (incremental decoding)', () => {
  const E = 8;
  const batchFirst = (options: Partial<MultiHeadAttentionOptions> = {}) =>
    makeMha({ embedDim: E, numHeads: 2, batchFirst: true, ...options }).eval();

  it('self-attention one position at a time equals the causal forward at that position', () => {
    for (const options of [{}, { bias: false }]) {
      const mha = batchFirst(options);
      const x = randn([3, 5, E], { generator: new Generator(4) });
      const full = noGrad(() => mha.forward(x, x, x, { isCausal: true, averageAttnWeights: false }));
      let cache = mha.emptyCache();
      for (let t = 0; t < 5; t++) {
        const xt = slice(x, 1, t, t + 1);
        const step = noGrad(() => mha.forward(xt, xt, xt, { cache, averageAttnWeights: false }));
        cache = step.cache!;
        expect(cache.keys!.shape).toEqual([3, 2, t + 1, E / 2]);
        expectClose(step.output, slice(full.output, 1, t, t + 1), `output ${t}`);
        const weights = slice(slice(full.weights!, 2, t, t + 1), 3, 0, t + 1);
        expectClose(step.weights!, weights, `weights ${t}`);
      }
    }
  });

  it('a memory cache (projected once) equals cross-attention over the memory, with key padding', () => {
    const mha = batchFirst();
    const g = new Generator(5);
    const memory = randn([2, 4, E], { generator: g });
    const query = randn([2, 1, E], { generator: g });
    const padding = boolMask([
      [0, 0, 0, 1],
      [0, 0, 0, 0],
    ]);
    const full = noGrad(() => mha.forward(query, memory, memory, { keyPaddingMask: padding }));
    const cache = mha.cacheMemory(memory);
    const cached = noGrad(() => mha.forward(query, memory, memory, { keyPaddingMask: padding, cache }));
    expect(cached.cache).toBe(cache);
    expectClose(cached.output, full.output, 'output');
    expectClose(cached.weights!, full.weights!, 'weights');
  });

  it('rejects what a cache cannot do', () => {
    const x = randn([2, 1, E], { generator: new Generator(6) });
    const seqFirst = makeMha({ embedDim: E, numHeads: 2, batchFirst: false });
    expect(() => seqFirst.forward(x, x, x, { cache: seqFirst.emptyCache() })).toThrow(
      /^MultiHeadAttention: a cache needs batchFirst inputs/,
    );
    const mha = batchFirst();
    const cache = mha.emptyCache();
    expect(() => mha.forward(x, x, x, { cache, attnMask: zeros([1, 1]) })).toThrow(
      /attnMask is not supported/,
    );
    const two = randn([2, 2, E], { generator: new Generator(7) });
    expect(() => mha.forward(two, two, two, { cache, isCausal: true })).toThrow(
      /one query position per call/,
    );
    expect(() => mha.forward(randn([2, 1, 3]), x, x, { cache })).toThrow(
      /with a cache, query must be float32 \[B, T, 8\], got float32 \[2,1,3\]/,
    );
  });
});
