import { describe, expect, it } from 'vitest';
import {
  Adam,
  AttnError,
  beamSearch,
  crossEntropy,
  Generator,
  greedyDecode,
  type Hypothesis,
  logSoftmax,
  noGrad,
  Padding,
  paddingMaskFromLengths,
  reshape,
  slice,
  sum,
  Tensor,
  TransformerSeq2Seq,
  type TransformerSeq2SeqOptions,
} from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import {
  resetStoragePoolStats,
  setUninitialisedAllocator,
  storagePoolStats,
} from '../../src/tensor/storage.js';

const PAD = 0;
const SOS = 1;
const EOS = 2;
const FIRST = 3;
const SYMBOLS = 10;
const VOCAB = FIRST + SYMBOLS;

const ids = (rows: number[][]): Tensor => {
  const width = Math.max(...rows.map((r) => r.length));
  const data = new Int32Array(rows.length * width).fill(PAD);
  rows.forEach((r, i) => data.set(r, i * width));
  return new Tensor(data, [rows.length, width], 'int32');
};

function small(options: Partial<TransformerSeq2SeqOptions> = {}, seed = 1): TransformerSeq2Seq {
  return new TransformerSeq2Seq({
    srcVocabSize: VOCAB,
    dModel: 16,
    nhead: 4,
    numEncoderLayers: 2,
    numDecoderLayers: 2,
    dimFeedforward: 32,
    dropout: 0,
    maxLen: 32,
    normFirst: false,
    generator: new Generator(seed),
    ...options,
  });
}

/** Copy task: random sequences of 2..6 symbols; tgtIn = <sos> x, tgtOut = x <eos>. */
function copyBatch(g: Generator, n: number) {
  const seqs = Array.from({ length: n }, () => {
    const length = 2 + Math.floor(g.uniform() * 5);
    return Array.from({ length }, () => FIRST + Math.floor(g.uniform() * SYMBOLS));
  });
  const tgtOut = ids(seqs.map((s) => [...s, EOS]));
  return {
    seqs,
    src: ids(seqs),
    tgtIn: ids(seqs.map((s) => [SOS, ...s])),
    tgtOut: reshape(tgtOut, [tgtOut.size]),
  };
}

/** Cached and uncached decoding agree: tokens exactly, log-probabilities and attention closely. */
function expectSameHypotheses(cached: Hypothesis[], full: Hypothesis[], name: string): void {
  expect(cached.length).toBe(full.length);
  cached.forEach((h, i) => {
    const f = full[i]!;
    expect(h.tokens, `${name} ${i}: tokens`).toEqual(f.tokens);
    expect(h.finished, `${name} ${i}: finished`).toBe(f.finished);
    expect(Math.abs(h.logProb - f.logProb), `${name} ${i}: logProb`).toBeLessThan(1e-5);
    expect(h.attention.length).toBe(f.attention.length);
    h.attention.forEach((a, t) => expectClose(a, f.attention[t]!, `${name} ${i}: attention ${t}`));
  });
}

function expectCacheMatches(model: TransformerSeq2Seq, src: Tensor, maxLength: number): void {
  const options = { sos: SOS, eos: EOS, maxLength };
  const greedy = (useCache: boolean) => greedyDecode(model.stepper(src, { useCache }), options);
  expectSameHypotheses(greedy(true), greedy(false), 'greedy');
  const beam = (useCache: boolean) =>
    beamSearch(model.stepper(src, { useCache }), { ...options, beamSize: 4, nBest: 4 });
  const cached = beam(true);
  const full = beam(false);
  cached.forEach((list, b) => expectSameHypotheses(list, full[b]!, `beam source ${b}`));
}

describe('TransformerSeq2Seq: structure', () => {
  it('logits [B, T, V] and per-layer, per-head attention weights', () => {
    const model = small({ tgtVocabSize: 11, numEncoderLayers: 3 });
    const src = ids([
      [3, 4, 5, 6],
      [7, 8],
    ]);
    const tgtIn = ids([
      [SOS, 3, 4],
      [SOS, 5, 6],
    ]);
    expect(model.forward(src, tgtIn).shape).toEqual([2, 3, 11]);
    const w = model.forwardWithWeights(src, tgtIn);
    expect(w.logits.shape).toEqual([2, 3, 11]);
    expect(w.encoderSelf.map((t) => t.shape)).toEqual(new Array(3).fill([2, 4, 4, 4]));
    expect(w.decoderSelf.map((t) => t.shape)).toEqual(new Array(2).fill([2, 4, 3, 3]));
    expect(w.decoderCross.map((t) => t.shape)).toEqual(new Array(2).fill([2, 4, 3, 4]));
    expectClose(w.logits, model.forward(src, tgtIn), 'logits with weights');
    for (const cross of w.decoderCross) {
      // Source 1 has two tokens: its padding gets no weight; every row sums to 1.
      expect(Array.from(slice(slice(cross, 0, 1, 2), 3, 2, 4).data).every((v) => v === 0)).toBe(true);
      expectClose(sum(cross, 3), new Tensor(new Float32Array(2 * 4 * 3).fill(1), [2, 4, 3]), 'cross sums');
    }
    for (const self of w.decoderSelf) {
      // Causal: target position 0 attends only itself.
      expect(Array.from(slice(slice(self, 2, 0, 1), 3, 1, 3).data).every((v) => v === 0)).toBe(true);
    }
  });

  it('names its parameters as torch does; shared and tied embeddings are one parameter', () => {
    const separate = small();
    const names = separate.namedParameters().map(([n]) => n);
    expect(names.slice(0, 2)).toEqual(['src_embedding.weight', 'tgt_embedding.weight']);
    expect(names).toContain('encoder.layers.1.self_attn.in_proj_weight');
    expect(names).toContain('encoder.norm.weight');
    expect(names).toContain('decoder.layers.0.multihead_attn.out_proj.weight');
    expect(names).toContain('decoder.norm.bias');
    expect(names.slice(-2)).toEqual(['generator.weight', 'generator.bias']);

    const shared = small({ shareEmbeddings: true, tieOutput: true });
    const sharedNames = shared.namedParameters().map(([n]) => n);
    expect(sharedNames).not.toContain('tgt_embedding.weight');
    expect(sharedNames).not.toContain('generator.weight');
    expect(shared.tgtEmbedding).toBe(shared.srcEmbedding);
    expect(shared.generator.weight).toBe(shared.srcEmbedding.weight);
    const params = shared.parameters();
    expect(new Set(params).size).toBe(params.length);
    expect(shared.numParameters()).toBe(separate.numParameters() - 2 * VOCAB * 16);

    const learned = small({ positional: 'learned' });
    expect(learned.namedParameters().map(([n]) => n)).toContain('tgt_pos.embedding.weight');
  });

  it('shared embeddings receive gradients from both sides, and from the tied output layer', () => {
    const src = ids([[3, 3, 3]]);
    const tgtIn = ids([[4, 4]]);
    const tgtOut = new Tensor(Int32Array.from([5, 6]), [2], 'int32');
    const rowGrad = (model: TransformerSeq2Seq, row: number) =>
      Array.from(model.srcEmbedding.weight.grad!.data.subarray(row * 16, (row + 1) * 16)).some(
        (v) => v !== 0,
      );
    const loss = (model: TransformerSeq2Seq) =>
      crossEntropy(reshape(model.forward(src, tgtIn), [2, VOCAB]), tgtOut);

    const shared = small({ shareEmbeddings: true });
    loss(shared).backward();
    expect(rowGrad(shared, 3), 'row read by the encoder').toBe(true);
    expect(rowGrad(shared, 4), 'row read by the decoder').toBe(true);
    expect(rowGrad(shared, 7), 'row read by neither').toBe(false);
    expect(shared.generator.weight.grad).not.toBeNull();

    const tied = small({ shareEmbeddings: true, tieOutput: true });
    loss(tied).backward();
    for (const row of [3, 4, 5, 7]) expect(rowGrad(tied, row), `tied row ${row}`).toBe(true);

    // Separate embeddings: the encoder's table gets gradients only for source tokens.
    const separate = small();
    loss(separate).backward();
    expect(rowGrad(separate, 3)).toBe(true);
    expect(rowGrad(separate, 4)).toBe(false);
  });

  it('padding does not change the real positions, and the decoder is causal', () => {
    const model = small({ normFirst: true }).eval();
    const padded = model.forward(
      ids([
        [3, 4, 5, 6, 7],
        [8, 9],
      ]),
      ids([
        [SOS, 3, 4, 5],
        [SOS, 10],
      ]),
    );
    const alone = model.forward(ids([[8, 9]]), ids([[SOS, 10]]));
    expectClose(slice(slice(padded, 0, 1, 2), 1, 0, 2), alone, 'padded row vs alone');
    const first = model.forward(ids([[3, 4, 5, 6, 7]]), ids([[SOS, 3, 4, 5]]));
    const changed = model.forward(ids([[3, 4, 5, 6, 7]]), ids([[SOS, 3, 9, 12]]));
    expectClose(slice(changed, 1, 0, 2), slice(first, 1, 0, 2), 'prefix logits');
  });

  it('uses the source padding it is given (any PaddingLike), and the pad id when given none', () => {
    const model = small().eval();
    const src = ids([
      [3, 4, 5],
      [6, 7],
    ]);
    const tgtIn = ids([
      [SOS, 3],
      [SOS, 6],
    ]);
    const tgtOut = ids([
      [3, EOS],
      [6, EOS],
    ]);
    const values = (t: Tensor) => Array.from(t.data);
    const byIds = noGrad(() => model.forward(src, tgtIn));
    const same = [
      [3, 2],
      new Tensor(Int32Array.from([3, 2]), [2], 'int32'),
      paddingMaskFromLengths([3, 2], 3),
      Padding.fromLengths([3, 2], 3),
      Padding.fromIds(src, PAD),
    ];
    for (const padding of same) {
      expect(values(noGrad(() => model.forward(src, tgtIn, padding)))).toEqual(values(byIds));
      expect(model.loss(src, padding, tgtIn, tgtOut).loss.item()).toBe(
        model.loss(src, null, tgtIn, tgtOut).loss.item(),
      );
    }
    // Hiding source 0's last token changes what its decoder attends to.
    const hidden = Padding.fromLengths([2, 2], 3);
    const shorter = noGrad(() => model.forward(src, tgtIn, hidden));
    expect(values(slice(shorter, 0, 0, 1))).not.toEqual(values(slice(byIds, 0, 0, 1)));
    expect(model.loss(src, hidden, tgtIn, tgtOut).loss.item()).not.toBe(
      model.loss(src, null, tgtIn, tgtOut).loss.item(),
    );
    const weights = noGrad(() => model.forwardWithWeights(src, tgtIn, hidden));
    expect(values(weights.logits)).toEqual(values(shorter));
    expect(values(slice(weights.decoderCross[0]!, 3, 2, 3)).every((w) => w === 0)).toBe(true);
    // The steppers take it as the second argument, with or without options after it.
    const first = noGrad(() => logSoftmax(reshape(slice(shorter, 1, 0, 1), [2, VOCAB]), -1));
    for (const stepper of [model.stepper(src, hidden), model.stepper(src, [2, 2], { useCache: false })]) {
      const step = stepper.step(Int32Array.from([SOS, SOS]), stepper.start(1));
      expectClose(step.logProbs, first, 'first step');
    }
    expect(() => model.forward(src, tgtIn, [3])).toThrow(
      'TransformerSeq2Seq: lengths must have one entry per sequence (2), got 1',
    );
    expect(() => model.stepper(src, Padding.fromLengths([1], 1))).toThrow(
      'TransformerSeq2Seq: the padding is for [1, 1], but the batch is [2, 3]',
    );
  });

  it('rejects bad options and inputs', () => {
    expect(() => small({ shareEmbeddings: true, tgtVocabSize: 20 })).toThrow(AttnError);
    expect(() => small({ padId: VOCAB })).toThrow(/padId/);
    const model = small();
    expect(() => model.forward(ids([[3, VOCAB]]), ids([[SOS]]))).toThrow(/outside/);
    expect(() => model.forward(ids([[3], [4]]), ids([[SOS]]))).toThrow(/batch size/);
    expect(() => model.forward(new Tensor(new Float32Array(2), [1, 2]), ids([[SOS]]))).toThrow(/int32/);
  });
});

describe('TransformerSeq2Seq: KV-cache decoding', () => {
  const sources = () =>
    ids([
      [3, 4, 5, 6, 7, 8],
      [9, 10],
      [12, 11, 3, 4],
    ]);

  it('each cached step equals the full forward at that position', () => {
    for (const normFirst of [false, true]) {
      const model = small({ normFirst, tieOutput: true }).eval();
      const src = sources();
      const tgtIn = ids([
        [SOS, 4, 5, 6, 7],
        [SOS, 9, 9, 9, 9],
        [SOS, 12, 3, 10, 11],
      ]);
      const expected = noGrad(() => logSoftmax(model.forward(src, tgtIn), -1));
      const weights = noGrad(() => model.forwardWithWeights(src, tgtIn).decoderCross);
      for (const useCache of [true, false]) {
        const stepper = model.stepper(src, { useCache });
        let state = stepper.start(1);
        for (let t = 0; t < 5; t++) {
          const tokens = Int32Array.from([0, 1, 2], (b) => tgtIn.data[b * 5 + t]!);
          const result = stepper.step(tokens, state);
          state = result.state;
          const at = reshape(slice(expected, 1, t, t + 1), [3, VOCAB]);
          expectClose(result.logProbs, at, `normFirst ${normFirst} cache ${useCache} step ${t}`);
          expect(result.attention!.shape).toEqual([2, 3, 4, 6]);
          weights.forEach((w, layer) =>
            expectClose(
              reshape(slice(result.attention!, 0, layer, layer + 1), [3, 4, 6]),
              reshape(slice(w, 2, t, t + 1), [3, 4, 6]),
              `cross weights layer ${layer} step ${t}`,
            ),
          );
        }
      }
    }
  });

  it('select() reorders and duplicates cached rows', () => {
    const model = small().eval();
    const stepper = model.stepper(sources());
    let state = stepper.start(2);
    expect(state.sources).toEqual(Int32Array.from([0, 0, 1, 1, 2, 2]));
    state = stepper.step(Int32Array.from([1, 1, 1, 1, 1, 1]), state).state;
    state = stepper.step(Int32Array.from([3, 4, 5, 6, 7, 8]), state).state;
    // Row 1 takes row 0's history; rows of source 1 swap; source 2 is replaced by source 0's rows.
    const picked = stepper.select(state, Int32Array.from([0, 0, 3, 2, 1, 0]));
    expect(picked.sources).toEqual(Int32Array.from([0, 0, 1, 1, 0, 0]));
    const next = stepper.step(Int32Array.from([9, 9, 9, 9, 9, 9]), picked).logProbs;
    const reference = noGrad(() =>
      logSoftmax(
        model.forward(
          ids([
            [3, 4, 5, 6, 7, 8],
            [9, 10],
            [3, 4, 5, 6, 7, 8],
          ]),
          ids([
            [SOS, 3, 9],
            [SOS, 6, 9],
            [SOS, 4, 9],
          ]),
        ),
        -1,
      ),
    );
    const last = reshape(slice(reference, 1, 2, 3), [3, VOCAB]);
    for (const [row, ref] of [
      [0, 0],
      [1, 0],
      [2, 1],
      [5, 0],
      [4, 2],
    ] as const) {
      expectClose(slice(next, 0, row, row + 1), slice(last, 0, ref, ref + 1), `row ${row}`);
    }
    expect(() => stepper.select(state, Int32Array.from([6]))).toThrow(/outside/);
  });

  it('cached and uncached greedy and beam-4 decoding agree on a random model', () => {
    expectCacheMatches(small().eval(), sources(), 7);
    expectCacheMatches(small({ normFirst: true, positional: 'learned' }, 5).eval(), sources(), 7);
  });

  it('a decode hands each step and its superseded cache back: a long one asks for no more new storage', () => {
    // Wide enough that the step's tensors (logits [4, 1024], caches [4, 4, t, 32]) come from the storage pool.
    const model = new TransformerSeq2Seq({
      srcVocabSize: 1024,
      dModel: 128,
      nhead: 4,
      numEncoderLayers: 1,
      numDecoderLayers: 2,
      dimFeedforward: 1024,
      dropout: 0,
      padId: PAD,
    }).eval();
    const src = ids([[3, 4, 5, 6, 7, 8, 9, 10]]);
    // The end-of-sentence id is outside the vocabulary: every decode runs maxLength steps.
    const decode = (steps: number, beam: boolean) => {
      const options = { sos: SOS, eos: 1024, maxLength: steps };
      const stepper = model.stepper(src);
      const hyp = beam
        ? beamSearch(stepper, { ...options, beamSize: 4 })[0]![0]!
        : greedyDecode(stepper, options)[0]!;
      expect(hyp.tokens).toHaveLength(steps);
      // The attention of every step survives the chain that made it.
      expect(hyp.attention.every((a) => a.data.length === 2 * 4 * 8)).toBe(true);
    };
    // Only arrays of 4096 floats and more come from the pool (as in Node; the test setup pools all), so that the
    // small attention rows the hypotheses keep, one per step by design, are not counted.
    setUninitialisedAllocator((n) => new Float32Array(n).fill(Number.NaN), 4096);
    try {
      for (const beam of [false, true]) {
        const misses = (steps: number) => {
          resetStoragePoolStats();
          decode(steps, beam);
          return storagePoolStats().misses;
        };
        misses(48);
        expect(misses(48), beam ? 'beam 4' : 'greedy').toBeLessThanOrEqual(misses(8));
      }
    } finally {
      setUninitialisedAllocator((n) => new Float32Array(n).fill(Number.NaN), 0);
    }
  });
});

describe('TransformerSeq2Seq: learning', () => {
  it('learns to copy (≥ 90% exact match, greedy, held out); the cache agrees on the trained model', () => {
    const model = new TransformerSeq2Seq({
      srcVocabSize: VOCAB,
      dModel: 32,
      nhead: 4,
      numEncoderLayers: 1,
      numDecoderLayers: 1,
      dimFeedforward: 64,
      dropout: 0,
      maxLen: 16,
      normFirst: false,
      shareEmbeddings: true,
      tieOutput: true,
      generator: new Generator(1),
    });
    const steps = 250;
    const lr = 7e-3;
    const optimizer = new Adam(model.parameters(), { lr });
    const data = new Generator(101);
    for (let step = 0; step < steps; step++) {
      optimizer.lr = lr * (1 - step / steps);
      const batch = copyBatch(data, 24);
      const logits = model.forward(batch.src, batch.tgtIn);
      const loss = crossEntropy(reshape(logits, [batch.tgtOut.size, VOCAB]), batch.tgtOut, {
        ignoreIndex: PAD,
      });
      model.zeroGrad();
      loss.backward();
      optimizer.step();
    }
    model.eval();
    const test = copyBatch(new Generator(999), 100);
    const hyps = greedyDecode(model.stepper(test.src), { sos: SOS, eos: EOS, maxLength: 8 });
    const correct = hyps.filter((h, i) => h.finished && h.tokens.join() === test.seqs[i]!.join()).length;
    expect(correct).toBeGreaterThanOrEqual(90);

    const few = slice(test.src, 0, 0, 6);
    expectCacheMatches(model, few, 8);
    // Per step: the cross-attention of every layer and head over the source.
    const h = greedyDecode(model.stepper(few), { sos: SOS, eos: EOS, maxLength: 8 })[0]!;
    expect(h.attention[0]!.shape).toEqual([1, 4, few.shape[1]]);
  });
});
