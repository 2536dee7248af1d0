import { describe, expect, it } from 'vitest';
import * as attn from '../../src/index.js';
import {
  Generator,
  gumbelSoftmax,
  hardAttention,
  manualSeed,
  normalize,
  softmax,
  sparsemax,
  tensor,
  type Normalizer,
  type Tensor,
} from '../../src/index.js';
import * as normalizers from '../../src/attention/normalizers.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { expectClose, expectTensor, randomData } from '../tensor/ops/helpers.js';

const NEG = -Infinity;

function scores(seed: number, shape: readonly number[], low = -2, high = 2): Tensor {
  return tensor(
    randomData(
      seed,
      shape.reduce((a, b) => a * b, 1),
      low,
      high,
    ),
    { shape },
  );
}

/** The gradient that `fn` hands back to a fresh leaf copy of `x` for the upstream gradient `upstream`. */
function gradOf(fn: (t: Tensor) => Tensor, x: Tensor, upstream: Tensor): Float32Array {
  const leaf = x.clone().requireGrad();
  fn(leaf).backward(upstream);
  return leaf.grad!.data as Float32Array;
}

/** The Gumbel-softmax sample computed by hand in double precision, drawing from a generator like the library. */
function gumbelByHand(rows: number[][], tau: number, generator: Generator): number[][] {
  return rows.map((row) => {
    const z = row.map((e) => (e + -Math.log(-Math.log(generator.uniform() + 2 ** -25))) / tau);
    const m = Math.max(...z);
    if (m === NEG) return z.map(() => 0);
    const ex = z.map((v) => Math.exp(v - m));
    const s = ex.reduce((a, b) => a + b, 0);
    return ex.map((v) => v / s);
  });
}

function rowsOf(t: Tensor): number[][] {
  return t.toArray() as number[][];
}

/** Index of the maximum of each row of the last axis. */
function argmaxRows(t: Tensor): number[] {
  return rowsOf(t).map((row) => row.indexOf(Math.max(...row)));
}

describe('normalizers: exports', () => {
  it('softmax and sparsemax are the tensor ops, exported once from the package root', () => {
    expect(normalizers.softmax).toBe(softmax);
    expect(normalizers.sparsemax).toBe(sparsemax);
    expect(attn.softmax).toBe(softmax);
    expect(attn.sparsemax).toBe(sparsemax);
    expect(attn.hardAttention).toBe(hardAttention);
    expect(attn.gumbelSoftmax).toBe(gumbelSoftmax);
    expect(attn.normalize).toBe(normalize);
  });
});

describe('normalize: softmax and sparsemax', () => {
  it('dispatches along the last axis', () => {
    const x = scores(1, [2, 3, 5]);
    expect(Array.from(normalize('softmax', x).data)).toEqual(Array.from(softmax(x, -1).data));
    expect(Array.from(normalize('sparsemax', x).data)).toEqual(Array.from(sparsemax(x, -1).data));
    expect(normalize('sparsemax', tensor([[0.1, 1.1, 0.2]])).toArray()).toEqual([
      [0, expect.closeTo(0.95, 6), expect.closeTo(0.05, 6)],
    ]);
  });

  it('gives masked keys weight 0 and fully masked queries zeros', () => {
    const x = tensor([
      [1, NEG, 2],
      [NEG, NEG, NEG],
    ]);
    for (const name of ['softmax', 'sparsemax', 'hard', 'gumbel'] as const) {
      for (const training of [false, true]) {
        const y = normalize(name, x, { training, generator: new Generator(1) });
        expect(y.data[1], `${name} training=${training}`).toBe(0);
        expect(Array.from(y.data.subarray(3)), `${name} training=${training}`).toEqual([0, 0, 0]);
        expect(Math.abs(y.data[0]! + y.data[2]! - 1)).toBeLessThan(1e-6);
      }
    }
  });
});

describe('hardAttention', () => {
  it('is the one-hot of the argmax: first index on ties, zeros for fully masked rows', () => {
    const x = tensor([
      [1, 3, 2],
      [5, 5, 1],
      [NEG, NEG, NEG],
      [NEG, -2, NEG],
      [-1e30, -3e30, NEG],
    ]);
    const y = hardAttention(x);
    expect(y.shape).toEqual([5, 3]);
    expect(y.dtype).toBe('float32');
    expect(y.toArray()).toEqual([
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 0],
      [0, 1, 0],
      [1, 0, 0],
    ]);
    expect(normalize('hard', x).toArray()).toEqual(y.toArray());
  });

  it('has exactly the one-hot value when gradients are recorded', () => {
    const x = scores(2, [4, 6]).requireGrad();
    const y = hardAttention(x);
    expect(y.requiresGrad).toBe(true);
    const expected = argmaxRows(x);
    rowsOf(y).forEach((row, r) => expect(row).toEqual(row.map((_, j) => (j === expected[r] ? 1 : 0))));
  });

  it('has exactly the gradient of softmax (straight-through)', () => {
    const x = tensor([
      [0.3, -1.2, 2.0, 0.1],
      [NEG, 0.5, NEG, 0.4],
      [NEG, NEG, NEG, NEG],
    ]);
    const upstream = scores(3, [3, 4]);
    const hard = gradOf(hardAttention, x, upstream);
    const soft = gradOf((t) => softmax(t, -1), x, upstream);
    expect(Array.from(hard)).toEqual(Array.from(soft));
    expect(hard.some((v) => v !== 0)).toBe(true);
    expect(hard.subarray(8).every((v) => v === 0)).toBe(true); // -0 or 0
    const viaNormalize = gradOf((t) => normalize('hard', t), x, upstream);
    expect(Array.from(viaNormalize)).toEqual(Array.from(soft));
  });
});

describe('gumbelSoftmax', () => {
  const x = tensor([
    [0.5, -0.3, 1.2, 0.0, -2.0],
    [1.0, NEG, 0.2, 0.3, NEG],
    [NEG, NEG, NEG, NEG, NEG],
  ]);

  it('is softmax((scores + g)/τ) with g = -log(-log U) drawn row-major from the generator', () => {
    for (const tau of [1, 0.5, 3]) {
      const y = gumbelSoftmax(x, { temperature: tau, generator: new Generator(42) });
      const want = gumbelByHand(rowsOf(x), tau, new Generator(42));
      expectTensor(y, [3, 5], want.flat(), 2e-5);
      for (const row of rowsOf(y).slice(0, 2)) {
        expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
      }
      expect(y.data[6]).toBe(0);
      expect(y.data[9]).toBe(0);
      expect(Array.from(y.data.subarray(10))).toEqual([0, 0, 0, 0, 0]);
    }
  });

  it('is deterministic for a seed, differs across seeds, and draws one uniform per element', () => {
    const a = gumbelSoftmax(x, { generator: new Generator(7) });
    const b = gumbelSoftmax(x, { generator: new Generator(7) });
    const c = gumbelSoftmax(x, { generator: new Generator(8) });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    const used = new Generator(9);
    gumbelSoftmax(x, { generator: used, hard: true });
    const reference = new Generator(9);
    for (let i = 0; i < x.size; i++) reference.uniform();
    expect(used.getState()).toEqual(reference.getState());
  });

  it('uses the default generator when none is given', () => {
    manualSeed(123);
    const a = gumbelSoftmax(x);
    const b = gumbelSoftmax(x, { generator: new Generator(123) });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('approaches a one-hot vector as the temperature goes to 0', () => {
    const e = scores(4, [16, 8]);
    const hard = gumbelSoftmax(e, { temperature: 1e-4, hard: true, generator: new Generator(5) });
    let previous = Infinity;
    for (const tau of [1, 0.1, 0.01, 1e-4]) {
      const y = gumbelSoftmax(e, { temperature: tau, generator: new Generator(5) });
      let distance = 0;
      for (let i = 0; i < y.size; i++) distance = Math.max(distance, Math.abs(y.data[i]! - hard.data[i]!));
      expect(distance).toBeLessThanOrEqual(previous);
      previous = distance;
    }
    expect(previous).toBeLessThan(1e-3);
  });

  it('with hard=true is the exact one-hot of the soft sample’s argmax', () => {
    for (const tau of [1, 0.3]) {
      const soft = gumbelSoftmax(x, { temperature: tau, generator: new Generator(11) });
      const hard = gumbelSoftmax(x, { temperature: tau, hard: true, generator: new Generator(11) });
      const idx = argmaxRows(soft);
      expect(hard.toArray()).toEqual(
        rowsOf(soft).map((row, r) =>
          r === 2 ? row.map(() => 0) : row.map((_, j) => (j === idx[r] ? 1 : 0)),
        ),
      );
    }
  });

  it('with hard=true has exactly the soft sample’s gradient (same seed)', () => {
    const upstream = scores(6, [3, 5]);
    const hard = gradOf(
      (t) => gumbelSoftmax(t, { temperature: 0.7, hard: true, generator: new Generator(13) }),
      x,
      upstream,
    );
    const soft = gradOf(
      (t) => gumbelSoftmax(t, { temperature: 0.7, generator: new Generator(13) }),
      x,
      upstream,
    );
    expect(Array.from(hard)).toEqual(Array.from(soft));
    expect(hard.some((v) => v !== 0)).toBe(true);
    expect(hard.every((v) => Number.isFinite(v))).toBe(true);
    expect([hard[6], hard[9], ...hard.subarray(10)].every((v) => v === 0)).toBe(true); // -0 or 0
  });

  it('has the gradient of softmax((x + g)/τ) (finite differences, fixed noise)', () => {
    const e = scores(7, [3, 4]);
    gradcheck((t) => gumbelSoftmax(t, { temperature: 0.8, generator: new Generator(17) }), [e]);
  });
});

describe('normalize: gumbel', () => {
  const x = scores(8, [4, 6]);

  it('samples only in training', () => {
    const trained = normalize('gumbel', x, { training: true, temperature: 0.5, generator: new Generator(3) });
    const direct = gumbelSoftmax(x, { temperature: 0.5, generator: new Generator(3) });
    expect(Array.from(trained.data)).toEqual(Array.from(direct.data));
    const hardTrained = normalize('gumbel', x, { training: true, hard: true, generator: new Generator(3) });
    expect(Array.from(hardTrained.data)).toEqual(
      Array.from(gumbelSoftmax(x, { hard: true, generator: new Generator(3) }).data),
    );
  });

  it('in evaluation is softmax(scores/τ), or the one-hot of argmax scores, and draws nothing', () => {
    const generator = new Generator(4);
    const before = generator.getState();
    const evalSoft = normalize('gumbel', x, { temperature: 0.5, generator });
    expectClose(evalSoft.data, softmax(x.mul(2), -1).data, 1e-6);
    expect(Array.from(normalize('gumbel', x, { training: false, generator }).data)).toEqual(
      Array.from(softmax(x, -1).data),
    );
    const evalHard = normalize('gumbel', x, { hard: true, temperature: 0.5, generator });
    expect(evalHard.toArray()).toEqual(hardAttention(x).toArray());
    expect(generator.getState()).toEqual(before);
  });

  it('in evaluation with hard=true has the gradient of softmax(scores/τ)', () => {
    const upstream = scores(9, [4, 6]);
    const hard = gradOf((t) => normalize('gumbel', t, { hard: true, temperature: 0.5 }), x, upstream);
    const soft = gradOf((t) => normalize('gumbel', t, { temperature: 0.5 }), x, upstream);
    expect(Array.from(hard)).toEqual(Array.from(soft));
  });
});

describe('normalizers: errors', () => {
  const x = tensor([[1, 2, 3]]);
  const ints = tensor([[1, 2, 3]], { dtype: 'int32' });

  it('rejects unknown normalisers with the known names', () => {
    expect(() => normalize('maxout' as Normalizer, x)).toThrow(
      /normalize: unknown normaliser 'maxout'; expected one of 'softmax', 'sparsemax', 'entmax15', 'entmax', 'hard', 'gumbel'/,
    );
  });

  it('rejects temperatures that are not positive and finite', () => {
    for (const temperature of [0, -1, NaN, Infinity]) {
      expect(() => gumbelSoftmax(x, { temperature })).toThrow(
        /gumbelSoftmax: temperature must be a positive finite number/,
      );
      expect(() => normalize('gumbel', x, { temperature, training: true })).toThrow(/temperature must be/);
      expect(() => normalize('gumbel', x, { temperature })).toThrow(
        /normalize: temperature must be a positive finite number/,
      );
    }
  });

  it('rejects int32 and scalar scores', () => {
    expect(() => hardAttention(ints)).toThrow(/hardAttention: scores must be float32, got int32/);
    expect(() => gumbelSoftmax(ints)).toThrow(/gumbelSoftmax: scores must be float32, got int32/);
    for (const name of ['softmax', 'sparsemax', 'gumbel'] as const) {
      expect(() => normalize(name, ints)).toThrow(/normalize: scores must be float32, got int32/);
    }
    expect(() => normalize('hard', ints)).toThrow(/scores must be float32/);
    expect(() => hardAttention(tensor(1))).toThrow(/hardAttention: scores must have at least one axis/);
    expect(() => normalize('softmax', tensor(1))).toThrow(/normalize: scores must have at least one axis/);
  });
});
