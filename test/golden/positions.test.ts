// attn's positions inside MultiHeadAttention against scripts/golden/positions.py (PyTorch, the papers' formulas):
// RoPE (halves pairing), ALiBi (3 heads: the slopes' recipe for H not a power of two) and Shaw's relative
// positions (k = 2 < T: clipped), encoder (key padding) and causal, outputs, weights and every gradient.
import { describe, expect, it } from 'vitest';
import { add, MultiHeadAttention, mul, sum } from '../../src/index.js';
import type { AttentionPositions } from '../../src/attention/positions.js';
import { expectClose } from '../helpers/close.js';
import { loadCase, OWN_FIXTURE_DIR } from './fixtures.js';

describe.each([
  'pos_rope_self',
  'pos_alibi_self',
  'pos_relative_self',
  'pos_rope_causal',
  'pos_alibi_causal',
  'pos_relative_causal',
])('golden %s', (name) => {
  it('matches the PyTorch reference: parameter names, output, weights and every gradient', async () => {
    const c = await loadCase(name, OWN_FIXTURE_DIR);
    const cfg = c.config;
    const mha = new MultiHeadAttention({
      embedDim: cfg.embed_dim as number,
      numHeads: cfg.num_heads as number,
      batchFirst: true,
      positions: cfg.positions as AttentionPositions,
      maxRelativeDistance: cfg.max_relative_distance as number,
    });
    const paramNames = c.names('param.');
    expect(new Set(mha.namedParameters().map(([n]) => n))).toEqual(new Set(paramNames));
    mha.loadStateDict(new Map(paramNames.map((n) => [n, c.get(`param.${n}`)])));
    mha.eval();

    const x = c.get('input.x').clone().requireGrad();
    const { output, weights } = mha.forward(x, x, x, {
      keyPaddingMask: c.has('input.key_padding_mask') ? c.get('input.key_padding_mask') : null,
      isCausal: cfg.causal as boolean,
      averageAttnWeights: false,
    });
    expectClose(output, c.get('output.out'), 'out');
    expectClose(weights!, c.get('output.weights'), 'weights');

    const loss = add(
      sum(mul(output, c.get('input.upstream_out'))),
      sum(mul(weights!, c.get('input.upstream_weights'))),
    );
    loss.backward();
    expectClose(x.grad!, c.get('grad.input.x'), 'grad x');
    const params = new Map(mha.namedParameters());
    expect(new Set(c.names('grad.param.'))).toEqual(new Set(params.keys()));
    for (const n of c.names('grad.param.')) {
      const g = params.get(n)!.grad;
      expect(g, `grad of ${n}`).not.toBeNull();
      expectClose(g!, c.get(`grad.param.${n}`), `grad ${n}`);
    }
  });
});
