import { describe, expect, it } from 'vitest';
import {
  Adam,
  AdamW,
  LRScheduler,
  SGD,
  Tensor,
  warmupInverseSqrt,
  type Optimizer,
  type OptimizerStateDict,
  type OptimizerOptions,
} from '../../src/index.js';

// A resumed run must continue bit for bit: N steps in one go equal N/2 steps, a save, a new optimiser (and
// scheduler) that loads the state, and N/2 more.

const STEPS = 8;
const SHAPES = [[3, 4], [5], [2, 2]];

function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.sin(seed * 12.9898 + i * 78.233) * 2;
  return out;
}

function makeParams(): Tensor[] {
  return SHAPES.map((shape, k) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return new Tensor(values(size, k + 1), shape).requireGrad();
  });
}

/** The gradient of parameter k at step t; parameter 1 has none on odd steps (so step counts differ). */
function applyGrads(params: Tensor[], t: number): void {
  params.forEach((p, k) => {
    p.grad = k === 1 && t % 2 === 1 ? null : new Tensor(values(p.size, 100 * t + k + 0.5), p.shape);
  });
}

/** Plain-JSON copy of a state dict: Float32Arrays become number arrays. */
function throughJson(dict: OptimizerStateDict): OptimizerStateDict {
  const text = JSON.stringify(dict, (_key, value: unknown) =>
    value instanceof Float32Array ? Array.from(value) : value,
  );
  return JSON.parse(text) as OptimizerStateDict;
}

type Factory = (params: Tensor[]) => Optimizer<OptimizerOptions>;

const cases: [string, Factory][] = [
  [
    'SGD nesterov + weight decay',
    (p) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-2 }),
  ],
  ['SGD dampening', (p) => new SGD(p, { lr: 0.05, momentum: 0.5, dampening: 0.3 })],
  ['Adam amsgrad + L2', (p) => new Adam(p, { lr: 1e-2, amsgrad: true, weightDecay: 1e-3 })],
  ['AdamW', (p) => new AdamW(p, { lr: 1e-2, betas: [0.8, 0.99] })],
  [
    'Adam, two groups',
    (p) => new Adam([{ params: [p[0]!, p[1]!] }, { params: [p[2]!], lr: 3e-2, weightDecay: 0.1 }]),
  ],
];

describe('optimiser state round trip', () => {
  for (const [name, make] of cases) {
    for (const json of [false, true]) {
      it(`${name}: resuming${json ? ' through JSON' : ''} continues bit for bit`, () => {
        const straight = makeParams();
        const opt = make(straight);
        const sched = new LRScheduler(opt, warmupInverseSqrt(3));
        for (let t = 0; t < STEPS; t++) {
          applyGrads(straight, t);
          opt.step();
          sched.step();
        }

        const first = makeParams();
        const optA = make(first);
        const schedA = new LRScheduler(optA, warmupInverseSqrt(3));
        for (let t = 0; t < STEPS / 2; t++) {
          applyGrads(first, t);
          optA.step();
          schedA.step();
        }
        // A checkpoint: the parameters' values, the optimiser's state and the scheduler's state.
        const checkpoint = first.map((p) => p.data.slice());
        const saved = json ? throughJson(optA.stateDict()) : optA.stateDict();
        const savedSched = JSON.parse(JSON.stringify(schedA.stateDict())) as ReturnType<
          LRScheduler['stateDict']
        >;
        // Stepping the first optimiser further must not change what was saved.
        applyGrads(first, 99);
        optA.step();

        const resumed = makeParams();
        resumed.forEach((p, k) => p.data.set(checkpoint[k]!));
        const optB = make(resumed);
        optB.lr = 123; // overwritten by the saved groups
        const schedB = new LRScheduler(optB, warmupInverseSqrt(3));
        optB.loadStateDict(saved);
        schedB.loadStateDict(savedSched);
        expect(optB.paramGroups.map((g) => g.lr)).toEqual(optA.paramGroups.map((g) => g.lr));
        expect(schedB.stepCount).toBe(STEPS / 2);
        for (let t = STEPS / 2; t < STEPS; t++) {
          applyGrads(resumed, t);
          optB.step();
          schedB.step();
        }
        resumed.forEach((p, k) => expect(p.data, `parameter ${k}`).toEqual(straight[k]!.data));
        expect(optB.stateDict()).toEqual(opt.stateDict());
      });
    }
  }

  it('the state dict holds copies', () => {
    const p = new Tensor(new Float32Array([1, 2]), [2]).requireGrad();
    const opt = new Adam([p]);
    p.grad = new Tensor(new Float32Array([1, 1]), [2]);
    opt.step();
    const dict = opt.stateDict();
    const before = Array.from(dict.state[0]!.exp_avg as Float32Array);
    opt.step();
    expect(Array.from(dict.state[0]!.exp_avg as Float32Array)).toEqual(before);
  });

  it('loads PyTorch-style entries: momentum_buffer null means no buffer yet', () => {
    const p = new Tensor(new Float32Array([1]), [1]).requireGrad();
    const opt = new SGD([p], { lr: 1, momentum: 0.5 });
    opt.loadStateDict({
      state: { 0: { momentum_buffer: null } },
      param_groups: [{ lr: 0.5, momentum: 0.5, dampening: 0, nesterov: false, weight_decay: 0, params: [0] }],
    });
    p.grad = new Tensor(new Float32Array([1]), [1]);
    opt.step(); // first step: buffer = g, p = 1 − 0.5
    expect(p.data[0]).toBe(0.5);
  });
});
