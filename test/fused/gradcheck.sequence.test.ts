/**
 * The fused recurrences (gruSequence, bahdanauGruSequence, luongGruSequence): values against the same steps
 * taken op by op, and finite-difference gradient checks of every input, with padding masks and both directions.
 * (luongGruSequence's values are checked against LuongDecoder's step loop in test/models/seq2seq.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import {
  add,
  matmul,
  maskedFill,
  reshape,
  softmax,
  squeeze,
  stack,
  tanh,
  Tensor,
  unsqueeze,
} from '../../src/index.js';
import { bahdanauGruSequence } from '../../src/fused/bahdanau-gru-sequence.js';
import { gruSequence } from '../../src/fused/gru-sequence.js';
import { luongGruSequence } from '../../src/fused/luong-gru-sequence.js';
import { gruCell } from '../../src/tensor/ops/recurrent.js';
import { expectClose } from '../helpers/close.js';
import { gradcheck, randomInput } from '../helpers/gradcheck.js';

/** Gate-major h·W_hhᵀ for the reference loops: [B, H] × [3H, H] → [3, B, H]. */
function hiddenGates(h: Tensor, weightHh: Tensor): Tensor {
  const hidden = h.shape[1]!;
  return matmul(h, reshape(weightHh, [3, hidden, hidden]), { transB: true });
}

describe('gruSequence', () => {
  const [steps, batch, hidden] = [4, 3, 5];
  const inputs = () => [
    randomInput([steps, batch, 3 * hidden], 1, { scale: 2 }),
    randomInput([batch, hidden], 2),
    randomInput([3 * hidden, hidden], 3),
    randomInput([hidden], 4),
  ];

  for (const reverse of [false, true]) {
    it(`equals a loop of gruCell steps (reverse ${reverse})`, () => {
      const [pre, h0, w, b] = inputs() as [Tensor, Tensor, Tensor, Tensor];
      const { outputs, last } = gruSequence(pre, h0, w, b, reverse);
      const want: Tensor[] = new Array<Tensor>(steps);
      let h = h0;
      for (let s = 0; s < steps; s++) {
        const t = reverse ? steps - 1 - s : s;
        const x = stepGates(pre, t);
        h = gruCell(x, hiddenGates(h, w), h, b);
        want[t] = h;
      }
      expectClose(outputs, stack(want, 0), 'outputs');
      expectClose(last, h, 'last');
    });

    it(`gradcheck of every input (reverse ${reverse}), with and without b_hn`, () => {
      const all = inputs();
      gradcheck((pre, h0, w, b) => {
        const r = gruSequence(pre!, h0!, w!, b!, reverse);
        return [r.outputs, r.last];
      }, all);
      gradcheck(
        (pre, h0, w) => {
          const r = gruSequence(pre!, h0!, w!, null, reverse);
          return [r.outputs, r.last];
        },
        all.slice(0, 3),
      );
    });
  }

  it('names the argument and the shapes on bad input', () => {
    const [pre, h0, w] = inputs() as [Tensor, Tensor, Tensor];
    expect(() => gruSequence(pre, reshape(h0, [hidden, batch]), w, null)).toThrow(
      /gruSequence.*h0 must be \[3, 5\]/,
    );
    expect(() => gruSequence(reshape(pre, [steps, batch, 3, hidden]), h0, w, null)).toThrow(/pre must be/);
  });
});

describe('bahdanauGruSequence', () => {
  const [steps, batch, hidden, length, units, width] = [3, 3, 4, 4, 5, 6];
  const make = () => ({
    embedded: randomInput([steps, batch, 3 * hidden], 11, { scale: 2 }),
    h0: randomInput([batch, hidden], 12),
    keys: randomInput([batch, length, units], 13),
    memory: randomInput([batch, length, width], 14),
    queryWeight: randomInput([units, hidden], 15),
    queryBias: randomInput([units], 16),
    scoreWeight: randomInput([1, units], 17),
    scoreBias: randomInput([1], 18),
    contextWeight: randomInput([3 * hidden, width], 19),
    weightHh: randomInput([3 * hidden, hidden], 20),
    biasHn: randomInput([hidden], 21),
  });
  // Row 1 has two real keys, row 2 none (it attends nothing).
  const mask = new Tensor(Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]), [batch, length], 'bool');

  for (const padded of [false, true]) {
    const m = padded ? mask : null;

    it(`equals the step-by-step decoder (additive attention, then a GRU step; padded ${padded})`, () => {
      const x = make();
      const r = bahdanauGruSequence({ ...x, mask: m });
      const states: Tensor[] = [];
      const weights: Tensor[] = [];
      let h = x.h0;
      for (let t = 0; t < steps; t++) {
        const q = add(matmul(h, x.queryWeight, { transB: true }), x.queryBias);
        const hiddenScores = tanh(add(x.keys, unsqueeze(q, 1)));
        let e = add(squeeze(matmul(hiddenScores, x.scoreWeight, { transB: true }), -1), x.scoreBias);
        if (m) e = maskedFill(e, m, -Infinity);
        const a = softmax(e, -1);
        const context = squeeze(matmul(unsqueeze(a, 1), x.memory), 1);
        const gates = reshape(matmul(context, x.contextWeight, { transB: true }), [batch, 3, hidden]);
        const xg = add(stepGates(x.embedded, t), new Tensor(transposeGates(gates), [3, batch, hidden]));
        h = gruCell(xg, hiddenGates(h, x.weightHh), h, x.biasHn);
        states.push(h);
        weights.push(a);
      }
      expectClose(r.states, stack(states, 1), 'states');
      expectClose(r.weights, stack(weights, 1), 'weights');
      expectClose(r.last, h, 'last');
      if (m)
        expect(Array.from(r.weights.data.slice(2 * steps * length))).toEqual(
          new Array(steps * length).fill(0),
        );
    });

    it(`gradcheck of every input (padded ${padded})`, () => {
      const x = make();
      const names = Object.keys(x) as (keyof typeof x)[];
      gradcheck(
        (...args) => {
          const given = Object.fromEntries(names.map((n, i) => [n, args[i]!])) as unknown as typeof x;
          const r = bahdanauGruSequence({ ...given, mask: m });
          return [r.states, r.weights, r.last];
        },
        names.map((n) => x[n]),
      );
    });
  }

  it('works without the optional biases', () => {
    const x = make();
    const r = bahdanauGruSequence({ ...x, mask: null, queryBias: null, scoreBias: null, biasHn: null });
    expect(r.states.shape).toEqual([batch, steps, hidden]);
    expect(r.weights.shape).toEqual([batch, steps, length]);
  });

  it('names the argument and the shapes on bad input', () => {
    const x = make();
    expect(() => bahdanauGruSequence({ ...x, mask: null, keys: x.memory })).toThrow(
      /bahdanauGruSequence.*keys must be \[3,4,5\]/,
    );
    expect(() => bahdanauGruSequence({ ...x, mask: x.keys })).toThrow(/mask must be bool \[3, 4\]/);
  });
});

describe('luongGruSequence', () => {
  const [steps, batch, hidden, length, width] = [3, 3, 4, 4, 5];
  const make = () => ({
    embedded: randomInput([steps, batch, 3 * hidden], 31, { scale: 2 }),
    h0: randomInput([batch, hidden], 32),
    feed0: randomInput([batch, hidden], 33) as Tensor | null,
    keys: randomInput([batch, length, hidden], 34),
    memory: randomInput([batch, length, width], 35),
    feedWeight: randomInput([3 * hidden, hidden], 36) as Tensor | null,
    weightHh: randomInput([3 * hidden, hidden], 37),
    biasHn: randomInput([hidden], 38) as Tensor | null,
    outputWeight: randomInput([hidden, width + hidden], 39),
  });
  // Row 1 has two real keys, row 2 none (it attends nothing).
  const mask = new Tensor(Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]), [batch, length], 'bool');
  type Inputs = ReturnType<typeof make>;
  const variants: [string, (x: Inputs) => Inputs][] = [
    ['input feeding from feed0', (x) => x],
    ['input feeding, no feed0', (x) => ({ ...x, feed0: null })],
    ['no input feeding, no b_hn', (x) => ({ ...x, feed0: null, feedWeight: null, biasHn: null })],
  ];

  for (const padded of [false, true]) {
    const m = padded ? mask : null;
    for (const [what, variant] of variants) {
      it(`gradcheck of every input (${what}; padded ${padded})`, () => {
        const x = variant(make());
        const names = (Object.keys(x) as (keyof Inputs)[]).filter((n) => x[n] !== null);
        gradcheck(
          (...args) => {
            const given = { ...x, ...Object.fromEntries(names.map((n, i) => [n, args[i]!])) } as Inputs;
            const r = luongGruSequence({ ...given, mask: m });
            return [r.outputs, r.weights, r.last];
          },
          names.map((n) => x[n]!),
          // Three steps of sigmoid/tanh through two attention layers curve enough that a 1e-2 step's
          // truncation error (O(h²)) reaches the tolerance; 3e-3 keeps both it and float32 rounding below.
          { eps: 3e-3 },
        );
      });
    }
  }

  it('a row whose keys are all masked gets zero weights', () => {
    const r = luongGruSequence({ ...make(), mask });
    expect(r.outputs.shape).toEqual([batch, steps, hidden]);
    expect(Array.from(r.weights.data.slice(2 * steps * length))).toEqual(new Array(steps * length).fill(0));
  });

  it('names the argument and the shapes on bad input', () => {
    const x = make();
    expect(() => luongGruSequence({ ...x, mask: null, keys: x.memory })).toThrow(
      /luongGruSequence.*keys must be \[3,4,4\]/,
    );
    expect(() => luongGruSequence({ ...x, mask: x.keys })).toThrow(/mask must be bool \[3, 4\]/);
    expect(() => luongGruSequence({ ...x, mask: null, feedWeight: null })).toThrow(
      /feed0 is given but feedWeight is null/,
    );
    expect(() => luongGruSequence({ ...x, mask: null, outputWeight: x.weightHh })).toThrow(
      /outputWeight must be \[4,9\]/,
    );
  });
});

/** Step t of rows [T, B, 3H] as a gate-major [3, B, H] tensor (what the gruCell op reads). */
function stepGates(rows: Tensor, t: number): Tensor {
  const [, batch, g3] = rows.shape as [number, number, number];
  const step = new Tensor(rows.data.slice(t * batch * g3, (t + 1) * batch * g3), [batch, 3, g3 / 3]);
  return new Tensor(transposeGates(step), [3, batch, g3 / 3]);
}

/** [B, 3, H] → gate-major [3, B, H], as plain data. */
function transposeGates(t: Tensor): Float32Array {
  const [batch, gates, hidden] = t.shape as [number, number, number];
  const out = new Float32Array(t.size);
  for (let b = 0; b < batch; b++)
    for (let g = 0; g < gates; g++)
      for (let j = 0; j < hidden; j++)
        out[(g * batch + b) * hidden + j] = t.data[(b * gates + g) * hidden + j]!;
  return out;
}
