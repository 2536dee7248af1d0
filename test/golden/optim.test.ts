import { describe, it } from 'vitest';
import { Adam, AdamW, type AdamOptions } from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { loadCase } from './fixtures.js';

// The cases give the starting parameter, the gradient of each step (input.grad_k) and the parameter after the
// last step, from torch.optim.Adam / AdamW in PyTorch 1.13.
describe('golden optimisers', () => {
  for (const [name, Optim] of [
    ['adam', Adam],
    ['adamw', AdamW],
  ] as const) {
    it(`${name} matches torch.optim.${Optim.name} over every step`, async () => {
      const c = await loadCase(name);
      const config = c.config as {
        lr: number;
        betas: [number, number];
        eps: number;
        weight_decay: number;
        steps: number;
      };
      const param = c.get('input.param').clone().requireGrad();
      const options: Partial<AdamOptions> = {
        lr: config.lr,
        betas: config.betas,
        eps: config.eps,
        weightDecay: config.weight_decay,
      };
      const opt = new Optim([param], options);
      for (let k = 0; k < config.steps; k++) {
        param.grad = c.get(`input.grad_${k}`).clone();
        opt.step();
      }
      expectClose(param, c.get('output.param'), `${name} param after ${config.steps} steps`);
    });
  }
});
