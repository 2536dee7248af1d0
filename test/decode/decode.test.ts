import { describe, expect, it } from 'vitest';
import {
  beamSearch,
  Generator,
  greedyDecode,
  logSoftmax,
  sampleDecode,
  Tensor,
  type DecoderStepper,
} from '../../src/index.js';

const V = 5;
const EOS = 0;
const SOS = 1;

/** Fixed random logits for every context. */
function logitTable(seed: number): Float32Array {
  const g = new Generator(seed);
  const table = new Float32Array(V * V);
  g.fillNormal(table, 0, 2);
  return table;
}

/**
 * A toy decoder whose next-token distribution depends on the whole prefix through its state (the sum of the
 * tokens so far, <sos> included, mod V), so that a search that reorders states wrongly gives wrong answers. Attention is the
 * one-hot of that state over V "source positions".
 */
class ToyStepper implements DecoderStepper<Int32Array> {
  readonly batchSize: number;
  constructor(
    private readonly tables: Float32Array[],
    private rowsPerSource = 1,
  ) {
    this.batchSize = tables.length;
  }
  start(rowsPerSource: number): Int32Array {
    this.rowsPerSource = rowsPerSource;
    return new Int32Array(this.batchSize * rowsPerSource);
  }
  step(tokens: Int32Array, state: Int32Array) {
    const rows = state.length;
    const next = new Int32Array(rows);
    const logits = new Float32Array(rows * V);
    const attention = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) {
      next[r] = (state[r]! + tokens[r]!) % V;
      const table = this.tables[Math.floor(r / this.rowsPerSource)]!;
      logits.set(table.subarray(next[r]! * V, next[r]! * V + V), r * V);
      attention[r * V + next[r]!] = 1;
    }
    return {
      logProbs: logSoftmax(new Tensor(logits, [rows, V])),
      state: next,
      attention: new Tensor(attention, [rows, V]),
    };
  }
  select(state: Int32Array, indices: Int32Array): Int32Array {
    return Int32Array.from(indices, (i) => state[i]!);
  }
}

/** Every sequence up to maxLength, with its log-probability, by exhaustive search. */
function enumerate(
  table: Float32Array,
  maxLength: number,
): { tokens: number[]; logProb: number; finished: boolean }[] {
  const out: { tokens: number[]; logProb: number; finished: boolean }[] = [];
  const lp = (ctx: number) => {
    const row = Array.from(table.subarray(ctx * V, ctx * V + V));
    const m = Math.max(...row);
    const z = Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0)) + m;
    return row.map((x) => x - z);
  };
  const walk = (tokens: number[], ctx: number, logProb: number) => {
    const probs = lp(ctx);
    out.push({ tokens, logProb: logProb + probs[EOS]!, finished: true });
    if (tokens.length === maxLength) return;
    for (let v = 1; v < V; v++) walk([...tokens, v], (ctx + v) % V, logProb + probs[v]!);
  };
  walk([], SOS % V, 0);
  return out;
}

describe('decoding', () => {
  const tables = [logitTable(1), logitTable(2), logitTable(3)];

  it('greedy follows the most probable token and returns a step of attention per token', () => {
    const [h] = greedyDecode(new ToyStepper([tables[0]!]), { sos: SOS, eos: EOS, maxLength: 6 });
    // Replay by hand.
    let ctx = SOS % V;
    const expected: number[] = [];
    for (let t = 0; t < 6; t++) {
      const row = Array.from(tables[0]!.subarray(ctx * V, ctx * V + V));
      const best = row.indexOf(Math.max(...row));
      if (best === EOS) break;
      expected.push(best);
      ctx = (ctx + best) % V;
    }
    expect(h!.tokens).toEqual(expected);
    expect(h!.attention.length).toBe(expected.length + (h!.finished ? 1 : 0));
  });

  it('beam search with a wide beam finds the exact best finished sequence of every source', () => {
    const maxLength = 4;
    const results = beamSearch(new ToyStepper(tables), {
      sos: SOS,
      eos: EOS,
      maxLength,
      beamSize: 64,
      lengthPenalty: 0,
      nBest: 3,
    });
    results.forEach((hyps, b) => {
      const all = enumerate(tables[b]!, maxLength).sort((x, y) => y.logProb - x.logProb);
      expect(hyps.map((h) => h.tokens)).toEqual(all.slice(0, 3).map((h) => h.tokens));
      expect(hyps[0]!.logProb).toBeCloseTo(all[0]!.logProb, 4);
      // One attention step per generated token plus the <eos> step, each the one-hot of the toy state.
      expect(hyps[0]!.attention.length).toBe(hyps[0]!.tokens.length + 1);
    });
  });

  it('beam size 1 equals greedy; length normalisation changes the ranking score', () => {
    for (const table of tables) {
      const [g] = greedyDecode(new ToyStepper([table]), { sos: SOS, eos: EOS, maxLength: 5 });
      const b = beamSearch(new ToyStepper([table]), { sos: SOS, eos: EOS, maxLength: 5, beamSize: 1 })[0]![0];
      expect(b!.tokens).toEqual(g!.tokens);
    }
    const h = beamSearch(new ToyStepper([tables[0]!]), {
      sos: SOS,
      eos: EOS,
      maxLength: 4,
      beamSize: 8,
      lengthPenalty: 1,
    })[0]![0];
    expect(h!.score).toBeCloseTo(h!.logProb / (h!.tokens.length + 1), 6);
  });

  it('sampling is deterministic for a seed and a tiny temperature approaches greedy', () => {
    const opts = { sos: SOS, eos: EOS, maxLength: 6 };
    const a = sampleDecode(new ToyStepper(tables), { ...opts, generator: new Generator(7) });
    const b = sampleDecode(new ToyStepper(tables), { ...opts, generator: new Generator(7) });
    expect(a.map((h) => h.tokens)).toEqual(b.map((h) => h.tokens));
    const cold = sampleDecode(new ToyStepper(tables), {
      ...opts,
      temperature: 1e-4,
      generator: new Generator(1),
    });
    const greedy = greedyDecode(new ToyStepper(tables), opts);
    expect(cold.map((h) => h.tokens)).toEqual(greedy.map((h) => h.tokens));
    const top1 = sampleDecode(new ToyStepper(tables), { ...opts, topK: 1, generator: new Generator(3) });
    expect(top1.map((h) => h.tokens)).toEqual(greedy.map((h) => h.tokens));
  });

  it('a batch with a bound and an nBest per source decodes each source exactly as it would alone', () => {
    const maxLength = [2, 5, 0];
    const greedy = greedyDecode(new ToyStepper(tables), { sos: SOS, eos: EOS, maxLength });
    const sampled = sampleDecode(new ToyStepper(tables), {
      sos: SOS,
      eos: EOS,
      maxLength,
      generator: new Generator(5),
    });
    const nBest = [1, 3, 2];
    const beams = beamSearch(new ToyStepper(tables), { sos: SOS, eos: EOS, maxLength, beamSize: 4, nBest });
    tables.forEach((table, b) => {
      const alone = { sos: SOS, eos: EOS, maxLength: maxLength[b]! };
      expect(greedy[b]).toEqual(greedyDecode(new ToyStepper([table]), alone)[0]);
      expect(beams[b]).toEqual(
        beamSearch(new ToyStepper([table]), { ...alone, beamSize: 4, nBest: nBest[b] })[0],
      );
      expect(beams[b]).toHaveLength(Math.min(nBest[b]!, Math.max(1, beams[b]!.length)));
      expect(greedy[b]!.tokens.length).toBeLessThanOrEqual(maxLength[b]!);
    });
    // A bound of 0 generates nothing; the sampled source with bound 0 too.
    expect(greedy[2]).toMatchObject({ tokens: [], finished: false, attention: [] });
    expect(sampled[2]).toMatchObject({ tokens: [], finished: false });
  });

  it('rejects bad options with errors naming the search', () => {
    const s = new ToyStepper([tables[0]!]);
    expect(() => beamSearch(s, { sos: SOS, eos: EOS, maxLength: 3, beamSize: 0 })).toThrow(
      /^beamSearch: beamSize/,
    );
    expect(() => beamSearch(s, { sos: SOS, eos: EOS, maxLength: 3, beamSize: 2, nBest: 3 })).toThrow(/nBest/);
    expect(() => greedyDecode(s, { sos: SOS, eos: EOS, maxLength: -1 })).toThrow(/^greedyDecode: maxLength/);
    expect(() => greedyDecode(s, { sos: SOS, eos: EOS, maxLength: [3, 4] })).toThrow(
      /^greedyDecode: maxLength must be a number or one per source \(1\), got a list of 2/,
    );
    expect(() => beamSearch(s, { sos: SOS, eos: EOS, maxLength: [1.5], beamSize: 2 })).toThrow(
      /^beamSearch: maxLength must be a non-negative integer, got 1.5/,
    );
    expect(() => beamSearch(s, { sos: SOS, eos: EOS, maxLength: 3, beamSize: 2, nBest: [0] })).toThrow(
      /^beamSearch: nBest must be an integer in \[1, 2\], got 0/,
    );
    expect(() => sampleDecode(s, { sos: SOS, eos: EOS, maxLength: 3, temperature: 0 })).toThrow(
      /temperature/,
    );
  });

  it('rejects an unknown option and one of another search, naming it and the allowed keys', () => {
    const s = new ToyStepper([tables[0]!]);
    const base = { sos: SOS, eos: EOS, maxLength: 3 };
    expect(() => greedyDecode(s, { ...base, topP: 0.9 } as never)).toThrow(
      "greedyDecode: option 'topP' applies only to sampleDecode; greedyDecode takes sos, eos, maxLength",
    );
    expect(() => beamSearch(s, { ...base, beamSize: 2, temperature: 0.5 } as never)).toThrow(
      "beamSearch: option 'temperature' applies only to sampleDecode; beamSearch takes sos, eos, maxLength, beamSize, lengthPenalty, nBest",
    );
    expect(() => sampleDecode(s, { ...base, beamSize: 2 } as never)).toThrow(
      "sampleDecode: option 'beamSize' applies only to beamSearch; sampleDecode takes sos, eos, maxLength, temperature, topK, topP, seed, generator",
    );
    expect(() => sampleDecode(s, { ...base, topp: 0.9 } as never)).toThrow(
      "sampleDecode: unknown option 'topp'; sampleDecode takes",
    );
    // A key left undefined is as if absent.
    expect(greedyDecode(s, { ...base, topP: undefined } as never)).toEqual(greedyDecode(s, base));
    for (const topP of [0, -0.1, 1.5, NaN])
      expect(() => sampleDecode(s, { ...base, topP })).toThrow(
        `sampleDecode: topP must be a number in (0, 1], got ${topP}`,
      );
    expect(() => sampleDecode(s, { ...base, seed: 1, generator: new Generator(1) })).toThrow(
      'sampleDecode: give seed or generator, not both',
    );
    expect(() => sampleDecode(s, { ...base, seed: 0.5 })).toThrow(
      'sampleDecode: seed must be a safe integer, got 0.5',
    );
    expect(() => sampleDecode(s, { ...base, generator: [new Generator(1), new Generator(2)] })).toThrow(
      'sampleDecode: generator must be one Generator or one per source (1), got a list of 2',
    );
  });
});

/** One step over `rows` identical rows with the given next-token probabilities (token 4 is <eos>, never drawn). */
class FixedStepper implements DecoderStepper<null> {
  constructor(
    readonly batchSize: number,
    private readonly probs: number[],
  ) {}
  start(): null {
    return null;
  }
  step(tokens: Int32Array) {
    const lp = new Float32Array(tokens.length * this.probs.length);
    tokens.forEach((_, r) => this.probs.forEach((p, v) => (lp[r * this.probs.length + v] = Math.log(p))));
    return { logProbs: new Tensor(lp, [tokens.length, this.probs.length]), state: null };
  }
  select(): null {
    return null;
  }
}

describe('nucleus (top-p) sampling', () => {
  const tables = [logitTable(1), logitTable(2), logitTable(3)];
  const N = 4000;
  const draws = (
    probs: number[],
    options: { topK?: number; topP?: number; temperature?: number },
    seed = 11,
  ) =>
    sampleDecode(new FixedStepper(N, probs), { sos: 0, eos: 4, maxLength: 1, seed, ...options }).map(
      (h) => h.tokens[0]!,
    );
  const frequencies = (tokens: number[]) => [0, 1, 2, 3].map((v) => tokens.filter((t) => t === v).length / N);

  it('keeps the smallest set of most probable tokens whose mass reaches p and renormalises', () => {
    // 0.4 + 0.3 = 0.7 >= 0.65: tokens 0 and 1, drawn 4:3.
    const f = frequencies(draws([0.4, 0.3, 0.2, 0.1, 1e-9], { topP: 0.65 }));
    expect(f[2]).toBe(0);
    expect(f[3]).toBe(0);
    expect(Math.abs(f[0]! - 4 / 7)).toBeLessThan(0.03);
    expect(Math.abs(f[1]! - 3 / 7)).toBeLessThan(0.03);
    // p = 1 keeps every token (each drawn about as often as its probability), and equals no topP at all.
    const all = draws([0.4, 0.3, 0.2, 0.1, 1e-9], { topP: 1 });
    expect(all).toEqual(draws([0.4, 0.3, 0.2, 0.1, 1e-9], {}));
    frequencies(all).forEach((x, v) => expect(Math.abs(x - [0.4, 0.3, 0.2, 0.1][v]!)).toBeLessThan(0.03));
    // A tiny p keeps the most probable token only.
    expect(new Set(draws([0.3, 0.4, 0.2, 0.1, 1e-9], { topP: 1e-6 }))).toEqual(new Set([1]));
  });

  it('applies top-k first, then top-p over the renormalised top k, after the temperature', () => {
    // Top-2 renormalised is 4/7, 3/7: p = 0.5 keeps token 0 alone (top-p first would keep 0 and 1).
    expect(new Set(draws([0.4, 0.3, 0.2, 0.1, 1e-9], { topK: 2, topP: 0.5 }))).toEqual(new Set([0]));
    // Temperature 2 flattens 0.4, 0.3, 0.2, 0.1 to ∝ √p, i.e. 0.325, 0.282, 0.230, 0.163: the first two hold
    // 0.607 < 0.65, so p = 0.65 keeps three tokens; without the temperature (0.4 + 0.3 = 0.7) it keeps two.
    expect(new Set(draws([0.4, 0.3, 0.2, 0.1, 1e-9], { topP: 0.65, temperature: 2 }))).toEqual(
      new Set([0, 1, 2]),
    );
    expect(new Set(draws([0.4, 0.3, 0.2, 0.1, 1e-9], { topP: 0.65 }))).toEqual(new Set([0, 1]));
  });

  it('is reproducible for a seed, and a batch with one generator per source decodes each source as alone', () => {
    const opts = { sos: SOS, eos: EOS, maxLength: 6, topK: 3, topP: 0.8, temperature: 1.5 };
    expect(sampleDecode(new ToyStepper(tables), { ...opts, seed: 5 })).toEqual(
      sampleDecode(new ToyStepper(tables), { ...opts, seed: 5 }),
    );
    const seeds = [3, 4, 5];
    const batch = sampleDecode(new ToyStepper(tables), {
      ...opts,
      generator: seeds.map((s) => new Generator(s)),
    });
    tables.forEach((table, b) =>
      expect(batch[b]).toEqual(sampleDecode(new ToyStepper([table]), { ...opts, seed: seeds[b]! })[0]),
    );
  });
});
