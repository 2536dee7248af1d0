import { describe, expect, it } from 'vitest';
import { Adam, AdamW } from '../../src/index.js';
import { expectValues, param, setGrad } from './helpers.js';

describe('Adam', () => {
  it('moves each element by lr on the first step (m̂ / √v̂ = sign g)', () => {
    const p = param([1, -2, 3]);
    const opt = new Adam([p], { lr: 0.01, eps: 0 });
    setGrad(p, [0.3, -7, 1e-3]);
    opt.step();
    expectValues(p, [0.99, -1.99, 2.99]);
  });

  it('follows the bias-corrected update by hand (β = 0.5, 0.5; eps 0)', () => {
    // step 1, g = 2:   m = 1, v = 2, bc1 = bc2 = 0.5, denom = √2/√0.5 = 2, p = 1 − (0.1/0.5)·1/2 = 0.9
    // step 2, g = 0.5: m = 0.75, v = 1.125, bc1 = bc2 = 0.75,
    //                  p = 0.9 − (0.1/0.75)·0.75 / (√1.125/√0.75) = 0.9 − 0.1/√1.5
    const p = param([1]);
    const opt = new Adam([p], { lr: 0.1, betas: [0.5, 0.5], eps: 0 });
    setGrad(p, [2]);
    opt.step();
    expectValues(p, [0.9]);
    setGrad(p, [0.5]);
    opt.step();
    expectValues(p, [0.9 - 0.1 / Math.sqrt(1.5)]);
    const state = opt.stateDict().state[0]!;
    expect(state.step).toBe(2);
    expect(Array.from(state.exp_avg as Float32Array)).toEqual([0.75]);
    expect(Array.from(state.exp_avg_sq as Float32Array)).toEqual([1.125]);
  });

  it('amsgrad divides by the largest second moment so far', () => {
    // As above, but at step 2 v̂ = max(2, 1.125) = 2: p = 0.9 − (0.1/0.75)·0.75 / (√2/√0.75) = 0.9 − 0.1·√0.375
    const p = param([1]);
    const opt = new Adam([p], { lr: 0.1, betas: [0.5, 0.5], eps: 0, amsgrad: true });
    setGrad(p, [2]);
    opt.step();
    expectValues(p, [0.9]);
    setGrad(p, [0.5]);
    opt.step();
    expectValues(p, [0.9 - 0.1 * Math.sqrt(0.375)]);
    expect(Array.from(opt.stateDict().state[0]!.max_exp_avg_sq as Float32Array)).toEqual([2]);
  });

  it('eps is added to the bias-corrected root', () => {
    // step 1, g = 2, β = 0.5: denom = 2 + 0.5; p = 1 − 0.2·1/2.5 = 0.92
    const p = param([1]);
    const opt = new Adam([p], { lr: 0.1, betas: [0.5, 0.5], eps: 0.5 });
    setGrad(p, [2]);
    opt.step();
    expectValues(p, [0.92]);
  });

  it('Adam adds L2 to the gradient; AdamW decays the parameter', () => {
    // Adam: g = 2 + 0.1·1 = 2.1, and the first step is still lr·sign: p = 0.9.
    const a = param([1]);
    const adam = new Adam([a], { lr: 0.1, eps: 0, weightDecay: 0.1 });
    setGrad(a, [2]);
    adam.step();
    expectValues(a, [0.9]);
    // AdamW: p = 1·(1 − 0.1·0.1) = 0.99, then the Adam step: 0.89.
    const w = param([1]);
    const adamw = new AdamW([w], { lr: 0.1, eps: 0, weightDecay: 0.1 });
    setGrad(w, [2]);
    adamw.step();
    expectValues(w, [0.89]);
    // Where they differ: a gradient of the opposite sign to the decay term.
    const a2 = param([1]);
    const w2 = param([1]);
    const adam2 = new Adam([a2], { lr: 0.1, eps: 0, weightDecay: 10 });
    const adamw2 = new AdamW([w2], { lr: 0.1, eps: 0, weightDecay: 1 });
    setGrad(a2, [-1]); // L2: g = −1 + 10·1 = 9 > 0, so p goes down by lr
    setGrad(w2, [-1]); // decoupled: p = 0.9, then up by lr
    adam2.step();
    adamw2.step();
    expectValues(a2, [0.9]);
    expectValues(w2, [1.0]);
  });

  it('AdamW defaults weightDecay to 1e-2, Adam to 0', () => {
    const w = new AdamW([param([1])]);
    const a = new Adam([param([1])]);
    expect(w.paramGroups[0]!.weightDecay).toBe(1e-2);
    expect(a.paramGroups[0]!.weightDecay).toBe(0);
    expect(a.paramGroups[0]!.lr).toBe(1e-3);
    expect(a.paramGroups[0]!.betas).toEqual([0.9, 0.999]);
    expect(a.paramGroups[0]!.eps).toBe(1e-8);
  });

  it('counts steps per parameter: a parameter without a gradient keeps its count', () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new Adam([a, b], { lr: 0.1 });
    setGrad(a, [1]);
    opt.step();
    setGrad(b, [1]);
    opt.step();
    const state = opt.stateDict().state;
    expect(state[0]!.step).toBe(2);
    expect(state[1]!.step).toBe(1);
  });

  it('maximize negates the gradient', () => {
    const p = param([1]);
    const opt = new Adam([p], { lr: 0.1, eps: 0, maximize: true });
    setGrad(p, [3]);
    opt.step();
    expectValues(p, [1.1]);
  });
});
