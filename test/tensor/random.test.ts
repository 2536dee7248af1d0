import { afterEach, describe, expect, it } from 'vitest';
import {
  bernoulli,
  defaultGenerator,
  Generator,
  manualSeed,
  rand,
  randint,
  randn,
  randperm,
} from '../../src/index.js';

const draw = (g: Generator, n: number, f: (g: Generator) => number) => Array.from({ length: n }, () => f(g));

afterEach(() => {
  manualSeed(0);
});

describe('Generator', () => {
  it('the same seed gives the same numbers, different seeds differ', () => {
    expect(draw(new Generator(7), 20, (g) => g.nextUint32())).toEqual(
      draw(new Generator(7), 20, (g) => g.nextUint32()),
    );
    const streams = [0, 1, 2, 3, 12345, -1, -3, 2 ** 32, 2 ** 32 + 1, 2 ** 40, -(2 ** 40)].map((s) =>
      draw(new Generator(s), 8, (g) => g.nextUint32()),
    );
    for (let i = 0; i < streams.length; i++)
      for (let j = i + 1; j < streams.length; j++) expect(streams[i]).not.toEqual(streams[j]);
    expect(new Generator().getState()).toEqual(new Generator(0).getState());
  });

  it('manualSeed restarts the stream (and drops a pending normal)', () => {
    const g = new Generator(5);
    const first = draw(g, 5, (x) => x.uniform());
    g.normal();
    g.manualSeed(5);
    expect(g.getState().spareNormal).toBe(null);
    expect(draw(g, 5, (x) => x.uniform())).toEqual(first);
  });

  it('produces unsigned 32-bit integers', () => {
    for (const v of draw(new Generator(1), 1000, (g) => g.nextUint32())) {
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(2 ** 32);
    }
  });

  it('getState/setState resume exactly, including a pending Box–Muller spare', () => {
    const g = new Generator(11);
    draw(g, 3, (x) => x.uniform());
    g.normal(); // leaves the second normal of the pair pending
    const state = g.getState();
    expect(state.spareNormal).not.toBe(null);
    const after = [...draw(g, 5, (x) => x.normal()), ...draw(g, 5, (x) => x.uniform())];
    const h = new Generator(999);
    h.setState(state);
    expect([...draw(h, 5, (x) => x.normal()), ...draw(h, 5, (x) => x.uniform())]).toEqual(after);
    g.setState(state);
    expect(draw(g, 5, (x) => x.normal())).toEqual(after.slice(0, 5));
    // The state is a snapshot: drawing does not change a saved one, and it survives JSON.
    const copy = JSON.parse(JSON.stringify(state)) as typeof state;
    const k = new Generator();
    k.setState(copy);
    expect(k.normal()).toBe(after[0]);
  });

  it('getState gives unsigned words that setState accepts, after any number of draws', () => {
    for (let seed = 0; seed < 16; seed++) {
      const g = new Generator(seed);
      for (let i = 0; i < seed; i++) g.nextUint32();
      const state = g.getState();
      for (const w of state.words) {
        expect(Number.isInteger(w)).toBe(true);
        expect(w).toBeGreaterThanOrEqual(0);
        expect(w).toBeLessThan(2 ** 32);
      }
      const h = new Generator();
      h.setState(state);
      expect(draw(h, 4, (x) => x.nextUint32())).toEqual(draw(g, 4, (x) => x.nextUint32()));
    }
  });

  it('setState rejects malformed states', () => {
    const g = new Generator();
    expect(() => g.setState({ words: [1, 2, 3], spareNormal: null } as never)).toThrow(
      /^Generator.setState: /,
    );
    expect(() => g.setState({ words: [1, 2, 3, -1], spareNormal: null })).toThrow(/^Generator.setState: /);
    expect(() => g.setState({ words: [1, 2, 3, 2 ** 32], spareNormal: null })).toThrow(
      /^Generator.setState: /,
    );
    expect(() => new Generator(0.5)).toThrow(/^manualSeed: seed must be a safe integer/);
  });

  it('uniform lies in [0, 1) with mean ≈ 0.5 and variance ≈ 1/12', () => {
    const g = new Generator(3);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const u = g.uniform();
      s += u;
      s2 += u * u;
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(Math.fround(hi)).toBeLessThan(1);
    const mean = s / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005); // σ/√n ≈ 0.0009
    expect(Math.abs(s2 / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('normal has mean ≈ 0 and std ≈ 1 over 100k draws', () => {
    const g = new Generator(4);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    let s4 = 0;
    let nonFinite = 0;
    for (let i = 0; i < n; i++) {
      const z = g.normal();
      if (!Number.isFinite(z)) nonFinite++;
      s += z;
      s2 += z * z;
      s4 += z ** 4;
    }
    expect(nonFinite).toBe(0);
    const mean = s / n;
    const std = Math.sqrt(s2 / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.02); // σ/√n ≈ 0.003
    expect(Math.abs(std - 1)).toBeLessThan(0.02);
    expect(Math.abs(s4 / n - 3)).toBeLessThan(0.15); // kurtosis of a normal is 3
  });

  it('bernoulli is true with frequency p', () => {
    const g = new Generator(5);
    for (const p of [0, 0.2, 0.5, 0.9, 1]) {
      let hits = 0;
      for (let i = 0; i < 20_000; i++) if (g.bernoulli(p)) hits++;
      expect(Math.abs(hits / 20_000 - p)).toBeLessThan(0.015);
      if (p === 0) expect(hits).toBe(0);
      if (p === 1) expect(hits).toBe(20_000);
    }
  });

  it('randint stays in [low, high) and reaches both ends', () => {
    const g = new Generator(6);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = g.randint(-3, 4);
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(-3);
      expect(v).toBeLessThan(4);
      seen.add(v);
    }
    expect(seen.size).toBe(7);
    expect(g.randint(5, 6)).toBe(5);
    const big = g.randint(0, 2 ** 53 - 1);
    expect(big).toBeGreaterThanOrEqual(0);
    expect(big).toBeLessThan(2 ** 53 - 1);
    expect(() => g.randint(3, 3)).toThrow(/^randint: needs integers low < high/);
    expect(() => g.randint(0, 2.5)).toThrow(/^randint: /);
  });

  it('permutation is a permutation and is seed-deterministic', () => {
    const p = new Generator(8).permutation(100);
    expect(p).toBeInstanceOf(Int32Array);
    expect([...p].sort((a, b) => a - b)).toEqual([...Array(100).keys()]);
    expect(p).toEqual(new Generator(8).permutation(100));
    expect(p).not.toEqual(new Generator(9).permutation(100));
    expect([...p]).not.toEqual([...Array(100).keys()]);
    expect(new Generator().permutation(0).length).toBe(0);
    expect(Array.from(new Generator().permutation(1))).toEqual([0]);
    expect(() => new Generator().permutation(-1)).toThrow(/^permutation: /);
  });

  it('fillUniform and fillNormal respect their parameters', () => {
    const u = new Generator(1).fillUniform(new Float32Array(1000), -2, 3);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(3);
    const z = new Generator(1).fillNormal(new Float32Array(10_000), 5, 0.1);
    const mean = z.reduce((s, v) => s + v, 0) / z.length;
    expect(Math.abs(mean - 5)).toBeLessThan(0.01);
  });
});

describe('the default generator and the tensor factories', () => {
  it('manualSeed resets the default generator', () => {
    manualSeed(123);
    const a = rand([5]);
    const b = randn([5]);
    manualSeed(123);
    expect(rand([5]).data).toEqual(a.data);
    expect(randn([5]).data).toEqual(b.data);
    expect(manualSeed(123)).toBe(defaultGenerator());
    expect(defaultGenerator().getState()).toEqual(new Generator(123).getState());
  });

  it('rand/randn/randint/bernoulli/randperm use a passed generator and leave the default alone', () => {
    manualSeed(1);
    const before = defaultGenerator().getState();
    const g = () => new Generator(77);
    const u = rand([2, 3], { generator: g() });
    expect(u.shape).toEqual([2, 3]);
    expect(u.dtype).toBe('float32');
    expect(Array.from(u.data)).toEqual(Array.from(g().fillUniform(new Float32Array(6))));
    const z = randn([4], { generator: g() });
    expect(Array.from(z.data)).toEqual(Array.from(g().fillNormal(new Float32Array(4))));
    const ids = randint(0, 10, [3, 3], { generator: g() });
    expect(ids.dtype).toBe('int32');
    const h = g();
    expect(Array.from(ids.data)).toEqual(Array.from({ length: 9 }, () => h.randint(0, 10)));
    const mask = bernoulli(0.5, [8], { generator: g() });
    expect(mask.dtype).toBe('bool');
    const k = g();
    expect(Array.from(mask.data)).toEqual(Array.from({ length: 8 }, () => (k.uniform() < 0.5 ? 1 : 0)));
    const perm = randperm(10, { generator: g() });
    expect(perm.dtype).toBe('int32');
    expect(perm.shape).toEqual([10]);
    expect(Array.from(perm.data)).toEqual(Array.from(g().permutation(10)));
    expect(defaultGenerator().getState()).toEqual(before);
  });

  it('factories draw from the default generator when none is passed', () => {
    manualSeed(2);
    const ids = randint(-5, 5, [1000]);
    for (const v of ids.data) {
      expect(v).toBeGreaterThanOrEqual(-5);
      expect(v).toBeLessThan(5);
    }
    const mask = bernoulli(0.25, [10_000]);
    const hits = Array.from(mask.data).reduce((s, v) => s + v, 0);
    expect(Math.abs(hits / 10_000 - 0.25)).toBeLessThan(0.03);
    expect(Array.from(bernoulli(1, [4]).data)).toEqual([1, 1, 1, 1]);
    expect(Array.from(bernoulli(0, [4]).data)).toEqual([0, 0, 0, 0]);
    expect(() => bernoulli(1.5, [2])).toThrow(/^bernoulli: p must be in \[0, 1\]/);
    expect(rand([3], { requiresGrad: true }).requiresGrad).toBe(true);
    manualSeed(2);
    expect(randint(-5, 5, [1000]).data).toEqual(ids.data);
  });
});
