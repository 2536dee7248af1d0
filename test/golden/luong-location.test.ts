// LocationAttention against PyTorch (scripts/golden/luong_location.py): weights, context and the gradients of
// the query, the memory and W_a, with padding and fewer keys than the positions W_a scores.
import { describe, expect, it } from 'vitest';
import { add, LocationAttention, mul, sum } from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { loadCase, OWN_FIXTURE_DIR } from './fixtures.js';

describe('golden luong_location', () => {
  it('matches PyTorch: weights, context and gradients', async () => {
    const c = await loadCase('luong_location', OWN_FIXTURE_DIR);
    const cfg = c.config as { hidden: number; memory_dim: number; max_source_length: number };
    const layer = new LocationAttention(cfg.hidden, cfg.memory_dim, cfg.max_source_length);
    layer.loadStateDict(new Map([['W.weight', c.get('param.W.weight')]]));
    const query = c.get('input.query').clone().requireGrad();
    const memory = c.get('input.memory').clone().requireGrad();
    const { context, weights } = layer.forward(query, memory, memory, {
      keyPaddingMask: c.get('input.key_padding_mask'),
    });
    expectClose(weights, c.get('output.weights'), 'weights');
    expectClose(context, c.get('output.context'), 'context');
    add(
      sum(mul(context, c.get('input.upstream_context'))),
      sum(mul(weights, c.get('input.upstream_weights'))),
    ).backward();
    expectClose(query.grad!, c.get('grad.input.query'), 'grad query');
    expectClose(memory.grad!, c.get('grad.input.memory'), 'grad memory');
    expect(layer.W.weight.grad).not.toBeNull();
    expectClose(layer.W.weight.grad!, c.get('grad.param.W.weight'), 'grad W');
  });
});
