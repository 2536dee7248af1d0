import { describe, expect, it } from 'vitest';
import { SGD } from '../../src/index.js';
import { expectValues, param, setGrad } from './helpers.js';

// Every case starts from p = [1, -2] and takes gradients g1 = [0.5, 1], then g2 = [1, -1]; the expected values
// are worked out by hand from torch.optim.SGD's rules (written next to each).
const G1 = [0.5, 1];
const G2 = [1, -1];

function run(options: ConstructorParameters<typeof SGD>[1], grads: number[][]): number[][] {
  const p = param([1, -2]);
  const opt = new SGD([p], options);
  return grads.map((g) => {
    setGrad(p, g);
    opt.step();
    return Array.from(p.data);
  });
}

describe('SGD', () => {
  it('plain: p ← p − lr·g', () => {
    const p = param([1, -2]);
    const opt = new SGD([p], { lr: 0.1 });
    setGrad(p, G1);
    opt.step();
    expectValues(p, [0.95, -2.1]);
    setGrad(p, G2);
    opt.step();
    expectValues(p, [0.85, -2.0]);
  });

  it('momentum: the first buffer is the gradient, then b ← μ·b + g', () => {
    // step 1: b = [0.5, 1];                           p = [1 − 0.05, −2 − 0.1]     = [0.95, −2.1]
    // step 2: b = 0.9·[0.5, 1] + [1, −1] = [1.45, −0.1]; p = [0.95 − 0.145, −2.1 + 0.01] = [0.805, −2.09]
    const [s1, s2] = run({ lr: 0.1, momentum: 0.9 }, [G1, G2]);
    expectValues(param(s1!), [0.95, -2.1]);
    expectValues(param(s2!), [0.805, -2.09]);
  });

  it('nesterov: the step is g + μ·b', () => {
    // step 1: b = [0.5, 1]; d = 1.9·[0.5, 1] = [0.95, 1.9];            p = [0.905, −2.19]
    // step 2: b = [1.45, −0.1]; d = [1 + 1.305, −1 − 0.09] = [2.305, −1.09]; p = [0.905 − 0.2305, −2.19 + 0.109]
    const [s1, s2] = run({ lr: 0.1, momentum: 0.9, nesterov: true }, [G1, G2]);
    expectValues(param(s1!), [0.905, -2.19]);
    expectValues(param(s2!), [0.6745, -2.081]);
  });

  it('weight decay adds wd·p to the gradient', () => {
    // d = [0.5 + 0.1·1, 1 + 0.1·(−2)] = [0.6, 0.8]; p = [1 − 0.06, −2 − 0.08]
    const [s1] = run({ lr: 0.1, weightDecay: 0.1 }, [G1]);
    expectValues(param(s1!), [0.94, -2.08]);
  });

  it('weight decay with momentum and dampening (the first buffer is not dampened)', () => {
    // step 1: d = [0.6, 0.8], b = d, p = [0.94, −2.08]
    // step 2: d = [1 + 0.094, −1 − 0.208] = [1.094, −1.208]
    //         b = 0.9·[0.6, 0.8] + 0.5·d = [0.54 + 0.547, 0.72 − 0.604] = [1.087, 0.116]
    //         p = [0.94 − 0.1087, −2.08 − 0.0116] = [0.8313, −2.0916]
    const [s1, s2] = run({ lr: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.1 }, [G1, G2]);
    expectValues(param(s1!), [0.94, -2.08]);
    expectValues(param(s2!), [0.8313, -2.0916]);
  });

  it('maximize ascends the gradient', () => {
    const [s1] = run({ lr: 0.1, maximize: true }, [G1]);
    expectValues(param(s1!), [1.05, -1.9]);
  });

  it('skips parameters without a gradient and keeps no state for them', () => {
    const a = param([1, 2]);
    const b = param([3]);
    const opt = new SGD([a, b], { lr: 0.5, momentum: 0.9 });
    setGrad(a, [1, 1]);
    opt.step();
    expectValues(a, [0.5, 1.5]);
    expectValues(b, [3]);
    expect(Object.keys(opt.stateDict().state)).toEqual(['0']);
  });

  it('updates param.data in place (the same storage the model holds)', () => {
    const p = param([1]);
    const storage = p.data;
    const opt = new SGD([p], { lr: 1 });
    setGrad(p, [0.25]);
    opt.step();
    expect(p.data).toBe(storage);
    expect(storage[0]).toBe(0.75);
  });
});
