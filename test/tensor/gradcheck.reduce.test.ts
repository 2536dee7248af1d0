/** Finite-difference gradient checks: reductions, softmax and log-softmax. */
import { describe, expect, it } from 'vitest';
import {
  logSoftmax,
  logsumexp,
  max,
  mean,
  min,
  softmax,
  sum,
  tensor,
  variance,
  type Axes,
  type Shape,
} from '../../src/index.js';
import { distinctInputs, gradcheck, randomInput } from '../helpers/gradcheck.js';

const SEEDS = [1, 2, 3];

/** Axes to reduce for each shape: none given (all), one (positive and negative), several, adjacent or not. */
const CASES: [Shape, (Axes | undefined)[]][] = [
  [[5], [undefined, 0, -1, []]],
  [
    [3, 4],
    [undefined, 0, 1, [0, 1]],
  ],
  [
    [2, 3, 4],
    [undefined, 0, 1, -1, [0, 1], [1, 2], [0, 2], [-1, 0]],
  ],
  [
    [2, 1, 3, 2],
    [1, [0, 3], [1, 2], [0, 1, 3]],
  ],
];

function axesTag(axes: Axes | undefined): string {
  return axes === undefined
    ? 'all axes'
    : typeof axes === 'number'
      ? `axis ${axes}`
      : `axes [${axes.join(',')}]`;
}

describe('gradcheck: reductions', () => {
  for (const [shape, axesList] of CASES) {
    for (const axes of axesList) {
      for (const keepdim of [false, true]) {
        const tag = `[${shape.join(',')}] over ${axesTag(axes)}, keepdim ${keepdim}`;
        it(`sum ${tag}`, () => {
          for (const seed of SEEDS) gradcheck((x) => sum(x!, axes, keepdim), [randomInput(shape, seed)]);
        });
        it(`mean ${tag}`, () => {
          for (const seed of SEEDS) gradcheck((x) => mean(x!, axes, keepdim), [randomInput(shape, seed)]);
        });
        it(`max and min ${tag}`, () => {
          for (const seed of SEEDS) {
            const [x] = distinctInputs([shape], seed);
            gradcheck((t) => max(t!, axes, keepdim), [x!]);
            gradcheck((t) => min(t!, axes, keepdim), [x!]);
          }
        });
        if (axes !== undefined) {
          it(`logsumexp ${tag}`, () => {
            for (const seed of SEEDS) {
              gradcheck((x) => logsumexp(x!, axes, keepdim), [randomInput(shape, seed, { scale: 2 })]);
            }
          });
        }
        it(`variance ${tag}`, () => {
          for (const seed of SEEDS) {
            const x = randomInput(shape, seed);
            // correction 1 needs more than one element per slice.
            const counted = axes === undefined ? x.size : x.size / sum(x, axes, true).size;
            if (counted > 1) gradcheck((t) => variance(t!, axes, { keepdim }), [x]);
            gradcheck((t) => variance(t!, axes, { keepdim, correction: 0 }), [x]);
          }
        });
      }
    }
  }

  it('reductions of a 0-d tensor', () => {
    const x = randomInput([], 4);
    gradcheck((t) => sum(t!), [x]);
    gradcheck((t) => mean(t!), [x]);
    gradcheck((t) => max(t!), [x]);
    gradcheck((t) => logsumexp(t!, []), [x]);
  });

  it('logsumexp with large values stays accurate (shifted by the maximum)', () => {
    gradcheck(
      (x) => logsumexp(x!, -1),
      [
        tensor([
          [100, 101, 99.5],
          [-80, -81, -79],
        ]),
      ],
    );
  });

  it('max and min share the gradient evenly among ties', () => {
    const x = tensor([
      [1, 3, 3, 3],
      [2, 0, 2, -1],
    ]).requireGrad();
    max(x, 1).backward(tensor([6, 4]));
    expect(Array.from(x.grad!.data)).toEqual([0, 2, 2, 2, 2, 0, 2, 0]);
    const y = tensor([5, 1, 1]).requireGrad();
    min(y).backward();
    expect(Array.from(y.grad!.data)).toEqual([0, 0.5, 0.5]);
  });
});

describe('gradcheck: softmax and logSoftmax', () => {
  const shapes: Shape[] = [[], [6], [3, 4], [2, 3, 4], [2, 1, 3]];
  for (const shape of shapes) {
    const axes = shape.length === 0 ? [0, -1] : [...shape.map((_, i) => i), -1];
    for (const axis of axes) {
      const tag = `[${shape.join(',')}] along axis ${axis}`;
      it(`softmax ${tag}`, () => {
        for (const seed of SEEDS)
          gradcheck((x) => softmax(x!, axis), [randomInput(shape, seed, { scale: 2 })]);
      });
      it(`logSoftmax ${tag}`, () => {
        for (const seed of SEEDS) {
          gradcheck((x) => logSoftmax(x!, axis), [randomInput(shape, seed, { scale: 2 })]);
        }
      });
    }
  }

  it('softmax with masked (-1e9) positions', () => {
    const x = tensor([
      [0.3, -1e9, 1.2, -0.4],
      [-1e9, -1e9, 0.5, 0.1],
    ]);
    gradcheck((t) => softmax(t!, -1), [x]);
    // log-softmax is about -1e9 there, where a float32 step is 64: check it with a milder fill instead.
    const y = tensor([
      [0.3, -30, 1.2, -0.4],
      [-30, -30, 0.5, 0.1],
    ]);
    gradcheck((t) => logSoftmax(t!, -1), [y]);
  });
});
