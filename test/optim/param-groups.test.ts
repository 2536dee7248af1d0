import { describe, expect, it } from 'vitest';
import { Adam, Linear, SGD } from '../../src/index.js';
import { expectValues, param, setGrad } from './helpers.js';

describe('parameter groups', () => {
  it('each group uses its own lr and weightDecay, the rest from the defaults', () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5, weightDecay: 1 }], {
      lr: 0.1,
      momentum: 0.9,
    });
    expect(opt.paramGroups.map((g) => [g.lr, g.weightDecay, g.momentum])).toEqual([
      [0.1, 0, 0.9],
      [0.5, 1, 0.9],
    ]);
    setGrad(a, [1]);
    setGrad(b, [1]);
    opt.step();
    expectValues(a, [0.9]); // 1 − 0.1·1
    expectValues(b, [0]); // 1 − 0.5·(1 + 1·1)
  });

  it('numbers parameters through the groups, as PyTorch does', () => {
    const [a, b, c] = [param([1]), param([2]), param([3])];
    const opt = new Adam([{ params: [a, b] }, { params: [c], lr: 0.1 }]);
    const dict = opt.stateDict();
    expect(dict.param_groups.map((g) => g.params)).toEqual([[0, 1], [2]]);
    expect(dict.param_groups[1]).toEqual({
      lr: 0.1,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 0,
      amsgrad: false,
      maximize: false,
      params: [2],
    });
  });

  it('setting optimizer.lr sets every group; groups can also be changed one by one', () => {
    const opt = new SGD([{ params: [param([1])] }, { params: [param([1])], lr: 1 }], { lr: 0.1 });
    expect(opt.lr).toBe(0.1);
    opt.lr = 0.01;
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.01, 0.01]);
    opt.paramGroups[1]!.lr = 0.5;
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.01, 0.5]);
  });

  it('takes a module’s parameters and adds groups later', () => {
    const layer = new Linear(3, 2);
    const extra = param([0]);
    const opt = new Adam(layer.parameters(), { lr: 1e-2 });
    opt.addParamGroup({ params: [extra], lr: 1 });
    expect(opt.parameters()).toEqual([...layer.parameters(), extra]);
    expect(opt.paramGroups[1]!.lr).toBe(1);
    expect(opt.paramGroups[1]!.betas).toEqual([0.9, 0.999]);
  });

  it('zeroGrad clears gradients (to null, or to zeros in place)', () => {
    const a = param([1, 2]);
    const opt = new SGD([a], { lr: 1 });
    setGrad(a, [3, 4]);
    const grad = a.grad!;
    opt.zeroGrad(false);
    expect(a.grad).toBe(grad);
    expect(Array.from(grad.data)).toEqual([0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });
});
