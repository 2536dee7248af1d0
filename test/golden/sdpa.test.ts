import { describe, it } from 'vitest';
import { add, mul, scaledDotProductAttention, sum } from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { loadCase } from './fixtures.js';

describe.each(['sdpa_basic', 'sdpa_causal', 'sdpa_padding'])('golden %s', (name) => {
  it('matches softmax(q kᵀ/√d + mask) v: output, weights and gradients of q, k, v', async () => {
    const c = await loadCase(name);
    const q = c.get('input.q').clone().requireGrad();
    const k = c.get('input.k').clone().requireGrad();
    const v = c.get('input.v').clone().requireGrad();
    const { output, weights } = scaledDotProductAttention(q, k, v, {
      causal: c.config.causal as boolean,
      keyPaddingMask: c.has('input.key_padding_mask') ? c.get('input.key_padding_mask') : null,
    });
    expectClose(output, c.get('output.out'), 'out');
    expectClose(weights, c.get('output.weights'), 'weights');
    // L = Σ out ⊙ upstream_out + Σ weights ⊙ upstream_weights, as the fixtures define it.
    const loss = add(
      sum(mul(output, c.get('input.upstream_out'))),
      sum(mul(weights, c.get('input.upstream_weights'))),
    );
    loss.backward();
    expectClose(q.grad!, c.get('grad.input.q'), 'grad q');
    expectClose(k.grad!, c.get('grad.input.k'), 'grad k');
    expectClose(v.grad!, c.get('grad.input.v'), 'grad v');
  });
});
