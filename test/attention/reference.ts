/**
 * Hand computations of the attention layers in double precision, straight from their formulas, for the layer
 * tests: scores e_ij = score(q_i, k_j) (+ bias), masked keys removed, softmax over the rest, c_i = Σ_j α_ij v_j.
 */
import { expect } from 'vitest';
import {
  AdditiveAttention,
  ConcatAttention,
  DotAttention,
  GeneralAttention,
  Generator,
  noGrad,
  randn,
  ScaledDotAttention,
  Tensor,
  add,
  mul,
  sum,
  type Attention,
  type Module,
} from '../../src/index.js';
import { expectGradClose } from '../helpers/gradcheck.js';

export type Vec = number[];
export type Mat = number[][];
export type Cube = number[][][];
export type ScoreFn = (q: Vec, k: Vec) => number;

export const dotV = (a: Vec, b: Vec): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
/** M x for M [m, n], x [n]. */
export const matVec = (m: Mat, x: Vec): Vec => m.map((row) => dotV(row, x));

export const mat = (t: Tensor): Mat => t.toArray() as Mat;
export const cube = (t: Tensor): Cube => t.toArray() as Cube;

/** The layer's score function, computed from its parameters by its formula. */
export function scoreFnOf(layer: Attention): ScoreFn {
  if (layer instanceof ScaledDotAttention) return (q, k) => dotV(q, k) * layer.scale;
  if (layer instanceof DotAttention) return dotV;
  if (layer instanceof GeneralAttention) {
    // qᵀ W k with W = W.weight [dq, dk].
    const W = mat(layer.W.weight);
    return (q, k) => dotV(q, matVec(W, k));
  }
  if (layer instanceof AdditiveAttention) {
    // Vᵀ tanh(W1 k + b1 + W2 q + b2) + bV.
    const W1 = mat(layer.W1.weight);
    const b1 = Array.from(layer.W1.bias!.data);
    const W2 = mat(layer.W2.weight);
    const b2 = Array.from(layer.W2.bias!.data);
    const V = mat(layer.V.weight)[0]!;
    const bV = layer.V.bias!.data[0]!;
    return (q, k) => {
      const wk = matVec(W1, k);
      const wq = matVec(W2, q);
      return (
        dotV(
          V,
          wk.map((x, u) => Math.tanh(x + b1[u]! + wq[u]! + b2[u]!)),
        ) + bV
      );
    };
  }
  if (layer instanceof ConcatAttention) {
    // vᵀ tanh(W [q; k] + b).
    const W = mat(layer.W.weight);
    const b = Array.from(layer.W.bias!.data);
    const v = mat(layer.v.weight)[0]!;
    return (q, k) => {
      const h = matVec(W, [...q, ...k]);
      return dotV(
        v,
        h.map((x, u) => Math.tanh(x + b[u]!)),
      );
    };
  }
  throw new Error(`no hand formula for ${layer.constructor.name}`);
}

/** Softmax of a row; masked entries are -∞ and get 0; an all-masked row gives zeros. */
export function softmaxRow(e: Vec): Vec {
  const m = Math.max(...e);
  if (m === -Infinity) return e.map(() => 0);
  const ex = e.map((x) => Math.exp(x - m));
  const s = ex.reduce((a, b) => a + b, 0);
  return ex.map((x) => x / s);
}

export interface HandOptions {
  /** True where query i of batch b may not attend key j. */
  blocked?: (b: number, i: number, j: number) => boolean;
  /** Added to the score (a float mask, a score bias). */
  offset?: (b: number, i: number, j: number) => number;
  /** Scores → weights for one query (softmax by default). */
  normalise?: (e: Vec) => Vec;
}

export interface HandResult {
  scores: Cube;
  weights: Cube;
  context: Cube;
}

/** Attention of queries q [B][Tq][dq] over keys k [B][Tk][dk] and values v [B][Tk][dv], by hand. */
export function handAttention(
  score: ScoreFn,
  q: Cube,
  k: Cube,
  v: Cube,
  options: HandOptions = {},
): HandResult {
  const normalise = options.normalise ?? softmaxRow;
  const scores = q.map((qb, b) =>
    qb.map((qi, i) =>
      k[b]!.map((kj, j) => {
        if (options.blocked?.(b, i, j)) return -Infinity;
        return score(qi, kj) + (options.offset?.(b, i, j) ?? 0);
      }),
    ),
  );
  const weights = scores.map((sb) => sb.map(normalise));
  return { scores, weights, context: contextOf(weights, v) };
}

/** c_i = Σ_j α_ij v_j for weights [B][Tq][Tk] and values [B][Tk][dv]. */
export function contextOf(weights: Cube, v: Cube): Cube {
  return weights.map((wb, b) =>
    wb.map((wi) => v[b]![0]!.map((_, d) => wi.reduce((s, w, j) => s + w * v[b]![j]![d]!, 0))),
  );
}

/** Asserts a tensor equals nested numbers elementwise within atol + rtol·|expected| (NaN never passes). */
export function expectValues(
  actual: Tensor,
  expected: unknown,
  label: string,
  atol = 1e-5,
  rtol = 1e-4,
): void {
  const flat = (expected as unknown[]).flat(4) as number[];
  expect(actual.size, `${label}: size`).toBe(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const a = actual.data[i]!;
    const e = flat[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)))
      expect.fail(`${label}: element ${i} is ${a}, expected ${e}`);
  }
}

/** Seeded N(0, 1) · scale input. */
export function input(shape: readonly number[], seed: number, scale = 1): Tensor {
  const t = randn(shape, { generator: new Generator(seed) });
  if (scale !== 1) for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! * scale;
  return t;
}

/** Row i of a [B, Tq, ...] tensor's nested values: [B][...]. */
export function rowOf(t: Tensor, i: number): unknown[] {
  return (t.toArray() as unknown[][]).map((b) => b[i]);
}

/**
 * Checks ∂L/∂p for the named parameters of `module` (all by default) against central differences of
 * L = Σ_k out_k · R_k, R fixed and random. Parameters are perturbed in place and restored. Returns the analytic
 * gradients by name.
 */
export function checkParameterGradients(
  module: Module,
  run: () => Tensor[],
  options: { names?: readonly string[]; eps?: number; atol?: number; rtol?: number; seed?: number } = {},
): Map<string, Float64Array> {
  const generator = new Generator(options.seed ?? 77);
  const weights = noGrad(run).map((o) => randn(o.shape, { generator }));
  const lossOf = (outs: Tensor[]) =>
    outs.reduce((acc, o, i) => {
      const w = weights[i]!.data;
      let s = 0;
      for (let k = 0; k < o.size; k++) s += o.data[k]! * w[k]!;
      return acc + s;
    }, 0);
  module.zeroGrad();
  run()
    .map((o, i) => sum(mul(o, weights[i]!)))
    .reduce((a, b) => add(a, b))
    .backward();
  const eps = options.eps ?? 1e-2;
  const analytic = new Map<string, Float64Array>();
  for (const [name, p] of module.namedParameters()) {
    if (options.names && !options.names.includes(name)) continue;
    const grad = p.grad ? Float64Array.from(p.grad.data) : new Float64Array(p.size);
    const numeric = new Float64Array(p.size);
    for (let k = 0; k < p.size; k++) {
      const x = p.data[k]!;
      const up = Math.fround(x + eps);
      const down = Math.fround(x - eps);
      p.data[k] = up;
      const lUp = lossOf(noGrad(run));
      p.data[k] = down;
      const lDown = lossOf(noGrad(run));
      p.data[k] = x;
      numeric[k] = (lUp - lDown) / (up - down);
    }
    expectGradClose(grad, numeric, name, { atol: options.atol, rtol: options.rtol });
    analytic.set(name, grad);
  }
  module.zeroGrad();
  return analytic;
}

/** Sparsemax of a row (Martins & Astudillo 2016): max(e_j - τ, 0) with τ from the sorted support; -∞ gets 0. */
export function sparsemaxRow(e: Vec): Vec {
  const sorted = e.filter((x) => x !== -Infinity).sort((a, b) => b - a);
  if (sorted.length === 0) return e.map(() => 0);
  let cumulative = 0;
  let tau = 0;
  for (let k = 0; k < sorted.length; k++) {
    cumulative += sorted[k]!;
    const t = (cumulative - 1) / (k + 1);
    if (sorted[k]! > t) tau = t;
  }
  return e.map((x) => Math.max(x - tau, 0));
}

/**
 * α-entmax of a row (Peters, Niculae & Martins 2019) in double, by 200 halvings of τ:
 * max((α-1)e_j - τ, 0)^{1/(α-1)} with Σ = 1; -∞ gets 0.
 */
export function entmaxRow(e: Vec, alpha: number): Vec {
  const z = e.filter((x) => x !== -Infinity).map((x) => (alpha - 1) * x);
  if (z.length === 0) return e.map(() => 0);
  const p = (tau: number) => z.reduce((s, x) => s + Math.max(x - tau, 0) ** (1 / (alpha - 1)), 0);
  let lo = Math.max(...z) - 1; // the sum is ≥ 1 here
  let hi = Math.max(...z); // and 0 here
  for (let it = 0; it < 200; it++) {
    const mid = (lo + hi) / 2;
    if (p(mid) >= 1) lo = mid;
    else hi = mid;
  }
  return e.map((x) => (x === -Infinity ? 0 : Math.max((alpha - 1) * x - lo, 0) ** (1 / (alpha - 1))));
}

/** The Gumbel-softmax sample of one row, drawing U from `generator` as the library does (τ = 1 by default). */
export function gumbelRow(e: Vec, generator: Generator, tau = 1): Vec {
  const z = e.map((x) => (x - Math.log(-Math.log(generator.uniform() + 2 ** -25))) / tau);
  return softmaxRow(z);
}
