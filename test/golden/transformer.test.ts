import { describe, expect, it } from 'vitest';
import {
  mul,
  sum,
  TransformerDecoderLayer,
  TransformerEncoderLayer,
  type Module,
  type Tensor,
  type TransformerLayerOptions,
} from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { loadCase, type GoldenCase } from './fixtures.js';

function layerOptions(c: GoldenCase): TransformerLayerOptions {
  const cfg = c.config;
  return {
    dModel: cfg.d_model as number,
    nhead: cfg.nhead as number,
    dimFeedforward: cfg.dim_feedforward as number,
    dropout: cfg.dropout as number,
    activation: cfg.activation as 'relu' | 'gelu',
    layerNormEps: cfg.layer_norm_eps as number,
    batchFirst: cfg.batch_first as boolean,
    normFirst: cfg.norm_first as boolean,
  };
}

/** Loads param.* into the module after checking that its parameter names are exactly the fixture's. */
function loadParams(c: GoldenCase, module: Module): void {
  const names = c.names('param.');
  expect(new Set(module.namedParameters().map(([n]) => n))).toEqual(new Set(names));
  module.loadStateDict(new Map(names.map((n) => [n, c.get(`param.${n}`)])));
  module.eval();
}

/** L = Σ out ⊙ upstream_out; checks the gradients of the inputs and of every parameter. */
function checkGradients(c: GoldenCase, output: Tensor, inputs: Record<string, Tensor>, module: Module): void {
  sum(mul(output, c.get('input.upstream_out'))).backward();
  expect(c.names('grad.input.').sort()).toEqual(Object.keys(inputs).sort());
  for (const n of c.names('grad.input.'))
    expectClose(inputs[n]!.grad!, c.get(`grad.input.${n}`), `grad ${n}`);
  const params = new Map(module.namedParameters());
  expect(new Set(c.names('grad.param.'))).toEqual(new Set(params.keys()));
  for (const n of c.names('grad.param.')) {
    const g = params.get(n)!.grad;
    expect(g, `grad of ${n}`).not.toBeNull();
    expectClose(g!, c.get(`grad.param.${n}`), `grad ${n}`);
  }
}

describe.each(['encoder_layer_post', 'encoder_layer_pre_gelu'])('golden %s', (name) => {
  it('matches torch.nn.TransformerEncoderLayer: parameter names, output and every gradient', async () => {
    const c = await loadCase(name);
    expect(c.op).toBe('TransformerEncoderLayer');
    const layer = new TransformerEncoderLayer(layerOptions(c));
    loadParams(c, layer);
    const x = c.get('input.x').clone().requireGrad();
    const { output, weights } = layer.forwardWithWeights(x, {
      srcKeyPaddingMask: c.has('input.src_key_padding_mask') ? c.get('input.src_key_padding_mask') : null,
    });
    expectClose(output, c.get('output.out'), 'out');
    const [b, t] = x.shape as [number, number];
    expect(weights.shape).toEqual([b, layer.nhead, t, t]);
    checkGradients(c, output, { x }, layer);
  });
});

describe.each(['decoder_layer_post', 'decoder_layer_pre'])('golden %s', (name) => {
  it('matches torch.nn.TransformerDecoderLayer: parameter names, output and every gradient', async () => {
    const c = await loadCase(name);
    expect(c.op).toBe('TransformerDecoderLayer');
    const layer = new TransformerDecoderLayer(layerOptions(c));
    loadParams(c, layer);
    const x = c.get('input.x').clone().requireGrad();
    const memory = c.get('input.memory').clone().requireGrad();
    const { output, selfWeights, crossWeights } = layer.forwardWithWeights(x, memory, {
      tgtMask: c.has('input.tgt_mask') ? c.get('input.tgt_mask') : null,
      memoryKeyPaddingMask: c.has('input.memory_key_padding_mask')
        ? c.get('input.memory_key_padding_mask')
        : null,
    });
    expectClose(output, c.get('output.out'), 'out');
    const [b, t] = x.shape as [number, number];
    expect(selfWeights.shape).toEqual([b, layer.nhead, t, t]);
    expect(crossWeights.shape).toEqual([b, layer.nhead, t, memory.shape[1]!]);
    checkGradients(c, output, { x, memory }, layer);
  });
});
