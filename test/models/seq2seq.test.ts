import { describe, expect, it } from 'vitest';
import {
  Adam,
  add,
  AttnError,
  BahdanauDecoder,
  BahdanauSeq2Seq,
  beamSearch,
  clipGradNorm,
  concat,
  crossEntropy,
  Generator,
  greedyDecode,
  LuongDecoder,
  LuongSeq2Seq,
  mul,
  noGrad,
  Padding,
  paddingMaskFromLengths,
  randn,
  reshape,
  RNNEncoder,
  sampleDecode,
  slice,
  sum,
  teacherForcedFused,
  teacherForcedSteps,
  tanh,
  Tensor,
  type BahdanauSeq2SeqOptions,
  type LocalWindow,
  type LuongScore,
  type LuongSeq2SeqOptions,
  type RNNSeq2Seq,
} from '../../src/index.js';
import { expectClose } from '../helpers/close.js';

const PAD = 0;
const SOS = 1;
const EOS = 2;
const FIRST = 3;
const DIGITS = 10;
const VOCAB = FIRST + DIGITS;

/** Right-padded int32 [B, max length] ids. */
const ids = (rows: number[][], fill = PAD): Tensor => {
  const width = Math.max(...rows.map((r) => r.length));
  const data = new Int32Array(rows.length * width).fill(fill);
  rows.forEach((r, i) => data.set(r, i * width));
  return new Tensor(data, [rows.length, width], 'int32');
};

const values = (t: Tensor): number[] => Array.from(t.data);

function bahdanau(options: Partial<BahdanauSeq2SeqOptions> = {}, seed = 1): BahdanauSeq2Seq {
  return new BahdanauSeq2Seq({
    srcVocabSize: VOCAB,
    embeddingDim: 8,
    hiddenSize: 12,
    attentionUnits: 10,
    dropout: 0,
    padId: PAD,
    generator: new Generator(seed),
    ...options,
  });
}

function luong(options: Partial<LuongSeq2SeqOptions> = {}, seed = 2): LuongSeq2Seq {
  return new LuongSeq2Seq({
    srcVocabSize: VOCAB,
    embeddingDim: 8,
    hiddenSize: 12,
    dropout: 0,
    padId: PAD,
    generator: new Generator(seed),
    ...options,
  });
}

const SOURCES = [
  [3, 4, 5, 6, 7],
  [8, 9],
  [10, 11, 12],
];
const LENGTHS = SOURCES.map((s) => s.length);
const TGT_IN = ids([
  [SOS, 5, 6, 7],
  [SOS, 9, 8, 4],
  [SOS, 12, 11, 10],
]);

/** The weights of every query row at the padding of each source are 0; each row sums to 1. */
function expectMaskedWeights(weights: Tensor, lengths: number[]): void {
  const [batch, steps, length] = weights.shape as [number, number, number];
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const row = values(weights).slice((b * steps + t) * length, (b * steps + t + 1) * length);
      expect(
        row.slice(lengths[b]).every((v) => v === 0),
        `source ${b} step ${t}: padding`,
      ).toBe(true);
      expect(Math.abs(row.reduce((a, v) => a + v, 0) - 1)).toBeLessThan(1e-5);
    }
  }
}

describe('RNNEncoder', () => {
  it.each([
    ['gru', 1, false],
    ['lstm', 1, false],
    ['gru', 2, true],
    ['lstm', 3, true],
  ] as const)(
    '%s, %i layer(s), bidirectional %s: shapes of outputs, states and the decoder state',
    (cell, layers, bi) => {
      const encoder = new RNNEncoder({
        vocabSize: VOCAB,
        embeddingDim: 6,
        hiddenSize: 5,
        cell,
        numLayers: layers,
        bidirectional: bi,
        paddingIdx: PAD,
        generator: new Generator(3),
      });
      const D = bi ? 2 : 1;
      const { outputs, state } = encoder.forward(ids(SOURCES), LENGTHS);
      expect(outputs.shape).toEqual([3, 5, D * 5]);
      expect(encoder.outputSize).toBe(D * 5);
      expect(state.h.shape).toEqual([layers * D, 3, 5]);
      if (cell === 'lstm') expect(state.c!.shape).toEqual([layers * D, 3, 5]);
      else expect(state.c ?? null).toBeNull();
      const init = encoder.decoderState(state);
      expect(init.h.shape).toEqual([layers, 3, 5]);
      if (cell === 'lstm') expect(init.c!.shape).toEqual([layers, 3, 5]);
      const names = encoder.namedParameters().map(([n]) => n);
      expect(names.includes('bridge.weight')).toBe(bi);
      expect(names.includes('bridge_c.weight')).toBe(bi && cell === 'lstm');
      // Bidirectional: h_l = tanh(bridge([h_l,fwd; h_l,rev])).
      if (bi) {
        const last = layers - 1;
        const fwd = slice(state.h, 0, 2 * last, 2 * last + 1).reshape([3, 5]);
        const rev = slice(state.h, 0, 2 * last + 1, 2 * last + 2).reshape([3, 5]);
        const expected = encoder.bridge!.forward(concat([fwd, rev], 1)).tanh();
        expectClose(slice(init.h, 0, last, last + 1).reshape([3, 5]), expected, 'bridged top layer');
      }
    },
  );

  it('padding positions give zero outputs, and real positions do not depend on the padding', () => {
    const encoder = new RNNEncoder({
      vocabSize: VOCAB,
      embeddingDim: 6,
      hiddenSize: 5,
      bidirectional: true,
      numLayers: 2,
      generator: new Generator(4),
    });
    const a = encoder.forward(ids(SOURCES, PAD), LENGTHS);
    const b = encoder.forward(ids(SOURCES, 9), LENGTHS);
    expectClose(b.outputs, a.outputs, 'outputs with other padding');
    expectClose(b.state.h, a.state.h, 'final states with other padding');
    const out = values(a.outputs);
    for (let s = 0; s < 3; s++)
      for (let t = LENGTHS[s]!; t < 5; t++)
        expect(out.slice((s * 5 + t) * 10, (s * 5 + t + 1) * 10).every((v) => v === 0)).toBe(true);
    // The padded source alone gives the same outputs at its real positions.
    const alone = encoder.forward(ids([SOURCES[1]!]));
    expectClose(slice(slice(a.outputs, 0, 1, 2), 1, 0, 2), alone.outputs, 'source 1 alone');
  });
});

describe('BahdanauSeq2Seq', () => {
  it.each([
    ['gru', 1, false],
    ['lstm', 1, false],
    ['gru', 2, true],
    ['lstm', 2, true],
  ] as const)(
    '%s, %i layer(s), bidirectional %s: logits [B, T, V], weights [B, T, S]',
    (cell, layers, bi) => {
      const model = bahdanau({ cell, numLayers: layers, bidirectional: bi, tgtVocabSize: 9 });
      const { logits, weights } = model.forward(ids(SOURCES), LENGTHS, ids([[SOS, 3, 4], [SOS], [SOS, 5]]));
      expect(logits.shape).toEqual([3, 3, 9]);
      expect(weights.shape).toEqual([3, 3, 5]);
      expectMaskedWeights(weights, LENGTHS);
      const names = model.namedParameters().map(([n]) => n);
      expect(names).toContain('attn.W1.weight');
      expect(names).toContain(`dec.weight_hh_l${layers - 1}`);
      expect(names.includes('enc.weight_ih_l0_reverse')).toBe(bi);
      expect(names.includes('bridge.weight')).toBe(bi);
      // attn.W1 reads the encoder outputs (2H when bidirectional); dec reads [context; embedding].
      expect(model.decoder.attention.W1.weight.shape).toEqual([10, bi ? 24 : 12]);
      expect(model.decoder.rnn.allWeights[0]!.weightIh.shape[1]).toBe((bi ? 24 : 12) + 8);
    },
  );

  it('masks source padding: lengths and a padding mask agree, and the padding content does not matter', () => {
    const model = bahdanau({ bidirectional: true });
    const byLengths = model.forward(ids(SOURCES), LENGTHS, TGT_IN);
    const byMask = model.forward(ids(SOURCES, 7), paddingMaskFromLengths(LENGTHS, 5), TGT_IN);
    const byTensor = model.forward(
      ids(SOURCES, 4),
      new Tensor(Int32Array.from(LENGTHS), [3], 'int32'),
      TGT_IN,
    );
    const byPadding = model.forward(ids(SOURCES, 5), Padding.fromLengths(LENGTHS, 5), TGT_IN);
    expectMaskedWeights(byLengths.weights, LENGTHS);
    for (const other of [byMask, byTensor, byPadding]) {
      expectClose(other.logits, byLengths.logits, 'logits');
      expectClose(other.weights, byLengths.weights, 'weights');
    }
    // A batch of one unpadded source gives the same as its row of the padded batch.
    const alone = model.forward(ids([SOURCES[1]!]), null, slice(TGT_IN, 0, 1, 2));
    expectClose(alone.logits, slice(byLengths.logits, 0, 1, 2), 'source 1 alone');
    expectClose(alone.weights, slice(slice(byLengths.weights, 0, 1, 2), 2, 0, 2), 'weights alone');
  });

  it('teacher forcing: ratio 1 is the default; ratio 0 ignores tgtIn after <sos>; draws are seeded', () => {
    const model = bahdanau({ cell: 'lstm', numLayers: 2 });
    const src = ids(SOURCES);
    const forced = model.forward(src, LENGTHS, TGT_IN);
    // The hoisted teacher-forcing path and the step-by-step path agree (a ratio just below 1 feeds gold).
    const stepwise = model.forward(src, LENGTHS, TGT_IN, {
      teacherForcingRatio: 1 - 1e-12,
      generator: new Generator(0),
    });
    expectClose(stepwise.logits, forced.logits, 'stepwise logits');
    expectClose(stepwise.weights, forced.weights, 'stepwise weights');

    const free = model.forward(src, LENGTHS, TGT_IN, { teacherForcingRatio: 0 });
    const otherTargets = ids([
      [SOS, 3, 3, 3],
      [SOS, 4, 4, 4],
      [SOS, 5, 5, 5],
    ]);
    const free2 = model.forward(src, LENGTHS, otherTargets, { teacherForcingRatio: 0 });
    expectClose(free2.logits, free.logits, 'ratio 0 ignores the gold tokens');
    expectClose(slice(free.logits, 1, 0, 1), slice(forced.logits, 1, 0, 1), 'step 0 reads <sos> either way');
    const changed = model.forward(src, LENGTHS, otherTargets);
    expect(values(changed.logits)).not.toEqual(values(forced.logits));

    const half = (seed: number) =>
      model.forward(src, LENGTHS, TGT_IN, { teacherForcingRatio: 0.5, generator: new Generator(seed) });
    expect(values(half(5).logits)).toEqual(values(half(5).logits));
  });

  it('GRU, one layer: the fused teacher-forced loop equals the step-by-step one, values and gradients', () => {
    const tgtOut = ids([
      [4, 5, 6, EOS],
      [7, EOS, PAD, PAD],
      [EOS, PAD, PAD, PAD],
    ]);
    for (const [bi, lengths] of [
      [false, LENGTHS],
      [false, null],
      [true, LENGTHS],
    ] as const) {
      const model = bahdanau({ bidirectional: bi });
      const run = (ratio: number) => {
        model.zeroGrad();
        const r = model.loss(ids(SOURCES), lengths, TGT_IN, tgtOut, {
          teacherForcingRatio: ratio,
          generator: new Generator(0),
        });
        r.loss.backward();
        return { ...r, grads: model.namedParameters().map(([n, p]) => [n, p.grad!.clone()] as const) };
      };
      const fused = run(1);
      const stepwise = run(1 - 1e-12);
      expectClose(fused.logits, stepwise.logits, 'logits');
      expectClose(fused.weights, stepwise.weights, 'weights');
      stepwise.grads.forEach(([name, g], i) => expectClose(fused.grads[i]![1], g, `grad ${name}`));
    }
  });

  it('the decoder runner: the fused path and the readable step loop give the same loss and gradients', () => {
    const tgtOut = ids([
      [4, 5, 6, EOS],
      [7, EOS, PAD, PAD],
      [EOS, PAD, PAD, PAD],
    ]);
    for (const [bi, lengths] of [
      [false, LENGTHS],
      [false, null],
      [true, LENGTHS],
    ] as const) {
      const model = bahdanau({ bidirectional: bi });
      const run = (path: typeof teacherForcedFused) => {
        model.zeroGrad();
        const enc = model.encode(ids(SOURCES), lengths);
        const state = model.decoder.init(enc.memory, enc.initial, enc.paddingMask);
        const r = path(model.decoder, TGT_IN, state)!;
        const [batch, steps, vocab] = r.logits.shape as [number, number, number];
        const loss = crossEntropy(
          reshape(r.logits, [batch * steps, vocab]),
          reshape(tgtOut, [batch * steps]),
          {
            ignoreIndex: PAD,
          },
        );
        loss.backward();
        const grads = model.namedParameters().map(([n, p]) => [n, p.grad!.clone()] as const);
        return { loss, weights: r.weights, state: r.state, grads };
      };
      const fused = run(teacherForcedFused);
      const steps = run(teacherForcedSteps);
      expectClose(fused.loss, steps.loss, 'loss');
      expectClose(fused.weights, steps.weights, 'weights');
      expectClose(fused.state.h[0]!, steps.state.h[0]!, 'final state');
      expect(fused.state.step).toBe(steps.state.step);
      steps.grads.forEach(([name, g], i) => expectClose(fused.grads[i]![1], g, `grad ${name}`));
    }
    // Where no fused op computes the decoder (LSTM, stacked layers), the runner takes the step loop.
    const lstm = bahdanau({ cell: 'lstm' });
    const enc = lstm.encode(ids(SOURCES), LENGTHS);
    expect(teacherForcedFused(lstm.decoder, TGT_IN, lstm.decoder.init(enc.memory, enc.initial))).toBeNull();
  });

  it('Luong GRU: the fused path equals the step loop (loss, weights, states, every gradient)', () => {
    const tgtOut = ids([
      [4, 5, 6, EOS],
      [7, EOS, PAD, PAD],
      [EOS, PAD, PAD, PAD],
    ]);
    const cases: [string, Partial<LuongSeq2SeqOptions>, number[] | null][] = [
      ['general, input feeding, padded sources', {}, LENGTHS],
      ['general, no padding', {}, null],
      ['dot (the keys are the memory itself)', { score: 'dot' }, LENGTHS],
      ['no input feeding', { inputFeeding: false }, LENGTHS],
      ['bidirectional encoder', { bidirectional: true }, LENGTHS],
    ];
    for (const [what, options, lengths] of cases) {
      const model = luong(options, 31);
      const run = (path: typeof teacherForcedFused, feed: boolean) => {
        model.zeroGrad();
        const enc = model.encode(ids(SOURCES), lengths);
        let state = model.decoder.init(enc.memory, enc.initial, enc.paddingMask);
        // A state that already holds an h̃ (a continued decode) feeds it into the first step.
        if (feed) state = { ...state, feed: tanh(mul(state.h[0]!, 0.5)) };
        const r = path(model.decoder, TGT_IN, state)!;
        const [batch, steps, vocab] = r.logits.shape as [number, number, number];
        const ce = crossEntropy(reshape(r.logits, [batch * steps, vocab]), reshape(tgtOut, [batch * steps]), {
          ignoreIndex: PAD,
        });
        // The weights and the final state take part in the loss too, so their gradients are checked.
        const extra = add(sum(mul(r.weights, r.weights)), sum(mul(r.state.h[0]!, r.state.h[0]!)));
        const loss = add(ce, mul(extra, 0.1));
        const withFeed = r.state.feed ? add(loss, mul(sum(r.state.feed), 0.1)) : loss;
        withFeed.backward();
        const grads = model.namedParameters().map(([n, p]) => [n, p.grad!.clone()] as const);
        return { loss: withFeed, weights: r.weights, state: r.state, grads };
      };
      for (const feed of options.inputFeeding === false ? [false] : [false, true]) {
        const fused = run(teacherForcedFused, feed);
        const steps = run(teacherForcedSteps, feed);
        const label = `${what}${feed ? ', fed h̃₀' : ''}`;
        expectClose(fused.loss, steps.loss, `${label}: loss`);
        expectClose(fused.weights, steps.weights, `${label}: weights`);
        expectClose(fused.state.h[0]!, steps.state.h[0]!, `${label}: final state`);
        if (steps.state.feed) expectClose(fused.state.feed!, steps.state.feed, `${label}: final h̃`);
        else expect(fused.state.feed).toBeNull();
        expect(fused.state.step).toBe(steps.state.step);
        steps.grads.forEach(([name, g], i) => expectClose(fused.grads[i]![1], g, `${label}: grad ${name}`));
      }
    }
    // Local windows, the concat and location scores, LSTM and stacked layers take the step loop.
    for (const options of [
      { window: { kind: 'local-m', halfWidth: 1 } },
      { score: 'concat' },
      { cell: 'lstm' },
      { numLayers: 2 },
      { normalizer: 'sparsemax' },
    ] as Partial<LuongSeq2SeqOptions>[]) {
      const model = luong(options, 32);
      const enc = model.encode(ids(SOURCES), LENGTHS);
      const state = model.decoder.init(enc.memory, enc.initial, enc.paddingMask);
      expect(teacherForcedFused(model.decoder, TGT_IN, state), JSON.stringify(options)).toBeNull();
    }
  });

  it('loss: mean cross-entropy that ignores padded targets, and gradients reach every parameter', () => {
    const model = bahdanau({ bidirectional: true, numLayers: 2, cell: 'lstm' });
    const tgtIn = ids([[SOS, 5, 6], [SOS, 9], [SOS]]);
    const tgtOut = ids([[5, 6, EOS], [9, EOS], [EOS]]);
    const { loss, logits } = model.loss(ids(SOURCES), LENGTHS, tgtIn, tgtOut);
    loss.backward();
    for (const [name, p] of model.namedParameters()) {
      expect(p.grad, name).not.toBeNull();
      const largest = Math.max(...values(p.grad!).map(Math.abs));
      // attn.V.bias shifts every score alike, which softmax ignores: its gradient is 0 up to rounding.
      if (name === 'attn.V.bias') expect(largest).toBeLessThan(1e-6);
      else expect(largest, `${name} gets a gradient`).toBeGreaterThan(0);
    }
    // By hand: the mean over the 6 real targets of −log softmax(logits)[target].
    let total = 0;
    const out = values(tgtOut);
    const lg = values(logits);
    for (let r = 0; r < 9; r++) {
      if (out[r] === PAD) continue;
      const row = lg.slice(r * VOCAB, (r + 1) * VOCAB);
      const m = Math.max(...row);
      total += Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) + m - row[out[r]!]!;
    }
    expect(loss.item()).toBeCloseTo(total / 6, 5);
  });

  it('dropout acts in training mode only; train()/eval() reach the encoder and decoder modules', () => {
    const model = bahdanau({ dropout: 0.3, numLayers: 2 });
    const run = () => values(model.forward(ids(SOURCES), LENGTHS, TGT_IN).logits);
    expect(run()).not.toEqual(run());
    model.eval();
    expect(model.encoder.dropout.training).toBe(false);
    expect(model.decoder.dropout.training).toBe(false);
    expect(model.encoder.rnn.training).toBe(false);
    expect(run()).toEqual(run());
  });

  it('rejects bad inputs', () => {
    const model = bahdanau();
    expect(() => model.forward(ids([[3, 4]]), null, ids([[SOS], [SOS]]))).toThrow(/batch size/);
    expect(() => model.forward(new Tensor(new Float32Array(2), [1, 2]), null, ids([[SOS]]))).toThrow(/int32/);
    expect(() => model.forward(ids([[3, 4]]), [3], ids([[SOS]]))).toThrow(/outside/);
    const leftPadded = new Tensor(Uint8Array.from([1, 0]), [1, 2], 'bool');
    expect(() => model.forward(ids([[3, 4]]), leftPadded, ids([[SOS]]))).toThrow(/after the real tokens/);
    expect(() => model.forward(ids([[3, 4]]), null, ids([[SOS]]), { teacherForcingRatio: 2 })).toThrow(
      AttnError,
    );
    expect(() => model.loss(ids([[3, 4]]), null, ids([[SOS, 3]]), ids([[3]]))).toThrow(/tgtOut/);
    expect(() => bahdanau({ cell: 'rnn' as 'gru' })).toThrow(/cell/);
  });
});

describe('LuongSeq2Seq', () => {
  const windows: [string, LocalWindow | null][] = [
    ['global', null],
    ['local-m', { kind: 'local-m', halfWidth: 1 }],
    ['local-p', { kind: 'local-p', halfWidth: 2 }],
  ];
  const scores: LuongScore[] = ['dot', 'general', 'concat', 'location'];
  /** The location score scores a fixed number of source positions: more than the 5 of these batches. */
  const sourceLength = (score: LuongScore) => (score === 'location' ? { maxSourceLength: 7 } : {});

  for (const score of scores) {
    for (const [label, window] of windows) {
      it(`${score}, ${label}: shapes, masking, and gradients to every parameter`, () => {
        const model = luong({
          score,
          window,
          cell: score === 'concat' ? 'lstm' : 'gru',
          ...sourceLength(score),
        });
        const tgtOut = ids([
          [5, 6, 7, EOS],
          [9, 8, 4, EOS],
          [12, 11, 10, EOS],
        ]);
        const { loss, logits, weights } = model.loss(ids(SOURCES), LENGTHS, TGT_IN, tgtOut);
        expect(logits.shape).toEqual([3, 4, VOCAB]);
        expect(weights.shape).toEqual([3, 4, 5]);
        const w = values(weights);
        for (let b = 0; b < 3; b++) {
          for (let t = 0; t < 4; t++) {
            const row = w.slice((b * 4 + t) * 5, (b * 4 + t + 1) * 5);
            expect(row.slice(LENGTHS[b]).every((v) => v === 0)).toBe(true);
            if (window?.kind === 'local-m')
              row.forEach((v, s) => {
                if (Math.abs(s - t) > 1) expect(v, `b ${b} t ${t} s ${s}`).toBe(0);
              });
          }
        }
        if (!window) expectMaskedWeights(weights, LENGTHS);
        loss.backward();
        for (const [name, p] of model.namedParameters()) expect(p.grad, name).not.toBeNull();
        const names = model.namedParameters().map(([n]) => n);
        expect(names).toContain('W_c.weight');
        expect(names.includes('attn.Wp.weight')).toBe(window?.kind === 'local-p');
      });
    }
  }

  it('attend (keys projected once) equals the attention layer’s own forward, for every score and window', () => {
    for (const score of scores) {
      for (const [label, window] of windows) {
        for (const bidirectional of score === 'dot' ? [false] : [false, true]) {
          const D = bidirectional ? 24 : 12;
          const decoder = new LuongDecoder({
            vocabSize: VOCAB,
            embeddingDim: 8,
            hiddenSize: 12,
            encoderDim: D,
            score,
            window,
            ...sourceLength(score),
            generator: new Generator(9),
          });
          const g = new Generator(10);
          const memory = randn([3, 5, D], { generator: g });
          const mask = paddingMaskFromLengths(LENGTHS, 5);
          const state = { ...decoder.init(memory, null, mask), step: 2 };
          const query = randn([3, 12], { generator: g });
          const fast = decoder.attend(query, state);
          const ref = decoder.attention.forward(query, memory, memory, { keyPaddingMask: mask, step: 2 });
          const name = `${score} ${label} D=${D}`;
          expectClose(fast.weights, ref.weights, `${name}: weights`);
          expectClose(fast.context, ref.context, `${name}: context`);
        }
      }
    }
  });

  it('input feeding widens the recurrence input by H; without it the input is the embedding', () => {
    expect(luong().decoder.rnn.allWeights[0]!.weightIh.shape).toEqual([36, 8 + 12]);
    const plain = luong({ inputFeeding: false });
    expect(plain.decoder.rnn.allWeights[0]!.weightIh.shape).toEqual([36, 8]);
    const { logits } = plain.forward(ids(SOURCES), LENGTHS, TGT_IN);
    expect(logits.shape).toEqual([3, 4, VOCAB]);
    expect(() => luong({ score: 'dot', bidirectional: true })).toThrow(/encoderDim = hiddenSize/);
  });

  it('BahdanauDecoder.attend equals AdditiveAttention.forward', () => {
    const decoder = new BahdanauDecoder({
      vocabSize: VOCAB,
      embeddingDim: 8,
      hiddenSize: 12,
      encoderDim: 10,
      attentionUnits: 7,
      generator: new Generator(11),
    });
    const g = new Generator(12);
    const memory = randn([3, 5, 10], { generator: g });
    const mask = paddingMaskFromLengths(LENGTHS, 5);
    const query = randn([3, 12], { generator: g });
    const fast = decoder.attend(query, decoder.init(memory, null, mask));
    const ref = decoder.attention.forward(query, memory, memory, { keyPaddingMask: mask });
    expectClose(fast.weights, ref.weights, 'weights');
    expectClose(fast.context, ref.context, 'context');
  });
});

describe('RNN seq2seq steppers', () => {
  const models: [string, () => RNNSeq2Seq][] = [
    ['Bahdanau GRU', () => bahdanau({}, 21)],
    [
      'Bahdanau LSTM bidirectional 2 layers',
      () => bahdanau({ cell: 'lstm', bidirectional: true, numLayers: 2 }, 22),
    ],
    ['Luong general', () => luong({}, 23)],
    [
      'Luong concat local-p LSTM',
      () => luong({ score: 'concat', cell: 'lstm', window: { kind: 'local-p', halfWidth: 1 } }, 24),
    ],
    [
      'Luong dot local-m 2 layers',
      () => luong({ score: 'dot', numLayers: 2, window: { kind: 'local-m', halfWidth: 1 } }, 25),
    ],
  ];
  // An <eos> the untrained models rarely pick, so that hypotheses run long; and one they may.
  const MAX = 6;

  for (const [label, make] of models) {
    it(`${label}: greedy equals forward with teacher forcing 0, step by step`, () => {
      const model = make().eval();
      const src = ids(SOURCES);
      for (const eos of [EOS, 7]) {
        const hyps = greedyDecode(model.stepper(src, LENGTHS), { sos: SOS, eos, maxLength: MAX });
        const tgtIn = ids(SOURCES.map(() => [SOS, ...new Array<number>(MAX).fill(3)]));
        const { logits, weights } = noGrad(() =>
          model.forward(src, LENGTHS, tgtIn, { teacherForcingRatio: 0 }),
        );
        const best = values(logits.argmax(2));
        hyps.forEach((h, b) => {
          const row = best.slice(b * (MAX + 1), (b + 1) * (MAX + 1));
          const end = row.indexOf(eos);
          const expected = end >= 0 && end < MAX ? row.slice(0, end) : row.slice(0, MAX);
          expect(h.tokens, `source ${b}`).toEqual(expected);
          expect(h.finished).toBe(end >= 0 && end <= MAX);
          h.attention.forEach((a, t) => {
            expect(a.shape).toEqual([5]);
            expectClose(a, slice(slice(weights, 0, b, b + 1), 1, t, t + 1).reshape([5]), `attention ${t}`);
          });
        });
      }
    });

    it(`${label}: beam 1 equals greedy; beam 4 returns the n best sorted; attention sums to 1 off padding`, () => {
      const model = make().eval();
      const options = { sos: SOS, eos: EOS, maxLength: MAX };
      const greedy = greedyDecode(model.stepper(ids(SOURCES), LENGTHS), options);
      const beam1 = beamSearch(model.stepper(ids(SOURCES), LENGTHS), { ...options, beamSize: 1 });
      beam1.forEach(([h], b) => {
        expect(h!.tokens).toEqual(greedy[b]!.tokens);
        expect(h!.logProb).toBeCloseTo(greedy[b]!.logProb, 4);
      });
      const beam4 = beamSearch(model.stepper(ids(SOURCES), LENGTHS), {
        ...options,
        beamSize: 4,
        nBest: 4,
        lengthPenalty: 0,
      });
      beam4.forEach((list, b) => {
        expect(list.length).toBe(4);
        for (let i = 1; i < list.length; i++)
          expect(list[i - 1]!.score).toBeGreaterThanOrEqual(list[i]!.score);
        // Beam search finds a hypothesis at least as likely as greedy's (when both finished).
        if (greedy[b]!.finished && list[0]!.finished)
          expect(list[0]!.logProb).toBeGreaterThanOrEqual(greedy[b]!.logProb - 1e-4);
        for (const h of list) {
          for (const a of h.attention) {
            expect(a.shape).toEqual([5]);
            const row = values(a);
            expect(row.slice(LENGTHS[b]).every((v) => v === 0)).toBe(true);
            if (!label.includes('local'))
              expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-5);
          }
        }
      });
      // Sampling runs too, reproducibly.
      const sample = (seed: number) =>
        sampleDecode(model.stepper(ids(SOURCES), LENGTHS), { ...options, generator: new Generator(seed) });
      expect(sample(3).map((h) => h.tokens)).toEqual(sample(3).map((h) => h.tokens));
    });
  }

  it('a beam-search step that keeps every row’s source reuses the encoder-side tensors', () => {
    const model = bahdanau().eval();
    const stepper = model.stepper(ids(SOURCES), LENGTHS);
    const state = stepper.start(2);
    expect(state.memory.shape).toEqual([6, 5, 12]);
    const kept = stepper.select(state, Int32Array.from([1, 1, 2, 3, 5, 4]));
    expect(kept.memory).toBe(state.memory);
    expect(kept.keys).toBe(state.keys);
    const moved = stepper.select(state, Int32Array.from([2, 2, 2, 3, 5, 4]));
    expect(moved.memory).not.toBe(state.memory);
    expect(Array.from(moved.sources)).toEqual([1, 1, 1, 1, 2, 2]);
  });
});

/** Reversal: random digit sequences of 3–maxLength symbols; tgtIn = <sos> reversed, tgtOut = reversed <eos>. */
function reversalBatch(g: Generator, n: number, maxLength: number) {
  const seqs = Array.from({ length: n }, () =>
    Array.from(
      { length: 3 + Math.floor(g.uniform() * (maxLength - 2)) },
      () => FIRST + Math.floor(g.uniform() * DIGITS),
    ),
  );
  const reversed = seqs.map((s) => [...s].reverse());
  return {
    seqs,
    reversed,
    src: ids(seqs),
    lengths: seqs.map((s) => s.length),
    tgtIn: ids(reversed.map((r) => [SOS, ...r])),
    tgtOut: ids(reversed.map((r) => [...r, EOS])),
  };
}

/** Adam with gradient clipping on fresh batches, then greedy exact match on 100 held-out sequences. */
function trainReversal(model: RNNSeq2Seq, steps: number, batch: number, maxLength: number): number {
  const g = new Generator(100);
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  model.train();
  for (let i = 0; i < steps; i++) {
    const b = reversalBatch(g, batch, maxLength);
    optimizer.zeroGrad();
    model.loss(b.src, b.lengths, b.tgtIn, b.tgtOut).loss.backward();
    clipGradNorm(model.parameters(), 1);
    optimizer.step();
  }
  model.eval();
  const test = reversalBatch(new Generator(999), 100, maxLength);
  const hyps = greedyDecode(model.stepper(test.src, test.lengths), { sos: SOS, eos: EOS, maxLength: 8 });
  const accuracy =
    hyps.filter((h, i) => h.finished && h.tokens.join() === test.reversed[i]!.join()).length / 100;
  return accuracy;
}

describe('RNN seq2seq: learning', () => {
  it('GRU + Bahdanau learns to reverse digit sequences (≥ 90% exact match, greedy, held out)', () => {
    const model = bahdanau({ embeddingDim: 16, hiddenSize: 32, attentionUnits: 32 }, 8);
    expect(trainReversal(model, 200, 48, 6)).toBeGreaterThanOrEqual(0.9);
  });

  it('GRU + Luong (general, input feeding) learns to reverse shorter digit sequences (3–5)', () => {
    const model = luong({ embeddingDim: 16, hiddenSize: 32 }, 10);
    expect(trainReversal(model, 150, 32, 5)).toBeGreaterThanOrEqual(0.9);
  });
});

describe('attention rows', () => {
  it('the attention weights a stepper returns are [rows, S]', () => {
    const model = luong().eval();
    const stepper = model.stepper(ids(SOURCES), LENGTHS);
    const state = stepper.start(1);
    const r = stepper.step(Int32Array.from([SOS, SOS, SOS]), state);
    expect(r.attention!.shape).toEqual([3, 5]);
    expect(r.logProbs.shape).toEqual([3, VOCAB]);
    expectClose(sum(r.logProbs.exp(), 1), new Tensor(new Float32Array(3).fill(1), [3]), 'probabilities');
  });
});
