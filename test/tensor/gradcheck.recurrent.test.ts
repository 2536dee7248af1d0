/** Finite-difference gradient checks of the fused recurrent cell ops (gruCell, lstmCell). */
import { describe, it } from 'vitest';
import { gruCell, lstmCell } from '../../src/tensor/ops/recurrent.js';
import { gradcheck, randomInput } from '../helpers/gradcheck.js';

describe('gradcheck: gruCell', () => {
  for (const [batch, hidden] of [
    [1, 1],
    [3, 7],
    [2, 5],
  ] as const) {
    it(`B=${batch}, H=${hidden}, with and without b_hn`, () => {
      const seed = batch * 10 + hidden;
      const inputs = [
        randomInput([3, batch, hidden], seed, { scale: 2 }),
        randomInput([3, batch, hidden], seed + 1, { scale: 2 }),
        randomInput([batch, hidden], seed + 2),
        randomInput([hidden], seed + 3),
      ];
      gradcheck((xg, hg, h, b) => gruCell(xg!, hg!, h!, b!), inputs);
      gradcheck((xg, hg, h) => gruCell(xg!, hg!, h!), inputs.slice(0, 3));
    });
  }
});

describe('gradcheck: lstmCell', () => {
  for (const [batch, hidden] of [
    [1, 1],
    [3, 7],
    [2, 5],
  ] as const) {
    it(`B=${batch}, H=${hidden}`, () => {
      const seed = batch * 10 + hidden;
      gradcheck(
        (xg, hg, c) => lstmCell(xg!, hg!, c!),
        [
          randomInput([4, batch, hidden], seed, { scale: 2 }),
          randomInput([4, batch, hidden], seed + 1, { scale: 2 }),
          randomInput([batch, hidden], seed + 2, { scale: 2 }),
        ],
      );
    });
  }
});
