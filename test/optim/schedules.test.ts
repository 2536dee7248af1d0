import { describe, expect, it } from 'vitest';
import { Adam, LRScheduler, SGD, constant, cosineWithWarmup, warmupInverseSqrt } from '../../src/index.js';
import { param } from './helpers.js';

describe('schedules', () => {
  it('constant is 1 throughout', () => {
    const s = constant();
    expect([1, 10, 1e6].map(s)).toEqual([1, 1, 1]);
  });

  it('warmupInverseSqrt rises linearly to 1 at the warm-up and decays as 1/√t', () => {
    const s = warmupInverseSqrt(4);
    expect(s(1)).toBe(0.25);
    expect(s(2)).toBe(0.5);
    expect(s(4)).toBe(1);
    expect(s(16)).toBe(0.5); // √(4/16)
    expect(s(100)).toBeCloseTo(0.2, 15); // √(4/100)
    // Continuous at the boundary: both pieces → 1.
    expect(Math.abs(s(4 - 1e-9) - s(4 + 1e-9))).toBeLessThan(1e-9);
  });

  it('warmupInverseSqrt with base lr 1/√(d_model·w) is the Transformer paper’s schedule', () => {
    const dModel = 512;
    const w = 4000;
    const base = 1 / Math.sqrt(dModel * w);
    const paper = (t: number) => dModel ** -0.5 * Math.min(t ** -0.5, t * w ** -1.5);
    const s = warmupInverseSqrt(w);
    for (const t of [1, 100, 3999, 4000, 4001, 10000, 100000]) {
      expect(base * s(t)).toBeCloseTo(paper(t), 15);
    }
  });

  it('cosineWithWarmup: linear warm-up, half cosine to the floor, then the floor', () => {
    const s = cosineWithWarmup(2, 10, 0.1);
    expect(s(1)).toBe(0.5);
    expect(s(2)).toBe(1);
    expect(s(6)).toBeCloseTo(0.55, 15); // halfway: 0.1 + 0.9·½·(1 + cos(π/2))
    expect(s(10)).toBeCloseTo(0.1, 15);
    expect(s(50)).toBeCloseTo(0.1, 15);
    const noWarmup = cosineWithWarmup(0, 4);
    expect(noWarmup(1)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)), 15);
    expect(noWarmup(4)).toBeCloseTo(0, 15);
  });

  it('rejects bad arguments, naming them', () => {
    expect(() => warmupInverseSqrt(0)).toThrow(
      'warmupInverseSqrt: warmupSteps must be an integer >= 1, got 0',
    );
    expect(() => cosineWithWarmup(10, 10)).toThrow(
      'cosineWithWarmup: warmupSteps (10) must be less than totalSteps (10)',
    );
    expect(() => cosineWithWarmup(1, 10, 2)).toThrow('cosineWithWarmup: minLrRatio must be in [0, 1], got 2');
  });
});

describe('LRScheduler', () => {
  it('sets lr = base · schedule(t) before update t, per group', () => {
    const opt = new SGD([{ params: [param([1])] }, { params: [param([1])], lr: 1 }], { lr: 0.1 });
    const sched = new LRScheduler(opt, warmupInverseSqrt(4));
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.025, 0.25]);
    sched.step();
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.05, 0.5]);
    sched.step();
    sched.step();
    expect(sched.stepCount).toBe(3);
    expect(sched.lr).toBe(0.1); // update 4: the peak
  });

  it('takes an explicit base lr and serialises its state', () => {
    const opt = new Adam([param([1])]);
    const sched = new LRScheduler(opt, cosineWithWarmup(0, 2), { baseLr: 2 });
    expect(opt.lr).toBeCloseTo(1, 15); // t = 1 of 2: half way down
    sched.step();
    expect(opt.lr).toBeCloseTo(0, 15);
    expect(sched.stateDict()).toEqual({ step: 1, baseLrs: [2] });
    const other = new LRScheduler(new Adam([param([1])]), cosineWithWarmup(0, 2));
    other.loadStateDict({ step: 0, baseLrs: [4] });
    expect(other.lr).toBeCloseTo(2, 15);
  });

  it('rejects a schedule value that is not a finite number >= 0, and mismatched state', () => {
    const opt = new SGD([param([1])], { lr: 1 });
    expect(() => new LRScheduler(opt, () => NaN)).toThrow('LRScheduler: schedule gave NaN for step 1');
    const sched = new LRScheduler(opt, constant());
    expect(() => sched.loadStateDict({ step: 1, baseLrs: [1, 2] })).toThrow(
      'LRScheduler.loadStateDict: baseLr has 2 values for 1 parameter groups',
    );
  });
});
