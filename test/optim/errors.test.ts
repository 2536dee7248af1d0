import { describe, expect, it } from 'vitest';
import { Adam, AdamW, SGD, Tensor, tensor } from '../../src/index.js';
import { param, setGrad } from './helpers.js';

describe('optimiser errors name the optimiser and the option', () => {
  it('SGD hyper-parameters', () => {
    const p = [param([1])];
    expect(() => new SGD(p, {} as { lr: number })).toThrow('SGD: option lr is required');
    expect(() => new SGD(p, { lr: -1 })).toThrow('SGD: invalid lr: must be a finite number >= 0, got -1');
    expect(() => new SGD(p, { lr: 0.1, momentum: -0.5 })).toThrow('SGD: invalid momentum');
    expect(() => new SGD(p, { lr: 0.1, weightDecay: NaN })).toThrow('SGD: invalid weightDecay');
    expect(() => new SGD(p, { lr: 0.1, nesterov: true })).toThrow(
      'SGD: nesterov momentum requires momentum > 0 and dampening 0',
    );
    expect(() => new SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(
      'SGD: nesterov momentum requires momentum > 0 and dampening 0',
    );
  });

  it('Adam and AdamW hyper-parameters', () => {
    const p = [param([1])];
    expect(() => new Adam(p, { lr: -1 })).toThrow('Adam: invalid lr');
    expect(() => new Adam(p, { eps: -1e-8 })).toThrow('Adam: invalid eps');
    expect(() => new Adam(p, { betas: [1, 0.999] })).toThrow(
      'Adam: invalid betas[0]: must be in [0, 1), got 1',
    );
    expect(() => new AdamW(p, { betas: [0.9, -0.1] })).toThrow(
      'AdamW: invalid betas[1]: must be in [0, 1), got -0.1',
    );
    expect(() => new AdamW(p, { weightDecay: -1 })).toThrow('AdamW: invalid weightDecay');
    expect(() => new Adam(p, { amsgrad: 1 as unknown as boolean })).toThrow('Adam: invalid amsgrad');
  });

  it('a group’s bad option names the group', () => {
    expect(() => new Adam([{ params: [param([1])] }, { params: [param([1])], lr: -2 }], { lr: 0.1 })).toThrow(
      'Adam: group 1: invalid lr',
    );
    expect(() => new Adam([{ params: [param([1])], momentum: 0.9 } as never])).toThrow(
      "Adam: unknown option 'momentum'",
    );
  });

  it('parameter lists', () => {
    expect(() => new Adam([])).toThrow('Adam: got an empty parameter list');
    const p = param([1]);
    expect(() => new Adam([{ params: [p] }, { params: [p] }])).toThrow(
      'Adam: group 1: some parameters appear in more than one parameter group',
    );
    const nonLeaf = p.mul(2);
    expect(() => new SGD([nonLeaf], { lr: 1 })).toThrow("SGD: can't optimise a non-leaf tensor");
    expect(() => new SGD([tensor([1], { dtype: 'int32' })], { lr: 1 })).toThrow(
      'SGD: parameters must be float32 Tensors',
    );
  });

  it('gradients of the wrong size, and learning rates set out of range', () => {
    const p = param([1, 2]);
    const opt = new Adam([p]);
    p.grad = new Tensor(new Float32Array(3), [3]);
    expect(() => opt.step()).toThrow(
      'Adam.step: gradient of parameter 0 is [3] float32, the parameter is [2] float32',
    );
    expect(() => {
      opt.lr = -1;
    }).toThrow('Adam: invalid lr');
    opt.paramGroups[0]!.lr = NaN;
    setGrad(p, [1, 1]);
    expect(() => opt.step()).toThrow('Adam: invalid lr');
  });

  it('state dicts that do not fit', () => {
    const opt = new Adam([param([1, 2])]);
    const two = new Adam([param([1]), param([1])]);
    expect(() => opt.loadStateDict({ state: {}, param_groups: [] })).toThrow(
      'Adam.loadStateDict: the dict has 0 parameter groups, the optimiser has 1',
    );
    expect(() => opt.loadStateDict(two.stateDict())).toThrow(
      'Adam.loadStateDict: group 0 has 2 parameters in the dict, 1 in the optimiser',
    );
    const good = opt.stateDict();
    expect(() =>
      opt.loadStateDict({ ...good, state: { 0: { step: 1, exp_avg: [0], exp_avg_sq: [0, 0] } } }),
    ).toThrow('Adam.loadStateDict: parameter 0: exp_avg has 1 elements, the parameter has 2');
    expect(() => opt.loadStateDict({ ...good, state: { 3: { step: 1 } } })).toThrow(
      'Adam.loadStateDict: state for parameter 3, but the optimiser has parameters 0..0',
    );
    expect(() =>
      opt.loadStateDict({ ...good, state: { 0: { step: -1, exp_avg: [0, 0], exp_avg_sq: [0, 0] } } }),
    ).toThrow('Adam.loadStateDict: parameter 0: step must be an integer >= 0, got -1');
    expect(() =>
      opt.loadStateDict({ ...good, param_groups: [{ ...good.param_groups[0]!, lr: -1 }] }),
    ).toThrow('Adam: group 0: invalid lr');
    // Nothing changed by the failed loads.
    expect(opt.stateDict()).toEqual(good);
  });
});
