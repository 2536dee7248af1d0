import { describe, it } from 'vitest';
import { crossEntropy, tensor } from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { loadCase } from './fixtures.js';

describe.each(['cross_entropy_plain', 'cross_entropy_smooth'])('golden %s', (name) => {
  it('matches torch.nn.functional.cross_entropy: loss and gradient of the logits', async () => {
    const c = await loadCase(name);
    const logits = c.get('input.logits').clone().requireGrad();
    const loss = crossEntropy(logits, c.get('input.target'), {
      ignoreIndex: c.config.ignore_index as number,
      labelSmoothing: c.config.label_smoothing as number,
      reduction: 'mean',
    });
    expectClose(loss.reshape([1]), c.get('output.loss'), 'loss');
    // The case's loss is a scalar, so its upstream gradient is 1.
    loss.backward(tensor(1));
    expectClose(logits.grad!, c.get('grad.input.logits'), 'grad logits');
  });
});
