/**
 * Finite-difference gradient checking for float32 ops.
 *
 * The scalar loss is L = Σ_k out_k · R_k with a fixed random R, so that every output element matters. The
 * analytic gradient comes from `backward(R)`; the numeric one from central differences of L, evaluated in
 * double precision over the float32 outputs (each evaluation runs the forward under noGrad on fresh leaf clones
 * with one element perturbed). With float32 forwards a step around 1e-2 keeps the rounding error of the
 * difference quotient well below the tolerance; inputs must stay further than the step from any kink (abs,
 * relu, clamp bounds, ties of max/min) — build them so, with the helpers below.
 */
import { expect } from 'vitest';
import { Generator, add, formatShape, mul, noGrad, randn, sum, Tensor, type Shape } from '../../src/index.js';

export interface GradcheckOptions {
  /** Step of the central difference (default 1e-2). */
  eps?: number;
  /** Absolute tolerance (default 5e-4). */
  atol?: number;
  /** Relative tolerance, against the numeric gradient (default 5e-3). */
  rtol?: number;
  /** Which inputs to differentiate (default: all). The others must get no gradient at all. */
  wrt?: readonly boolean[];
  /** Seed of the random weights R of the loss (default 1234). */
  seed?: number;
}

type Outputs = Tensor | readonly Tensor[];
export type GradFn = (...inputs: Tensor[]) => Outputs;

function asList(out: Outputs): readonly Tensor[] {
  return out instanceof Tensor ? [out] : out;
}

/** The fixed weights R, one tensor per output, drawn from a seeded generator. */
function lossWeights(outputs: readonly Tensor[], seed: number): Tensor[] {
  const generator = new Generator(seed);
  return outputs.map((o) => randn(o.shape, { generator }));
}

/** L = Σ out ⊙ R in double precision over the float32 values. */
function lossValue(outputs: readonly Tensor[], weights: readonly Tensor[]): number {
  let total = 0;
  outputs.forEach((o, i) => {
    const w = weights[i]!.data;
    const d = o.data;
    for (let k = 0; k < d.length; k++) total += d[k]! * w[k]!;
  });
  return total;
}

function leafClones(inputs: readonly Tensor[], wrt: readonly boolean[]): Tensor[] {
  return inputs.map((t, i) => {
    const c = t.clone();
    return wrt[i] ? c.requireGrad() : c;
  });
}

function resolveWrt(inputs: readonly Tensor[], wrt?: readonly boolean[]): boolean[] {
  return inputs.map((t, i) => (wrt ? wrt[i] === true : true) && t.dtype === 'float32');
}

/**
 * ∂L/∂input for every input from backward(): a Float64Array per input (null where the input is not
 * differentiated, or where it got no gradient at all).
 */
export function analyticGradients(fn: GradFn, inputs: readonly Tensor[], options: GradcheckOptions = {}) {
  const wrt = resolveWrt(inputs, options.wrt);
  const leaves = leafClones(inputs, wrt);
  const outputs = asList(fn(...leaves));
  const weights = lossWeights(outputs, options.seed ?? 1234);
  if (outputs.length === 1) {
    outputs[0]!.backward(weights[0]!);
  } else {
    let loss: Tensor | null = null;
    outputs.forEach((o, i) => {
      if (!o.requiresGrad) return;
      const term = sum(mul(o, weights[i]!));
      loss = loss === null ? term : add(loss, term);
    });
    if (loss === null) throw new Error('gradcheck: no output requires gradients');
    (loss as Tensor).backward();
  }
  return leaves.map((leaf, i) => {
    if (!wrt[i]) {
      expect(leaf.grad, `input ${i} is not differentiated but received a gradient`).toBeNull();
      return null;
    }
    const g = leaf.grad;
    if (g === null) return null;
    expect(g.shape, `shape of the gradient of input ${i}`).toEqual(leaf.shape);
    expect(g.dtype).toBe('float32');
    return Float64Array.from(g.data);
  });
}

/** ∂L/∂input by central differences, for the inputs selected by `wrt` (null for the others). */
export function numericGradients(fn: GradFn, inputs: readonly Tensor[], options: GradcheckOptions = {}) {
  const wrt = resolveWrt(inputs, options.wrt);
  const eps = options.eps ?? 1e-2;
  const weights = noGrad(() =>
    lossWeights(asList(fn(...inputs.map((t) => t.clone()))), options.seed ?? 1234),
  );
  const evaluate = (input: number, element: number, value: number): number =>
    noGrad(() => {
      const clones = inputs.map((t) => t.clone());
      clones[input]!.data[element] = value;
      return lossValue(asList(fn(...clones)), weights);
    });
  return inputs.map((t, i) => {
    if (!wrt[i]) return null;
    const grad = new Float64Array(t.size);
    for (let k = 0; k < t.size; k++) {
      const x = t.data[k]!;
      // The steps actually taken in float32, so that the quotient divides by the true difference; for huge
      // values (a -1e9 mask fill) the step grows until it moves the value at all.
      let h = eps;
      while (Math.fround(x + h) === Math.fround(x - h)) h *= 2;
      const up = Math.fround(x + h);
      const down = Math.fround(x - h);
      grad[k] = (evaluate(i, k, up) - evaluate(i, k, down)) / (up - down);
    }
    return grad;
  });
}

/** Asserts |a - n| ≤ atol + rtol·|n| elementwise, reporting the worst elements. */
export function expectGradClose(
  analytic: ArrayLike<number> | null,
  numeric: ArrayLike<number>,
  label: string,
  options: { atol?: number; rtol?: number } = {},
): void {
  const atol = options.atol ?? 5e-4;
  const rtol = options.rtol ?? 5e-3;
  const a = analytic ?? new Float64Array(numeric.length);
  expect(a.length, `${label}: gradient length`).toBe(numeric.length);
  const bad: string[] = [];
  for (let k = 0; k < numeric.length; k++) {
    const n = numeric[k]!;
    const v = a[k]!;
    if (!(Math.abs(v - n) <= atol + rtol * Math.abs(n))) {
      bad.push(`[${k}] analytic ${v.toPrecision(6)} vs numeric ${n.toPrecision(6)}`);
    }
  }
  if (bad.length > 0) {
    const shown = bad.slice(0, 8).join('; ');
    expect.fail(`${label}: ${bad.length} of ${numeric.length} elements differ: ${shown}`);
  }
}

/**
 * Checks the gradients of `fn` with respect to each (selected) float32 input against central differences.
 * `fn` may return one tensor or several (their losses add up); integer arguments are closed over by `fn`.
 */
export function gradcheck(fn: GradFn, inputs: readonly Tensor[], options: GradcheckOptions = {}): void {
  const analytic = analyticGradients(fn, inputs, options);
  const numeric = numericGradients(fn, inputs, options);
  numeric.forEach((n, i) => {
    if (n) expectGradClose(analytic[i]!, n, `input ${i} ${formatShape(inputs[i]!.shape)}`, options);
  });
}

export interface RandomInputOptions {
  /** Multiplies the standard normal draws (default 1). */
  scale?: number;
  /** Added after scaling (default 0). */
  shift?: number;
  /** Values closer than this to any of `avoid` are pushed out to that distance (default 0.1). */
  margin?: number;
  /** Points to keep away from (kinks: 0 for abs and relu, clamp bounds). */
  avoid?: readonly number[];
  /** Takes |value| before shifting, for positive inputs (log, sqrt, pow's base): use with shift > 0. */
  positive?: boolean;
}

/** A seeded float32 input: shift + scale · N(0, 1), optionally kept away from kinks. */
export function randomInput(shape: Shape, seed: number, options: RandomInputOptions = {}): Tensor {
  const t = randn(shape, { generator: new Generator(seed) });
  const scale = options.scale ?? 1;
  const shift = options.shift ?? 0;
  const margin = options.margin ?? 0.1;
  const d = t.data;
  for (let k = 0; k < d.length; k++) {
    let v = d[k]! * scale;
    if (options.positive) v = Math.abs(v);
    v += shift;
    for (const p of options.avoid ?? []) {
      if (Math.abs(v - p) < margin) v = v >= p ? p + margin : p - margin;
    }
    d[k] = v;
  }
  return t;
}

/**
 * Several inputs whose values are all distinct, at least `gap` apart (a shuffled grid, plus jitter below the
 * gap): for max/min, maximum/minimum, where a tie anywhere would be a kink.
 */
export function distinctInputs(shapes: readonly Shape[], seed: number, gap = 0.1): Tensor[] {
  const generator = new Generator(seed);
  const total = shapes.reduce((n, s) => n + s.reduce((p, q) => p * q, 1), 0);
  const order = generator.permutation(total);
  let next = 0;
  return shapes.map((shape) => {
    const t = randn(shape, { generator });
    const d = t.data;
    for (let k = 0; k < d.length; k++) {
      const jitter = generator.uniform() * 0.3 * gap;
      d[k] = (order[next++]! - total / 2) * gap + jitter;
    }
    return t;
  });
}
