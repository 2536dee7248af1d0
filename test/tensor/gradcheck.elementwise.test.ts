/** Finite-difference gradient checks: elementwise ops of one and two tensors, where and maskedFill. */
import { describe, expect, it } from 'vitest';
import {
  Generator,
  abs,
  add,
  bernoulli,
  clamp,
  div,
  exp,
  gelu,
  log,
  maskedFill,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  reciprocal,
  relu,
  sigmoid,
  sign,
  sqrt,
  square,
  sub,
  tanh,
  tensor,
  where,
  type Shape,
  type Tensor,
} from '../../src/index.js';
import { analyticGradients, distinctInputs, gradcheck, randomInput } from '../helpers/gradcheck.js';

/** Operand shape pairs: equal, broadcast both ways, size-1 axes, missing leading axes, 0-d. */
const SHAPE_PAIRS: [Shape, Shape][] = [
  [
    [2, 3],
    [2, 3],
  ],
  [
    [3, 1, 4],
    [2, 1],
  ],
  [[4], [2, 3, 4]],
  [
    [2, 1, 3],
    [1, 4, 1],
  ],
  [[], [2, 3]],
  [[1], [3]],
];
const SEEDS = [1, 2];

function mask(shape: Shape, seed: number): Tensor {
  return bernoulli(0.5, shape, { generator: new Generator(seed) });
}

describe('gradcheck: binary ops with broadcasting', () => {
  for (const [sa, sb] of SHAPE_PAIRS) {
    for (const seed of SEEDS) {
      const tag = `[${sa.join(',')}] with [${sb.join(',')}], seed ${seed}`;
      const a = randomInput(sa, seed);
      const b = randomInput(sb, seed + 100);
      it(`add ${tag}`, () => gradcheck(add, [a, b]));
      it(`sub ${tag}`, () => gradcheck(sub, [a, b]));
      it(`mul ${tag}`, () => gradcheck(mul, [a, b]));
      it(`div ${tag}`, () => {
        gradcheck(div, [a, randomInput(sb, seed + 200, { avoid: [0], margin: 0.5 })], { rtol: 1e-2 });
      });
      it(`pow (base and exponent) ${tag}`, () => {
        const base = randomInput(sa, seed + 300, { positive: true, shift: 0.5, scale: 0.7 });
        const exponent = randomInput(sb, seed + 400, { scale: 0.8 });
        gradcheck(pow, [base, exponent]);
      });
      it(`maximum and minimum ${tag}`, () => {
        const [x, y] = distinctInputs([sa, sb], seed);
        gradcheck(maximum, [x!, y!]);
        gradcheck(minimum, [x!, y!]);
      });
    }
  }

  it('random broadcast shapes', () => {
    const g = new Generator(99);
    for (let trial = 0; trial < 12; trial++) {
      // A full shape of up to 3 axes; each operand drops some leading axes and turns some sizes into 1.
      const ndim = g.randint(0, 4);
      const full = Array.from({ length: ndim }, () => g.randint(1, 4));
      const pick = () => full.slice(g.randint(0, ndim + 1)).map((d) => (g.uniform() < 0.4 ? 1 : d));
      const [sa, sb, sc] = [pick(), pick(), pick()];
      const a = randomInput(sa, trial);
      const b = randomInput(sb, trial + 100, { avoid: [0], margin: 0.5 });
      for (const op of [add, sub, mul, div]) gradcheck(op, [a, b]);
      gradcheck(pow, [
        randomInput(sa, trial, { positive: true, shift: 0.5 }),
        randomInput(sb, trial, { scale: 0.8 }),
      ]);
      const [x, y] = distinctInputs([sa, sb], trial);
      gradcheck(maximum, [x!, y!]);
      gradcheck(minimum, [x!, y!]);
      const cond = mask(sc, trial);
      gradcheck((p, q) => where(cond, p!, q!), [a, b]);
    }
  });

  it('numbers as operands on either side', () => {
    const x = randomInput([2, 3], 5, { avoid: [0], margin: 0.5 });
    gradcheck((t) => add(t, 2), [x]);
    gradcheck((t) => sub(1.5, t), [x]);
    gradcheck((t) => mul(-3, t), [x]);
    gradcheck((t) => div(t, 4), [x]);
    gradcheck((t) => div(2, t), [x]);
    gradcheck((t) => pow(t, 3), [x]);
    gradcheck((t) => pow(t, 2), [x]);
    gradcheck((t) => pow(1.7, t), [x]);
    gradcheck((t) => maximum(t, 0.25), [randomInput([2, 3], 6, { avoid: [0.25] })]);
    gradcheck((t) => minimum(0.25, t), [randomInput([2, 3], 6, { avoid: [0.25] })]);
  });

  it('pow at a zero base: no NaN where a^b is locally constant (as PyTorch)', () => {
    // Integer exponents keep a^b defined on both sides of a = 0.
    const base = tensor([0, 0, 0, 0, 1.5, -0.7]);
    const exponent = tensor([0, 1, 2, 3, 0, 2]);
    gradcheck(pow, [base, exponent], { wrt: [true, false] });
    // 0^b = 0 for every b > 0.
    gradcheck(pow, [tensor([0, 0, 2]), tensor([2, 0.5, 1.3])], { wrt: [false, true] });
    // At a = b = 0 (not differentiable) both gradients are 0, as in PyTorch.
    const a = tensor([0]).requireGrad();
    const b = tensor([0]).requireGrad();
    pow(a, b).backward(tensor([1]));
    expect([a.grad!.item(), b.grad!.item()]).toEqual([0, 0]);
  });

  it('an operand used on both sides', () => {
    const x = randomInput([3, 2], 7, { avoid: [0], margin: 0.3 });
    gradcheck((t) => mul(t, t), [x]);
    gradcheck((t) => div(t, add(mul(t, t), 1)), [x]);
    gradcheck((t) => sub(t, t), [x]);
  });

  it('only the operand that requires gradients gets one', () => {
    // b is a positive base for pow; a a denominator away from 0 for div.
    const a = randomInput([3, 1, 4], 8, { scale: 0.8, avoid: [0], margin: 0.5 });
    const b = randomInput([2, 1], 9, { positive: true, shift: 0.5 });
    for (const op of [add, sub, mul, div, pow]) {
      gradcheck(op, [b, a], { wrt: [true, false] });
      gradcheck(op, [b, a], { wrt: [false, true] });
    }
    const [x, y] = distinctInputs(
      [
        [3, 1, 4],
        [2, 1],
      ],
      10,
    );
    for (const op of [maximum, minimum]) {
      gradcheck(op, [x!, y!], { wrt: [true, false] });
      gradcheck(op, [x!, y!], { wrt: [false, true] });
    }
  });

  it('maximum and minimum split the gradient evenly at ties', () => {
    const x = tensor([1, 2, 3]).requireGrad();
    const y = tensor([1, 5, 0]).requireGrad();
    maximum(x, y).backward(tensor([10, 20, 30]));
    expect(Array.from(x.grad!.data)).toEqual([5, 0, 30]);
    expect(Array.from(y.grad!.data)).toEqual([5, 20, 0]);
    const u = tensor([1, 2]).requireGrad();
    const v = tensor([1, 1]).requireGrad();
    minimum(u, v).backward(tensor([4, 8]));
    expect(Array.from(u.grad!.data)).toEqual([2, 0]);
    expect(Array.from(v.grad!.data)).toEqual([2, 8]);
  });
});

describe('gradcheck: unary ops', () => {
  const shapes: Shape[] = [[], [5], [2, 3, 4]];
  for (const shape of shapes) {
    for (const seed of SEEDS) {
      const tag = `[${shape.join(',')}], seed ${seed}`;
      const x = randomInput(shape, seed, { scale: 1.5 });
      const positive = randomInput(shape, seed, { positive: true, shift: 0.3 });
      const awayFromZero = randomInput(shape, seed, { scale: 1.5, avoid: [0], margin: 0.1 });
      it(`neg ${tag}`, () => gradcheck(neg, [x]));
      it(`exp ${tag}`, () => gradcheck(exp, [x]));
      it(`log ${tag}`, () => gradcheck(log, [positive]));
      it(`sqrt ${tag}`, () => gradcheck(sqrt, [positive]));
      it(`abs ${tag}`, () => gradcheck(abs, [awayFromZero]));
      it(`tanh ${tag}`, () => gradcheck(tanh, [x]));
      it(`sigmoid ${tag}`, () => gradcheck(sigmoid, [x]));
      it(`relu ${tag}`, () => gradcheck(relu, [awayFromZero]));
      it(`gelu ${tag}`, () => gradcheck(gelu, [x]));
      it(`square ${tag}`, () => gradcheck(square, [x]));
      it(`reciprocal ${tag}`, () =>
        gradcheck(reciprocal, [randomInput(shape, seed, { avoid: [0], margin: 0.5 })]));
      it(`sign has a zero gradient ${tag}`, () => gradcheck(sign, [awayFromZero]));
    }
  }

  it('sigmoid, tanh and gelu far in the tails', () => {
    const x = tensor([-12, -6, -3.5, 3.5, 6, 12]);
    gradcheck(sigmoid, [x]);
    gradcheck(tanh, [x]);
    gradcheck(gelu, [x]);
  });

  it('abs and relu give 0 at 0 (PyTorch convention)', () => {
    const x = tensor([0, 0]).requireGrad();
    abs(x).backward(tensor([1, 1]));
    expect(Array.from(x.grad!.data)).toEqual([0, 0]);
    const y = tensor([0]).requireGrad();
    relu(y).backward(tensor([1]));
    expect(Array.from(y.grad!.data)).toEqual([0]);
  });

  describe('clamp', () => {
    for (const seed of SEEDS) {
      const shape = [3, 4];
      it(`both bounds, seed ${seed}`, () => {
        const x = randomInput(shape, seed, { scale: 1.5, avoid: [-0.5, 0.7] });
        gradcheck((t) => clamp(t, -0.5, 0.7), [x]);
      });
      it(`min only, seed ${seed}`, () => {
        gradcheck((t) => clamp(t, 0.2), [randomInput(shape, seed, { avoid: [0.2] })]);
      });
      it(`max only, seed ${seed}`, () => {
        gradcheck((t) => clamp(t, undefined, -0.3), [randomInput(shape, seed, { avoid: [-0.3] })]);
      });
    }
  });
});

describe('gradcheck: where and maskedFill', () => {
  const cases: [Shape, Shape, Shape][] = [
    [
      [2, 3],
      [2, 3],
      [2, 3],
    ],
    [[3, 1, 4], [2, 1], [4]],
    [
      [2, 1],
      [1, 3],
      [2, 1],
    ],
    [[], [2, 3], [3]],
    [[2, 3, 4], [], [1, 4]],
  ];
  for (const [sc, sa, sb] of cases) {
    for (const seed of SEEDS) {
      it(`where cond [${sc.join(',')}], a [${sa.join(',')}], b [${sb.join(',')}], seed ${seed}`, () => {
        const cond = mask(sc, seed);
        gradcheck((a, b) => where(cond, a!, b!), [randomInput(sa, seed), randomInput(sb, seed + 1)]);
      });
    }
  }

  it('where with a number on either side', () => {
    const cond = mask([3, 4], 3);
    gradcheck((a) => where(cond, a!, 0), [randomInput([3, 4], 1)]);
    gradcheck((b) => where(cond, -1, b!), [randomInput([4], 2)]);
  });

  const fills: [Shape, Shape][] = [
    [
      [2, 3, 4],
      [2, 3, 4],
    ],
    [
      [2, 3, 4],
      [3, 1],
    ],
    [[2, 3, 4], [4]],
    [[2, 3], []],
  ];
  for (const [sx, sm] of fills) {
    for (const seed of SEEDS) {
      it(`maskedFill x [${sx.join(',')}] mask [${sm.join(',')}], seed ${seed}`, () => {
        const m = mask(sm, seed + 10);
        gradcheck((x) => maskedFill(x!, m, -1e9), [randomInput(sx, seed)]);
      });
    }
  }

  it('maskedFill gives exactly zero gradient where filled', () => {
    const m = tensor(new Uint8Array([1, 0, 1]), { shape: [3] });
    const [g] = analyticGradients((x) => maskedFill(x!, m, 5), [randomInput([2, 3], 1)]);
    const filled = Array.from(g!).filter((_, i) => i % 3 !== 1);
    expect(filled).toEqual([0, 0, 0, 0]);
    expect(
      Array.from(g!)
        .filter((_, i) => i % 3 === 1)
        .every((v) => v !== 0),
    ).toBe(true);
  });
});
