// Positions inside attention (RoPE, ALiBi, Shaw's relative positions): the slopes, cached decoding equal to the
// full forward, gradients, the Transformers' option end to end (trained at length L, decoding at 2L), and errors.
import { describe, expect, it } from 'vitest';
import {
  Adam,
  AttentionClassifier,
  beamSearch,
  Generator,
  greedyDecode,
  MultiHeadAttention,
  noGrad,
  randn,
  reshape,
  slice,
  Tensor,
  TransformerSeq2Seq,
} from '../../src/index.js';
import { alibiBias, alibiSlopes, relativeIndex } from '../../src/attention/positions.js';
import { expectClose } from '../helpers/close.js';
import { gradcheck } from '../helpers/gradcheck.js';

const SCHEMES = ['rope', 'alibi', 'relative'] as const;
const PAD = 0;
const SOS = 1;
const EOS = 2;
const FIRST = 3;
const SYMBOLS = 8;
const VOCAB = FIRST + SYMBOLS;

const ids = (rows: number[][]): Tensor => {
  const width = Math.max(...rows.map((r) => r.length));
  const data = new Int32Array(rows.length * width).fill(PAD);
  rows.forEach((r, i) => data.set(r, i * width));
  return new Tensor(data, [rows.length, width], 'int32');
};

describe('ALiBi slopes and relative distances', () => {
  it('are the geometric sequence 2^(−8h/H), and the paper’s recipe when H is not a power of two', () => {
    expect(alibiSlopes(8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((h) => 2 ** -h));
    expect(alibiSlopes(4)).toEqual([2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8]);
    expect(alibiSlopes(1)).toEqual([2 ** -8]);
    // 6 heads: the 4 slopes of 4 heads, then the 1st and 3rd of 8 heads.
    expect(alibiSlopes(6)).toEqual([2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8, 2 ** -1, 2 ** -3]);
    expect(() => alibiSlopes(0)).toThrow(/alibiSlopes: heads must be a positive integer/);
  });

  it('bias −m·|p_i − j| from the query offset, and clip(j − p_i, −k, k) + k', () => {
    expect(Array.from(alibiBias([0.5], 2, 3, 1).data)).toEqual([-0.5, 0, -0.5, -1, -0.5, 0]);
    expect(Array.from(relativeIndex(2, 4, 1).data)).toEqual([1, 2, 2, 2, 0, 1, 2, 2]);
    expect(Array.from(relativeIndex(1, 4, 2, 3).data)).toEqual([0, 0, 1, 2]);
  });
});

describe('MultiHeadAttention with positions', () => {
  const E = 8;
  const make = (positions: (typeof SCHEMES)[number], seed = 1) =>
    new MultiHeadAttention({
      embedDim: E,
      numHeads: 2,
      batchFirst: true,
      positions,
      maxRelativeDistance: 2,
      generator: new Generator(seed),
    }).eval();

  it('a self-attention cache one position at a time equals the causal forward, for every scheme', () => {
    for (const scheme of SCHEMES) {
      const mha = make(scheme);
      const x = randn([3, 6, E], { generator: new Generator(4) });
      const full = noGrad(() => mha.forward(x, x, x, { isCausal: true, averageAttnWeights: false }));
      let cache = mha.emptyCache();
      for (let t = 0; t < 6; t++) {
        const xt = slice(x, 1, t, t + 1);
        const step = noGrad(() => mha.forward(xt, xt, xt, { cache, averageAttnWeights: false }));
        cache = step.cache!;
        expectClose(step.output, slice(full.output, 1, t, t + 1), `${scheme} output ${t}`);
        const weights = slice(slice(full.weights!, 2, t, t + 1), 3, 0, t + 1);
        expectClose(step.weights!, weights, `${scheme} weights ${t}`);
      }
    }
  });

  it('changes the scores with the positions: permuting the keys changes the output', () => {
    for (const scheme of SCHEMES) {
      const mha = make(scheme);
      const x = randn([1, 4, E], { generator: new Generator(5) });
      const reversed = new Tensor(
        Float32Array.from({ length: 4 * E }, (_, i) => x.data[(3 - Math.floor(i / E)) * E + (i % E)]!),
        [1, 4, E],
      );
      const q = slice(x, 1, 0, 1);
      const a = noGrad(() => mha.forward(q, x, x).output);
      const b = noGrad(() => mha.forward(q, reversed, reversed).output);
      expect(Math.max(...a.data.map((v, i) => Math.abs(v - b.data[i]!))), scheme).toBeGreaterThan(1e-4);
    }
  });

  it('matches finite differences for the inputs and the relative tables', () => {
    for (const scheme of SCHEMES) {
      const mha = make(scheme, 2);
      const x = randn([2, 3, E], { generator: new Generator(6) });
      gradcheck((t) => mha.forward(t, t, t, { isCausal: scheme !== 'relative' }).output, [x], { atol: 1e-3 });
    }
    const mha = make('relative', 3);
    const x = randn([1, 4, E], { generator: new Generator(7) });
    gradcheck(
      (aK, aV) => {
        const m = mha as unknown as { relativeKey: Tensor; relativeValue: Tensor };
        const keep = [m.relativeKey, m.relativeValue];
        Object.assign(m, { relativeKey: aK, relativeValue: aV });
        try {
          return mha.forward(x, x, x).output;
        } finally {
          Object.assign(m, { relativeKey: keep[0], relativeValue: keep[1] });
        }
      },
      [mha.relativeKey!.detach(), mha.relativeValue!.detach()],
      { atol: 1e-3 },
    );
  });

  it('names its relative tables as a state dict does, [2k + 1, E/H]', () => {
    const names = make('relative')
      .namedParameters()
      .map(([n, p]) => `${n} ${p.shape.join('x')}`);
    expect(names).toContain('relative_key 5x4');
    expect(names).toContain('relative_value 5x4');
    expect(
      make('rope')
        .namedParameters()
        .map(([n]) => n),
    ).not.toContain('relative_key');
  });

  it('rejects an unknown scheme, RoPE over odd head widths, and positions with a memory cache', () => {
    expect(() => new MultiHeadAttention({ embedDim: 8, numHeads: 2, positions: 'xpos' as 'rope' })).toThrow(
      /MultiHeadAttention: positions must be one of none, rope, alibi, relative, got "xpos"/,
    );
    expect(() => new MultiHeadAttention({ embedDim: 6, numHeads: 2, positions: 'rope' })).toThrow(
      /even head width/,
    );
    const mha = make('alibi');
    const memory = randn([1, 3, E]);
    expect(
      () =>
        mha.cacheMemory(memory) && mha.forward(memory, memory, memory, { cache: mha.cacheMemory(memory) }),
    ).toThrow(/a memory cache takes no positions/);
  });
});

/** A small Transformer with positions `scheme`, trained a few steps on a copy task of sources of length ≤ L. */
function trained(scheme: (typeof SCHEMES)[number], L: number): TransformerSeq2Seq {
  const model = new TransformerSeq2Seq({
    srcVocabSize: VOCAB,
    dModel: 16,
    nhead: 2,
    numEncoderLayers: 1,
    numDecoderLayers: 2,
    dimFeedforward: 32,
    dropout: 0.1,
    maxLen: 4 * L,
    positions: scheme,
    maxRelativeDistance: 3,
    generator: new Generator(11),
  });
  const g = new Generator(12);
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  for (let step = 0; step < 5; step++) {
    const seqs = Array.from({ length: 8 }, () =>
      Array.from(
        { length: 1 + Math.floor(g.uniform() * L) },
        () => FIRST + Math.floor(g.uniform() * SYMBOLS),
      ),
    );
    const tgtOut = ids(seqs.map((s) => [...s, EOS]));
    const { loss } = model.loss(
      ids(seqs),
      null,
      ids(seqs.map((s) => [SOS, ...s])),
      reshape(tgtOut, [tgtOut.size]),
    );
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
  }
  return model.eval();
}

describe('Transformers with positions inside the attention', () => {
  it('trained on sources of length ≤ L, decode sources of length 2L, cached as without the cache', () => {
    const L = 4;
    for (const scheme of SCHEMES) {
      const model = trained(scheme, L);
      expect(model.srcPos.namedParameters()).toEqual([]);
      const g = new Generator(13);
      const src = ids(
        Array.from({ length: 3 }, () =>
          Array.from({ length: 2 * L }, () => FIRST + Math.floor(g.uniform() * SYMBOLS)),
        ),
      );
      const options = { sos: SOS, eos: EOS, maxLength: 2 * L + 2 };
      const greedy = (useCache: boolean) => greedyDecode(model.stepper(src, { useCache }), options);
      const [cached, full] = [greedy(true), greedy(false)];
      cached.forEach((h, b) => {
        expect(h.tokens, `${scheme} greedy ${b}`).toEqual(full[b]!.tokens);
        expect(Number.isFinite(h.logProb)).toBe(true);
        expect(Math.abs(h.logProb - full[b]!.logProb)).toBeLessThan(1e-4);
      });
      const beam = (useCache: boolean) =>
        beamSearch(model.stepper(src, { useCache }), { ...options, beamSize: 3, nBest: 2 });
      const [cb, fb] = [beam(true), beam(false)];
      cb.forEach((list, b) =>
        list.forEach((h, i) => {
          expect(h.tokens, `${scheme} beam ${b}.${i}`).toEqual(fb[b]![i]!.tokens);
          expect(Math.abs(h.logProb - fb[b]![i]!.logProb)).toBeLessThan(1e-4);
        }),
      );
    }
  });

  it('keep positional (the older option) and reject a disagreeing or unknown positions', () => {
    const base = { srcVocabSize: VOCAB, dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1 };
    expect(new TransformerSeq2Seq({ ...base, positional: 'learned' }).positions).toBe('learned');
    expect(() => new TransformerSeq2Seq({ ...base, positional: 'learned', positions: 'rope' })).toThrow(
      /positional 'learned' and positions 'rope' disagree/,
    );
    expect(() => new TransformerSeq2Seq({ ...base, positions: 'abs' as 'rope' })).toThrow(
      /positions must be one of sinusoidal, learned, rope, alibi, relative/,
    );
    const names = new TransformerSeq2Seq({ ...base, positions: 'relative', maxRelativeDistance: 2 })
      .namedParameters()
      .map(([n]) => n);
    expect(names).toContain('encoder.layers.0.self_attn.relative_key');
    expect(names).toContain('decoder.layers.0.self_attn.relative_value');
    expect(names.some((n) => n.includes('multihead_attn.relative'))).toBe(false);
  });

  it('the classifier takes every scheme, and its length limit stays maxLen', () => {
    for (const positions of ['sinusoidal', 'learned', ...SCHEMES] as const) {
      const model = new AttentionClassifier({
        vocabSize: VOCAB,
        numClasses: 3,
        encoder: 'transformer',
        embeddingDim: 8,
        nhead: 2,
        numLayers: 1,
        maxLen: 6,
        positions,
        generator: new Generator(3),
      });
      const { logits } = model.forward(
        ids([
          [3, 4, 5],
          [6, 7],
        ]),
      );
      expect(logits.shape).toEqual([2, 3]);
      expect(logits.data.every(Number.isFinite)).toBe(true);
      expect(() => model.forward(ids([[3, 4, 5, 6, 7, 8, 9]]))).toThrow(/maxLen 6/);
    }
  });
});
