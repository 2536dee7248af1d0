import { describe, it } from 'vitest';
import { layerNorm } from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { loadCase } from './fixtures.js';

describe('golden layernorm', () => {
  it('matches torch.nn.LayerNorm: output and gradients of input, weight and bias', async () => {
    const c = await loadCase('layernorm');
    const x = c.get('input.x').clone().requireGrad();
    const weight = c.get('param.weight').clone().requireGrad();
    const bias = c.get('param.bias').clone().requireGrad();
    const out = layerNorm(x, c.config.normalized_shape as number, weight, bias, c.config.eps as number);
    expectClose(out, c.get('output.out'), 'out');
    out.backward(c.get('input.upstream_out'));
    expectClose(x.grad!, c.get('grad.input.x'), 'grad x');
    expectClose(weight.grad!, c.get('grad.param.weight'), 'grad weight');
    expectClose(bias.grad!, c.get('grad.param.bias'), 'grad bias');
  });
});
