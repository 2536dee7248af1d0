/** Finite-difference gradient checks: crossEntropy, layerNorm and dropout. */
import { describe, expect, it } from 'vitest';
import {
  Generator,
  crossEntropy,
  dropout,
  layerNorm,
  mul,
  tanh,
  tensor,
  type CrossEntropyOptions,
  type Tensor,
} from '../../src/index.js';
import {
  analyticGradients,
  gradcheck,
  randomInput,
  type GradcheckOptions,
  type GradFn,
} from '../helpers/gradcheck.js';

const SEEDS = [1, 2, 3];

function ids(values: number[]): Tensor {
  return tensor(Int32Array.from(values));
}

describe('gradcheck: crossEntropy', () => {
  const targets = ids([2, 0, 3, 3, 1]);
  const withIgnored = ids([2, -100, 3, -100, 1]);
  const customIgnore = ids([2, 0, 3, 0, 1]);
  const cases: [string, Tensor, CrossEntropyOptions][] = [
    ['mean', targets, {}],
    ['sum', targets, { reduction: 'sum' }],
    ['none', targets, { reduction: 'none' }],
    ['mean, ignored rows', withIgnored, {}],
    ['sum, ignored rows', withIgnored, { reduction: 'sum' }],
    ['none, ignored rows', withIgnored, { reduction: 'none' }],
    ['mean, ignoreIndex 0', customIgnore, { ignoreIndex: 0 }],
    ['mean, label smoothing', targets, { labelSmoothing: 0.1 }],
    ['sum, label smoothing', targets, { labelSmoothing: 0.25, reduction: 'sum' }],
    ['none, label smoothing, ignored rows', withIgnored, { labelSmoothing: 0.1, reduction: 'none' }],
    ['mean, label smoothing, ignored rows', withIgnored, { labelSmoothing: 0.3 }],
    ['mean, full smoothing', targets, { labelSmoothing: 1 }],
  ];
  for (const [name, t, options] of cases) {
    it(name, () => {
      for (const seed of SEEDS) {
        gradcheck((x) => crossEntropy(x!, t, options), [randomInput([5, 4], seed, { scale: 2 })]);
      }
    });
  }

  it('ignored rows get exactly zero gradient', () => {
    const [g] = analyticGradients((x) => crossEntropy(x!, withIgnored), [randomInput([5, 4], 1)]);
    expect(Array.from(g!.subarray(4, 8))).toEqual([0, 0, 0, 0]);
    expect(Array.from(g!.subarray(12, 16))).toEqual([0, 0, 0, 0]);
  });

  it('a single row and a single class', () => {
    gradcheck((x) => crossEntropy(x!, ids([1])), [randomInput([1, 3], 4)]);
    gradcheck((x) => crossEntropy(x!, ids([0, 0]), { labelSmoothing: 0.2 }), [randomInput([2, 1], 5)]);
  });

  it('large logits (stable log-softmax)', () => {
    gradcheck(
      (x) => crossEntropy(x!, ids([0, 2])),
      [
        tensor([
          [50, 48, 52],
          [-40, -45, -41],
        ]),
      ],
    );
  });
});

describe('gradcheck: layerNorm', () => {
  // A row of a few N(0, 1) draws can have a small spread, where the curvature (∝ 1/σ³) spoils the finite
  // difference; layerNorm is scale-invariant, so wider inputs test the same thing with less curvature.
  // A smaller step than elsewhere keeps the truncation error of the remaining narrow rows small.
  const input = (shape: number[], seed: number) => randomInput(shape, seed, { scale: 2 });
  const check = (fn: GradFn, inputs: Tensor[], options: GradcheckOptions = {}) =>
    gradcheck(fn, inputs, { eps: 3e-3, ...options });
  const cases: [number[], number[]][] = [
    [[2, 3, 4], [4]],
    [
      [2, 3, 4],
      [3, 4],
    ],
    [[5], [5]],
    [[3, 2], [2]],
  ];
  for (const [shape, norm] of cases) {
    const tag = `input [${shape.join(',')}] over [${norm.join(',')}]`;
    const normalizedShape = norm.length === 1 ? norm[0]! : norm;
    it(`${tag}, no weight or bias`, () => {
      for (const seed of SEEDS) {
        check((x) => layerNorm(x!, normalizedShape), [input(shape, seed)]);
      }
    });
    it(`${tag}, weight and bias`, () => {
      for (const seed of SEEDS) {
        const x = input(shape, seed);
        const w = randomInput(norm, seed + 10, { shift: 1, scale: 0.5 });
        const b = randomInput(norm, seed + 20, { scale: 0.5 });
        check((p, q, r) => layerNorm(p!, normalizedShape, q!, r!), [x, w, b]);
        check((p, q, r) => layerNorm(p!, normalizedShape, q!, r!), [x, w, b], {
          wrt: [false, true, false],
        });
        check((p, q, r) => layerNorm(p!, normalizedShape, q!, r!), [x, w, b], {
          wrt: [true, false, true],
        });
      }
    });
    it(`${tag}, weight only and bias only`, () => {
      for (const seed of SEEDS) {
        const x = input(shape, seed);
        const w = randomInput(norm, seed + 10, { shift: 1, scale: 0.5 });
        check((p, q) => layerNorm(p!, normalizedShape, q!), [x, w]);
        check((p, q) => layerNorm(p!, normalizedShape, null, q!), [x, w]);
      }
    });
  }

  it('a large eps, and inputs with a large offset', () => {
    check((x) => layerNorm(x!, 4, null, null, 0.5), [randomInput([3, 4], 4)]);
    check((x) => layerNorm(x!, 4), [randomInput([3, 4], 5, { shift: 20 })], { eps: 2e-2 });
  });
});

describe('gradcheck: dropout', () => {
  for (const p of [0, 0.3, 0.5, 0.9, 1]) {
    it(`p = ${p}, training`, () => {
      for (const seed of SEEDS) {
        const generator = new Generator(0);
        // The mask comes from the generator: re-seeding it before each evaluation keeps the mask fixed.
        const fn = (x: Tensor) => dropout(tanh(x), p, true, generator.manualSeed(seed));
        gradcheck((x) => fn(x!), [randomInput([4, 5], seed)]);
      }
    });
  }

  it('evaluation mode is the identity', () => {
    gradcheck((x) => mul(dropout(x!, 0.5, false), 1), [randomInput([3, 4], 1)]);
  });

  it('the gradient is the mask scaled by 1/(1-p)', () => {
    const generator = new Generator(11);
    const x = randomInput([200], 2).requireGrad();
    const y = dropout(x, 0.25, true, generator);
    y.backward(tensor(new Float32Array(200).fill(1)));
    const g = Array.from(x.grad!.data);
    for (let i = 0; i < 200; i++) {
      expect(g[i]).toBeCloseTo(y.data[i] === 0 ? 0 : 1 / 0.75, 6);
    }
    expect(g.filter((v) => v === 0).length).toBeGreaterThan(20);
  });
});
