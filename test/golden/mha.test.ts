import { describe, expect, it } from 'vitest';
import { add, MultiHeadAttention, mul, sum, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { loadCase } from './fixtures.js';

describe.each(['mha_self', 'mha_cross_kvdim', 'mha_causal_per_head', 'mha_nobias'])('golden %s', (name) => {
  it('matches torch.nn.MultiheadAttention: parameter names, output, weights and every gradient', async () => {
    const c = await loadCase(name);
    const cfg = c.config;
    const mha = new MultiHeadAttention({
      embedDim: cfg.embed_dim as number,
      numHeads: cfg.num_heads as number,
      kdim: cfg.kdim as number,
      vdim: cfg.vdim as number,
      bias: cfg.bias as boolean,
      batchFirst: cfg.batch_first as boolean,
      dropout: cfg.dropout as number,
    });
    const paramNames = c.names('param.');
    expect(new Set(mha.namedParameters().map(([n]) => n))).toEqual(new Set(paramNames));
    mha.loadStateDict(new Map(paramNames.map((n) => [n, c.get(`param.${n}`)])));
    mha.eval();

    const query = c.get('input.query').clone().requireGrad();
    const key = c.get('input.key').clone().requireGrad();
    const value = c.get('input.value').clone().requireGrad();
    const { output, weights } = mha.forward(query, key, value, {
      keyPaddingMask: c.has('input.key_padding_mask') ? c.get('input.key_padding_mask') : null,
      attnMask: c.has('input.attn_mask') ? c.get('input.attn_mask') : null,
      needWeights: cfg.need_weights as boolean,
      averageAttnWeights: cfg.average_attn_weights as boolean,
    });
    expectClose(output, c.get('output.out'), 'out');
    expectClose(weights!, c.get('output.weights'), 'weights');

    // L = Σ out ⊙ upstream_out + Σ weights ⊙ upstream_weights, as the fixtures define it.
    const loss = add(
      sum(mul(output, c.get('input.upstream_out'))),
      sum(mul(weights!, c.get('input.upstream_weights'))),
    );
    loss.backward();
    const inputs: Record<string, Tensor> = { query, key, value };
    expect(c.names('grad.input.').sort()).toEqual(['key', 'query', 'value']);
    for (const n of c.names('grad.input.'))
      expectClose(inputs[n]!.grad!, c.get(`grad.input.${n}`), `grad ${n}`);
    const params = new Map(mha.namedParameters());
    expect(new Set(c.names('grad.param.'))).toEqual(new Set(params.keys()));
    for (const n of c.names('grad.param.')) {
      const g = params.get(n)!.grad;
      expect(g, `grad of ${n}`).not.toBeNull();
      expectClose(g!, c.get(`grad.param.${n}`), `grad ${n}`);
    }
  });
});
