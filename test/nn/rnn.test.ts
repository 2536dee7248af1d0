import { describe, expect, it } from 'vitest';
import {
  add,
  concat,
  Generator,
  GRU,
  GRUCell,
  Linear,
  LSTM,
  LSTMCell,
  mean,
  mul,
  noGrad,
  randn,
  reshape,
  slice,
  square,
  stack,
  sub,
  sum,
  tensor,
  transpose,
  type Module,
  type Tensor,
} from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { expectGradClose, gradcheck, randomInput } from '../helpers/gradcheck.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Row r of W [rows, cols] · v, in double precision. */
function dot(w: Tensor, row: number, v: ArrayLike<number>): number {
  const cols = w.shape[1]!;
  let s = 0;
  for (let k = 0; k < cols; k++) s += w.data[row * cols + k]! * v[k]!;
  return s;
}

function rowOf(t: Tensor, b: number): number[] {
  const n = t.shape[1]!;
  return Array.from(t.data.subarray(b * n, (b + 1) * n));
}

/** Sequence b of x [B, T, I] cut to its first `length` steps, as [1, length, I]. */
function sequence(x: Tensor, b: number, length: number): Tensor {
  return slice(slice(x, 0, b, b + 1), 1, 0, length);
}

/** Column b of a state [L·D, B, H], as [L·D, 1, H]. */
function stateOf(t: Tensor, b: number): Tensor {
  return slice(t, 1, b, b + 1);
}

function allZero(t: Tensor): boolean {
  return t.data.every((v) => v === 0);
}

describe('GRUCell', () => {
  it('computes r, z, n and h′ as torch does (against a hand computation)', () => {
    const I = 3;
    const H = 4;
    const cell = new GRUCell(I, H, { generator: new Generator(1) });
    const x = randomInput([2, I], 2);
    const h = randomInput([2, H], 3);
    const out = cell.forward(x, h);
    expect(out.shape).toEqual([2, H]);
    const [wi, wh, bi, bh] = [cell.weightIh, cell.weightHh, cell.biasIh!, cell.biasHh!];
    for (let b = 0; b < 2; b++) {
      const xv = rowOf(x, b);
      const hv = rowOf(h, b);
      for (let j = 0; j < H; j++) {
        const gate = (g: number) => [
          dot(wi, g * H + j, xv) + bi.data[g * H + j]!,
          dot(wh, g * H + j, hv) + bh.data[g * H + j]!,
        ];
        const [xr, hr] = gate(0) as [number, number];
        const [xz, hz] = gate(1) as [number, number];
        const [xn, hn] = gate(2) as [number, number];
        const r = sigmoid(xr + hr);
        const z = sigmoid(xz + hz);
        const n = Math.tanh(xn + r * hn);
        expect(out.data[b * H + j]).toBeCloseTo((1 - z) * n + z * hv[j]!, 5);
      }
    }
  });

  it('starts from zeros when h is null; has no biases with bias false', () => {
    const cell = new GRUCell(2, 3, { generator: new Generator(4) });
    const x = randomInput([5, 2], 5);
    expectClose(cell.forward(x), cell.forward(x, randn([5, 3]).mul(0)), 'h null');
    const plain = new GRUCell(2, 3, { bias: false });
    expect(plain.namedParameters().map(([n]) => n)).toEqual(['weight_ih', 'weight_hh']);
    expect(plain.biasIh).toBeNull();
    expect(plain.forward(x).shape).toEqual([5, 3]);
  });

  it('initialises every parameter from U(−1/√H, 1/√H), reproducibly from a generator', () => {
    const H = 16;
    const cell = new GRUCell(5, H, { generator: new Generator(7) });
    const again = new GRUCell(5, H, { generator: new Generator(7) });
    expect(cell.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight_ih', [48, 5]],
      ['weight_hh', [48, 16]],
      ['bias_ih', [48]],
      ['bias_hh', [48]],
    ]);
    for (const [n, p] of cell.namedParameters()) {
      const bound = 1 / Math.sqrt(H);
      expect(
        p.data.every((v) => Math.abs(v) <= bound),
        n,
      ).toBe(true);
      expect(Math.max(...p.data.map(Math.abs)), n).toBeGreaterThan(0.5 * bound);
      expect(p.data).toEqual(again.stateDict().get(n)!.data);
    }
  });

  it('gradients of x, h and every parameter match finite differences', () => {
    const cell = new GRUCell(3, 2, { generator: new Generator(8) });
    gradcheck((x, h) => cell.forward(x!, h!), [randomInput([2, 3], 9), randomInput([2, 2], 10)]);
    checkParameterGradients(cell, () => [cell.forward(randomInput([2, 3], 9), randomInput([2, 2], 10))]);
  });
});

describe('LSTMCell', () => {
  it('computes i, f, g, o, c′ and h′ as torch does (against a hand computation)', () => {
    const I = 2;
    const H = 3;
    const cell = new LSTMCell(I, H, { generator: new Generator(11) });
    const x = randomInput([2, I], 12);
    const h = randomInput([2, H], 13);
    const c = randomInput([2, H], 14);
    const out = cell.forward(x, { h, c });
    const [wi, wh, bi, bh] = [cell.weightIh, cell.weightHh, cell.biasIh!, cell.biasHh!];
    for (let b = 0; b < 2; b++) {
      const xv = rowOf(x, b);
      const hv = rowOf(h, b);
      for (let j = 0; j < H; j++) {
        const pre = (g: number) =>
          dot(wi, g * H + j, xv) + bi.data[g * H + j]! + dot(wh, g * H + j, hv) + bh.data[g * H + j]!;
        const i = sigmoid(pre(0));
        const f = sigmoid(pre(1));
        const g = Math.tanh(pre(2));
        const o = sigmoid(pre(3));
        const c2 = f * c.data[b * H + j]! + i * g;
        expect(out.c.data[b * H + j]).toBeCloseTo(c2, 5);
        expect(out.h.data[b * H + j]).toBeCloseTo(o * Math.tanh(c2), 5);
      }
    }
  });

  it('gradients of x, h, c and every parameter match finite differences', () => {
    const cell = new LSTMCell(3, 2, { generator: new Generator(15) });
    const step = (x: Tensor, h: Tensor, c: Tensor) => {
      const s = cell.forward(x, { h, c });
      return [s.h, s.c];
    };
    const inputs = () => [randomInput([2, 3], 16), randomInput([2, 2], 17), randomInput([2, 2], 18)] as const;
    gradcheck((x, h, c) => step(x!, h!, c!), inputs());
    checkParameterGradients(cell, () => step(...inputs()));
  });
});

describe('GRU / LSTM', () => {
  it('a one-layer GRU equals its cell run step by step', () => {
    const gru = new GRU(3, 4, { generator: new Generator(20) });
    const cell = new GRUCell(3, 4);
    cell.loadStateDict(
      new Map(gru.namedParameters().map(([n, p]) => [n.replace('_l0', ''), p] as [string, Tensor])),
    );
    const x = randomInput([5, 2, 3], 21);
    const h0 = randomInput([1, 2, 4], 22);
    const { output, hN } = gru.forward(x, h0);
    let h = reshape(h0, [2, 4]);
    const steps: Tensor[] = [];
    for (let t = 0; t < 5; t++) {
      h = cell.forward(reshape(slice(x, 0, t, t + 1), [2, 3]), h);
      steps.push(h);
    }
    expectClose(output, stack(steps, 0), 'output');
    expectClose(hN, reshape(h, [1, 2, 4]), 'hN');
  });

  it('a one-layer LSTM equals its cell run step by step; the reverse direction runs from the end', () => {
    const lstm = new LSTM(3, 4, { bidirectional: true, generator: new Generator(23) });
    const forwardCell = new LSTMCell(3, 4);
    const reverseCell = new LSTMCell(3, 4);
    const params = lstm.stateDict();
    const cellParams = (suffix: string) =>
      new Map(
        ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => [n, params.get(`${n}_l0${suffix}`)!]),
      );
    forwardCell.loadStateDict(cellParams(''));
    reverseCell.loadStateDict(cellParams('_reverse'));
    const x = randomInput([4, 2, 3], 24);
    const { output, hN, cN } = lstm.forward(x);
    expect(output.shape).toEqual([4, 2, 8]);
    const xt = (t: number) => reshape(slice(x, 0, t, t + 1), [2, 3]);
    let f: { h: Tensor; c: Tensor } | null = null;
    let r: { h: Tensor; c: Tensor } | null = null;
    const fwd: Tensor[] = [];
    const rev: Tensor[] = [];
    for (let t = 0; t < 4; t++) {
      f = forwardCell.forward(xt(t), f);
      fwd.push(f.h);
      r = reverseCell.forward(xt(3 - t), r);
      rev.unshift(r.h);
    }
    expectClose(output, concat([stack(fwd, 0), stack(rev, 0)], 2), 'output');
    expectClose(hN, stack([f!.h, r!.h], 0), 'hN');
    expectClose(cN, stack([f!.c, r!.c], 0), 'cN');
  });

  it('batchFirst only transposes the input and the output', () => {
    for (const Layer of [GRU, LSTM]) {
      const seqFirst = new Layer(3, 4, { numLayers: 2, bidirectional: true, generator: new Generator(30) });
      const batchFirst = new Layer(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true });
      batchFirst.loadStateDict(seqFirst.stateDict());
      const x = randomInput([5, 2, 3], 31);
      const a = seqFirst.forward(x);
      const b = batchFirst.forward(transpose(x, 0, 1));
      expect(b.output.shape).toEqual([2, 5, 8]);
      expectClose(transpose(b.output, 0, 1), a.output, `${Layer.name} output`);
      expectClose(b.hN, a.hN, `${Layer.name} hN`);
    }
  });

  describe('lengths (padded batches)', () => {
    const lengths = [6, 3, 1, 4];
    for (const Layer of [GRU, LSTM]) {
      it(`${Layer.name}: zero outputs past each length, final states of the unpadded sequences`, () => {
        const rnn = new Layer(2, 3, {
          numLayers: 2,
          bidirectional: true,
          batchFirst: true,
          generator: new Generator(40),
        });
        const x = randomInput([4, 6, 2], 41);
        // Padding holds garbage: it must not leak into anything.
        lengths.forEach((n, b) => x.data.fill(1e3, (b * 6 + n) * 2, (b + 1) * 6 * 2));
        const h0 = randomInput([4, 4, 3], 42);
        const c0 = randomInput([4, 4, 3], 43);
        const run = (input: Tensor, h: Tensor, c: Tensor, options = {}) =>
          rnn instanceof LSTM
            ? rnn.forward(input, { h, c }, options)
            : { cN: null, ...rnn.forward(input, h, options) };
        const padded = run(x, h0, c0, { lengths });
        const asTensor = run(x, h0, c0, { lengths: tensor(Int32Array.from(lengths)) });
        expectClose(asTensor.output, padded.output, 'lengths as an int32 tensor');
        lengths.forEach((n, b) => {
          const alone = run(sequence(x, b, n), stateOf(h0, b), stateOf(c0, b));
          const out = slice(padded.output, 0, b, b + 1);
          // The reverse half of the output at step 0 is the reverse direction's last state: it must have started
          // at step n − 1 from h0, as the unpadded run does.
          expectClose(slice(out, 1, 0, n), alone.output, `output of sequence ${b}`);
          expect(allZero(slice(out, 1, n)), `output of sequence ${b} past its length`).toBe(true);
          expectClose(stateOf(padded.hN, b), alone.hN, `hN of sequence ${b}`);
          if (padded.cN) expectClose(stateOf(padded.cN, b), alone.cN!, `cN of sequence ${b}`);
        });
      });
    }

    it('padding that holds huge values reaches nothing, gradients included', () => {
      for (const bidirectional of [false, true]) {
        const gru = new GRU(2, 3, { numLayers: 2, bidirectional, generator: new Generator(47) });
        const x = randomInput([5, 3, 2], 48);
        const lens = [5, 2, 3];
        // Time-major: step t of sequence b at (t·3 + b)·2.
        lens.forEach((n, b) => {
          for (let t = n; t < 5; t++) x.data.fill(1e30, (t * 3 + b) * 2, (t * 3 + b + 1) * 2);
        });
        x.requireGrad();
        const { output, hN } = gru.forward(x, null, { lengths: lens });
        add(sum(output), sum(hN)).backward();
        expect(Array.from(output.data).every(Number.isFinite), `output, bidirectional ${bidirectional}`).toBe(
          true,
        );
        for (const [name, p] of gru.namedParameters())
          expect(Array.from(p.grad!.data).every(Number.isFinite), `${name}.grad`).toBe(true);
        lens.forEach((n, b) => {
          for (let t = 0; t < 5; t++) {
            const g = x.grad!.data[(t * 3 + b) * 2]!;
            if (t >= n) expect(g, `x.grad at padding (${t}, ${b})`).toBe(0);
            else expect(Number.isFinite(g)).toBe(true);
          }
        });
      }
    });

    it('full lengths change nothing; length 0 keeps h0 and outputs zeros', () => {
      const gru = new GRU(2, 3, { generator: new Generator(44) });
      const x = randomInput([5, 2, 2], 45);
      const h0 = randomInput([1, 2, 3], 46);
      expectClose(gru.forward(x, h0, { lengths: [5, 5] }).output, gru.forward(x, h0).output, 'full');
      const r = gru.forward(x, h0, { lengths: [0, 5] });
      expect(allZero(slice(r.output, 1, 0, 1))).toBe(true);
      expectClose(slice(r.hN, 1, 0, 1), slice(h0, 1, 0, 1), 'hN of the empty sequence');
    });
  });

  it('applies dropout between layers, in training mode only', () => {
    const x = randomInput([4, 3, 2], 50);
    const rnn = new GRU(2, 5, { numLayers: 2, dropout: 0.5, generator: new Generator(51) });
    const noDropout = new GRU(2, 5, { numLayers: 2 });
    noDropout.loadStateDict(rnn.stateDict());
    const trained = rnn.forward(x).output;
    const evaluated = rnn.eval().forward(x).output;
    expectClose(evaluated, noDropout.forward(x).output, 'eval has no dropout');
    expect(Array.from(trained.data)).not.toEqual(Array.from(evaluated.data));
    // The last layer's output is not dropped.
    expect(trained.data.every((v) => v !== 0)).toBe(true);
    // One layer: nothing between layers, so dropout does nothing even in training.
    const single = new LSTM(2, 5, { dropout: 0.5, generator: new Generator(52) });
    const trainedSingle = single.forward(x).output;
    expectClose(trainedSingle, single.eval().forward(x).output, 'one layer');
  });

  it('hoists the input projection: one matmul per layer and direction plus one per step', () => {
    const count = (Layer: typeof GRU | typeof LSTM, steps: number, padded = true) => {
      const rnn = new Layer(2, 3, { numLayers: 2, bidirectional: true, generator: new Generator(53) });
      const x = randomInput([steps, 2, 2], 54).requireGrad();
      const names = new Map<string, number>();
      const seen = new Set<Tensor>();
      const todo = [rnn.forward(x, null, { lengths: padded ? [steps, 1] : null }).output];
      while (todo.length) {
        const t = todo.pop()!;
        if (seen.has(t) || !t.gradFn) continue;
        seen.add(t);
        names.set(t.gradFn.name, (names.get(t.gradFn.name) ?? 0) + 1);
        todo.push(...t.gradFn.inputs);
      }
      return names;
    };
    for (const Layer of [GRU, LSTM]) {
      const short = count(Layer, 4);
      const long = count(Layer, 9);
      // The projection (a linear, bias in place) once per layer and direction; h·W_hhᵀ at every step, but for
      // a padded GRU's forward directions, which run fused (one gruSequence per layer).
      expect(long.get('linear')).toBe(2 * 2);
      expect(long.get('matmul')).toBe(Layer === GRU ? 2 * 9 : 2 * 2 * 9);
      expect((long.get('gruSequence') ?? 0) > 0).toBe(Layer === GRU);
      expect(long.get('gruSequence')).toBe(short.get('gruSequence'));
      // Copies that do not grow with the number of steps.
      for (const op of ['slice', 'permute', 'concat'])
        expect(long.get(op) ?? 0, `${Layer.name} ${op}`).toBe(short.get(op) ?? 0);
    }
    // Unpadded GRU: each layer and direction's time loop is one fused op, so the graph does not grow with T.
    const fusedShort = count(GRU, 4, false);
    const fusedLong = count(GRU, 9, false);
    expect(fusedLong.get('gruSequence')).toBeGreaterThan(0);
    expect(fusedLong.get('matmul') ?? 0).toBe(0);
    expect(fusedLong).toEqual(fusedShort);
  });

  describe('gradients match finite differences', () => {
    const lengths = [3, 1];
    it('GRU: x and h0, 2 layers, bidirectional, padded', () => {
      const gru = new GRU(2, 2, { numLayers: 2, bidirectional: true, generator: new Generator(60) });
      gradcheck(
        (x, h0) => {
          const r = gru.forward(x!, h0!, { lengths });
          return [r.output, r.hN];
        },
        [randomInput([3, 2, 2], 61), randomInput([4, 2, 2], 62)],
      );
    });

    it('LSTM: x, h0 and c0, 2 layers, bidirectional, batchFirst, padded', () => {
      const lstm = new LSTM(2, 2, {
        numLayers: 2,
        bidirectional: true,
        batchFirst: true,
        generator: new Generator(63),
      });
      gradcheck(
        (x, h, c) => {
          const r = lstm.forward(x!, { h: h!, c: c! }, { lengths });
          return [r.output, r.hN, r.cN];
        },
        [randomInput([2, 3, 2], 64), randomInput([4, 2, 2], 65), randomInput([4, 2, 2], 66)],
      );
    });

    for (const Layer of [GRU, LSTM]) {
      it(`${Layer.name}: every parameter, 2 layers, bidirectional, padded`, () => {
        const rnn = new Layer(2, 2, { numLayers: 2, bidirectional: true, generator: new Generator(67) });
        const x = randomInput([3, 2, 2], 68);
        checkParameterGradients(rnn, (): Tensor[] => {
          if (rnn instanceof LSTM) {
            const r = rnn.forward(x, null, { lengths });
            return [r.output, r.hN, r.cN];
          }
          const r = rnn.forward(x, null, { lengths });
          return [r.output, r.hN];
        });
      });
    }
  });

  describe('errors name the layer, the argument and the shapes', () => {
    const gru = new GRU(3, 4, { numLayers: 2 });
    const lstm = new LSTM(3, 4, { batchFirst: true, bidirectional: true });
    const x = randomInput([5, 2, 3], 70);

    it('bad options', () => {
      expect(() => new GRU(0, 4)).toThrow('GRU: inputSize must be a positive integer, got 0');
      expect(() => new LSTM(3, 2.5)).toThrow('LSTM: hiddenSize must be a positive integer, got 2.5');
      expect(() => new GRU(3, 4, { numLayers: 0 })).toThrow(
        'GRU: numLayers must be a positive integer, got 0',
      );
      expect(() => new LSTM(3, 4, { dropout: 1.5 })).toThrow('LSTM: dropout must be in [0, 1], got 1.5');
      expect(() => new GRUCell(3, -1)).toThrow('GRUCell: hiddenSize must be a positive integer, got -1');
    });

    it('bad input', () => {
      expect(() => gru.forward(randomInput([5, 3], 71))).toThrow(
        'GRU: input must be float32 [T, B, 3] (batchFirst false), got [5,3] float32',
      );
      expect(() => gru.forward(randomInput([5, 2, 4], 71))).toThrow(
        'GRU: input must be float32 [T, B, 3] (batchFirst false), got [5,2,4] float32',
      );
      expect(() => lstm.forward(tensor(new Int32Array(30), { shape: [2, 5, 3] }))).toThrow(
        'LSTM: input must be float32 [B, T, 3] (batchFirst true), got [2,5,3] int32',
      );
      expect(() => gru.forward(randomInput([0, 2, 3], 71))).toThrow(
        'GRU: input must have at least one step and one sequence, got [0,2,3]',
      );
    });

    it('bad initial states', () => {
      expect(() => gru.forward(x, randomInput([1, 2, 4], 72))).toThrow(
        'GRU: h0 must be float32 [2,2,4] (numLayers·directions, batch, hiddenSize), got [1,2,4] float32',
      );
      const bx = x; // batchFirst: B = 5, T = 2
      const ok = randomInput([2, 5, 4], 73);
      expect(() => lstm.forward(bx, { h: ok, c: randomInput([2, 5, 3], 74) })).toThrow(
        'LSTM: c0 must be float32 [2,5,4] (numLayers·directions, batch, hiddenSize), got [2,5,3] float32',
      );
      expect(() => lstm.forward(bx, ok as unknown as { h: Tensor; c: Tensor })).toThrow(
        'LSTM: state must be { h, c } (each [L·D, B, H]) or null, got [2,5,4] float32',
      );
      expect(() => lstm.forward(bx, { h: ok } as unknown as { h: Tensor; c: Tensor })).toThrow(
        'LSTM: state must be { h, c } (each [L·D, B, H]) or null, got { h: [2,5,4] float32, c: undefined }',
      );
    });

    it('bad lengths', () => {
      expect(() => gru.forward(x, null, { lengths: [5] })).toThrow(
        'GRU: lengths must have one entry per sequence (2), got 1',
      );
      expect(() => gru.forward(x, null, { lengths: [5, 6] })).toThrow(
        'GRU: lengths[1] = 6 is outside [0, 5] (the number of steps)',
      );
      expect(() => gru.forward(x, null, { lengths: tensor([5, 5]) })).toThrow(
        'GRU: lengths must be int32 [2] or a number array, got [2] float32',
      );
    });

    it('bad cell arguments', () => {
      const cell = new GRUCell(3, 4);
      expect(() => cell.forward(randomInput([2, 5], 75))).toThrow(
        'GRUCell: input must be float32 [B, 3], got [2,5] float32',
      );
      expect(() => cell.forward(randomInput([2, 3], 75), randomInput([3, 4], 76))).toThrow(
        'GRUCell: h must be float32 [2,4] (batch, hiddenSize), got [3,4] float32',
      );
      const lcell = new LSTMCell(3, 4);
      expect(() =>
        lcell.forward(randomInput([2, 3], 75), { h: randomInput([2, 4], 77), c: randomInput([2, 5], 78) }),
      ).toThrow('LSTMCell: c must be float32 [2,4] (batch, hiddenSize), got [2,5] float32');
    });
  });

  it('learns a toy task: a GRU + Linear outputs the first element of a sequence', () => {
    const generator = new Generator(80);
    const gru = new GRU(1, 12, { batchFirst: true, generator });
    const head = new Linear(12, 1, { generator });
    const params = [...gru.parameters(), ...head.parameters()];
    const adam = new AdamForTest(params, 0.03);
    const lossOf = (x: Tensor) => {
      const { hN } = gru.forward(x);
      const prediction = head.forward(reshape(hN, [-1, 12]));
      return mean(square(sub(prediction, reshape(slice(x, 1, 0, 1), [-1, 1]))));
    };
    const data = (seed: number) => randn([32, 4, 1], { generator: new Generator(seed) });
    const test = data(999);
    const initial = noGrad(() => lossOf(test).item());
    for (let step = 0; step < 60; step++) {
      for (const p of params) p.zeroGrad();
      lossOf(data(step)).backward();
      adam.step();
    }
    const final = noGrad(() => lossOf(test).item());
    expect(final).toBeLessThan(0.1 * initial);
  });
});

/**
 * ∂L/∂p for every parameter of `module` from backward() against central differences of L = Σ out ⊙ R (R fixed,
 * random), perturbing each parameter element in place.
 */
function checkParameterGradients(module: Module, run: () => readonly Tensor[]): void {
  const outputs = run();
  const generator = new Generator(1234);
  const weights = outputs.map((o) => randn(o.shape, { generator }));
  const lossValue = () =>
    noGrad(() => {
      let total = 0;
      run().forEach((o, i) => {
        for (let k = 0; k < o.size; k++) total += o.data[k]! * weights[i]!.data[k]!;
      });
      return total;
    });
  module.zeroGrad();
  outputs
    .map((o, i) => sum(mul(o, weights[i]!)))
    .reduce((a, b) => add(a, b))
    .backward();
  for (const [name, p] of module.namedParameters()) {
    const numeric = new Float64Array(p.size);
    for (let k = 0; k < p.size; k++) {
      const v = p.data[k]!;
      const up = Math.fround(v + 1e-2);
      const down = Math.fround(v - 1e-2);
      p.data[k] = up;
      const lossUp = lossValue();
      p.data[k] = down;
      const lossDown = lossValue();
      p.data[k] = v;
      numeric[k] = (lossUp - lossDown) / (up - down);
    }
    expectGradClose(p.grad?.data ?? null, numeric, name);
  }
}

/** A minimal Adam, in place, for the learning test (the library's optimisers live elsewhere). */
class AdamForTest {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;
  constructor(
    private readonly params: Tensor[],
    private readonly lr: number,
  ) {
    this.m = params.map((p) => new Float32Array(p.size));
    this.v = params.map((p) => new Float32Array(p.size));
  }
  step(): void {
    this.t++;
    const [b1, b2] = [0.9, 0.999];
    this.params.forEach((p, i) => {
      const g = p.grad!.data;
      const m = this.m[i]!;
      const v = this.v[i]!;
      for (let k = 0; k < p.size; k++) {
        m[k] = b1 * m[k]! + (1 - b1) * g[k]!;
        v[k] = b2 * v[k]! + (1 - b2) * g[k]! * g[k]!;
        const mh = m[k]! / (1 - b1 ** this.t);
        const vh = v[k]! / (1 - b2 ** this.t);
        p.data[k] = p.data[k]! - (this.lr * mh) / (Math.sqrt(vh) + 1e-8);
      }
    });
  }
}
