import { describe, expect, it } from 'vitest';
import { BahdanauSeq2Seq, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { loadCase } from './fixtures.js';

describe('golden seq2seq_bahdanau_gru', () => {
  it('matches the PyTorch tutorial model: logits, attention weights, loss and every parameter gradient', async () => {
    const c = await loadCase('seq2seq_bahdanau_gru');
    const cfg = c.config as { embedding_dim: number; src_vocab: number; tgt_vocab: number; units: number };
    const model = new BahdanauSeq2Seq({
      srcVocabSize: cfg.src_vocab,
      tgtVocabSize: cfg.tgt_vocab,
      embeddingDim: cfg.embedding_dim,
      hiddenSize: cfg.units,
      attentionUnits: cfg.units,
      dropout: 0,
    });
    const params = new Map(c.names('param.').map((n) => [n, c.get(`param.${n}`)] as [string, Tensor]));
    // Strict: the PyTorch state dict loads as is, with exactly the same names.
    model.loadStateDict(params);
    expect(
      model
        .namedParameters()
        .map(([n]) => n)
        .sort(),
    ).toEqual([...params.keys()].sort());

    const { loss, logits, weights } = model.loss(
      c.get('input.src'),
      null,
      c.get('input.tgt_in'),
      c.get('input.tgt_out'),
    );
    expectClose(logits, c.get('output.logits'), 'logits');
    expectClose(weights, c.get('output.weights'), 'weights');
    expectClose(loss.reshape([1]), c.get('output.loss'), 'loss');
    loss.backward();
    for (const [name, p] of model.namedParameters())
      expectClose(p.grad!, c.get(`grad.param.${name}`), `grad ${name}`);
  });
});
