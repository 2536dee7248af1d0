import { describe, expect, it } from 'vitest';
import {
  add,
  AdditiveAttention,
  luongAttention,
  mul,
  sum,
  type Attention,
  type LuongScore,
  type Tensor,
} from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { loadCase, type GoldenCase } from './fixtures.js';

/** Loads the case's parameters, runs one decoder step, and checks outputs and every gradient. */
function check(c: GoldenCase, layer: Attention): void {
  const params = new Map(c.names('param.').map((n) => [n, c.get(`param.${n}`)] as [string, Tensor]));
  layer.loadStateDict(params);
  expect(
    layer
      .namedParameters()
      .map(([n]) => n)
      .sort(),
  ).toEqual([...params.keys()].sort());
  const query = c.get('input.query').clone().requireGrad();
  const values = c.get('input.values').clone().requireGrad();
  const mask = c.has('input.mask') ? c.get('input.mask') : null;
  const { context, weights } = layer.forward(query, values, values, { keyPaddingMask: mask });
  expectClose(context, c.get('output.context'), 'context');
  expectClose(weights, c.get('output.weights'), 'weights');
  add(
    sum(mul(context, c.get('input.upstream_context'))),
    sum(mul(weights, c.get('input.upstream_weights'))),
  ).backward();
  expectClose(query.grad!, c.get('grad.input.query'), 'grad query');
  expectClose(values.grad!, c.get('grad.input.values'), 'grad values');
  for (const [name, p] of layer.namedParameters())
    expectClose(p.grad!, c.get(`grad.param.${name}`), `grad ${name}`);
}

describe.each(['bahdanau', 'bahdanau_masked'])('golden %s', (name) => {
  it('matches the PyTorch Bahdanau layer: V(tanh(W1 values + W2 query)), context and weights', async () => {
    const c = await loadCase(name);
    const cfg = c.config as { query_dim: number; value_dim: number; units: number };
    check(c, new AdditiveAttention(cfg.query_dim, cfg.value_dim, cfg.units));
  });
});

describe.each(['luong_dot', 'luong_general', 'luong_concat'])('golden %s', (name) => {
  it('matches the PyTorch Luong layer', async () => {
    const c = await loadCase(name);
    const cfg = c.config as { dim: number; score: LuongScore };
    check(c, luongAttention(cfg.score, cfg.dim));
  });
});
