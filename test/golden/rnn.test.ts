import { describe, expect, it } from 'vitest';
import { add, GRU, LSTM, mul, sum, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { loadCase } from './fixtures.js';

describe.each(['gru_1layer', 'gru_2layer_bi', 'lstm_1layer', 'lstm_2layer_bi'])('golden %s', (name) => {
  it('matches torch.nn.GRU / LSTM: parameter names and order, outputs and every gradient', async () => {
    const c = await loadCase(name);
    const cfg = c.config;
    const Layer = c.op === 'LSTM' ? LSTM : GRU;
    expect(['GRU', 'LSTM']).toContain(c.op);
    const rnn = new Layer(cfg.input_size as number, cfg.hidden_size as number, {
      numLayers: cfg.num_layers as number,
      bidirectional: cfg.bidirectional as boolean,
      batchFirst: cfg.batch_first as boolean,
    });
    const paramNames = c.names('param.');
    // Same names in the same order as torch's state_dict (the fixture stores them sorted, so compare as sets
    // here and check the order against torch's rule below).
    expect(new Set(rnn.namedParameters().map(([n]) => n))).toEqual(new Set(paramNames));
    rnn.loadStateDict(new Map(paramNames.map((n) => [n, c.get(`param.${n}`)])));
    rnn.eval();

    const x = c.get('input.x').clone().requireGrad();
    const h0 = c.get('input.h0').clone().requireGrad();
    const inputs: Record<string, Tensor> = { x, h0 };
    const outputs: Record<string, Tensor> = {};
    if (rnn instanceof LSTM) {
      const c0 = c.get('input.c0').clone().requireGrad();
      inputs.c0 = c0;
      const r = rnn.forward(x, { h: h0, c: c0 });
      Object.assign(outputs, { out: r.output, h_n: r.hN, c_n: r.cN });
    } else {
      const r = rnn.forward(x, h0);
      Object.assign(outputs, { out: r.output, h_n: r.hN });
    }
    expect(Object.keys(outputs).sort()).toEqual(c.names('output.').sort());
    for (const [n, t] of Object.entries(outputs)) expectClose(t, c.get(`output.${n}`), n);

    // L = Σ over outputs o of Σ o ⊙ upstream_o, as the fixtures define it.
    let loss: Tensor | null = null;
    for (const [n, t] of Object.entries(outputs)) {
      const term = sum(mul(t, c.get(`input.upstream_${n}`)));
      loss = loss ? add(loss, term) : term;
    }
    loss!.backward();
    expect(c.names('grad.input.').sort()).toEqual(Object.keys(inputs).sort());
    for (const n of c.names('grad.input.'))
      expectClose(inputs[n]!.grad!, c.get(`grad.input.${n}`), `grad ${n}`);
    const params = new Map(rnn.namedParameters());
    expect(new Set(c.names('grad.param.'))).toEqual(new Set(params.keys()));
    for (const n of c.names('grad.param.')) {
      const g = params.get(n)!.grad;
      expect(g, `grad of ${n}`).not.toBeNull();
      expectClose(g!, c.get(`grad.param.${n}`), `grad ${n}`);
    }
  });
});

describe('GRU / LSTM parameter order', () => {
  it("lists parameters in torch's state_dict order: layer by layer, forward then reverse", () => {
    const expected: string[] = [];
    for (const layer of [0, 1]) {
      for (const suffix of ['', '_reverse']) {
        for (const kind of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'])
          expected.push(`${kind}_l${layer}${suffix}`);
      }
    }
    for (const Layer of [GRU, LSTM]) {
      const rnn = new Layer(3, 4, { numLayers: 2, bidirectional: true });
      expect(rnn.namedParameters().map(([n]) => n)).toEqual(expected);
    }
  });
});
