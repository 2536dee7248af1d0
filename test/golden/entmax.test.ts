// entmax15 and α-entmax against PyTorch implementations of the papers' algorithms (scripts/golden/entmax.py):
// the weights of masked rows and the gradient of L = Σ y ⊙ upstream.
import { describe, it } from 'vitest';
import { entmax15, entmaxBisect, maskedFill, mul, sum } from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { loadCase, OWN_FIXTURE_DIR } from './fixtures.js';

describe.each(['entmax15', 'entmax_bisect_1_25', 'entmax_bisect_1_75', 'entmax_bisect_3'])(
  'golden %s',
  (name) => {
    it('matches PyTorch: weights (0 where masked) and the gradient of x', async () => {
      const c = await loadCase(name, OWN_FIXTURE_DIR);
      const x = c.get('input.x').clone().requireGrad();
      const masked = maskedFill(x, c.get('input.mask'), -Infinity);
      const y = c.op === 'entmax15' ? entmax15(masked) : entmaxBisect(masked, c.config.alpha as number);
      expectClose(y, c.get('output.y'), 'y');
      sum(mul(y, c.get('input.upstream_y'))).backward();
      expectClose(x.grad!, c.get('grad.input.x'), 'grad x');
    });
  },
);
