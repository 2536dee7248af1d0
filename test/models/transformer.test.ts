import { describe, expect, it } from 'vitest';
import {
  add,
  AttnError,
  causalMask,
  crossEntropy,
  Embedding,
  Generator,
  LayerNorm,
  LearnedPositionalEncoding,
  Linear,
  mean,
  type Module,
  noGrad,
  randint,
  randn,
  reshape,
  SinusoidalPositionalEncoding,
  slice,
  sum,
  Tensor,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerLayerOptions,
  variance,
  zeros,
} from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { expectGradClose, gradcheck } from '../helpers/gradcheck.js';

const boolMask = (rows: number[][]): Tensor =>
  new Tensor(Uint8Array.from(rows.flat()), [rows.length, rows[0]!.length], 'bool');

/** Small layer options with dropout off and a seeded generator. */
function small(options: Partial<TransformerLayerOptions> = {}, seed = 1): TransformerLayerOptions {
  return {
    dModel: 8,
    nhead: 2,
    dimFeedforward: 16,
    dropout: 0,
    batchFirst: true,
    generator: new Generator(seed),
    ...options,
  };
}

/** Gives every bias and LayerNorm parameter random values, so that each of them matters. */
function perturb<M extends Module>(module: M, seed = 7): M {
  const generator = new Generator(seed);
  for (const [name, p] of module.namedParameters()) {
    if (name.endsWith('bias') || /norm\d?\.weight$/.test(name)) {
      const noise = randn(p.shape, { generator });
      for (let i = 0; i < p.size; i++) p.data[i] = (name.endsWith('weight') ? 1 : 0) + 0.5 * noise.data[i]!;
    }
  }
  return module;
}

const input = (shape: number[], seed = 3) => randn(shape, { generator: new Generator(seed) });

const ATTN = ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias'];
const FF_NORM = ['linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias'];
const norms = (n: number) =>
  Array.from({ length: n }, (_, i) => [`norm${i + 1}.weight`, `norm${i + 1}.bias`]).flat();

describe('Transformer layers: parameters', () => {
  it('encoder layer: torch state-dict names, order and shapes', () => {
    const layer = new TransformerEncoderLayer({ dModel: 16, nhead: 4, dimFeedforward: 32 });
    expect(layer.namedParameters().map(([n]) => n)).toEqual([
      ...ATTN.map((n) => `self_attn.${n}`),
      ...FF_NORM,
      ...norms(2),
    ]);
    const shapes = Object.fromEntries(layer.namedParameters().map(([n, p]) => [n, p.shape]));
    expect(shapes['self_attn.in_proj_weight']).toEqual([48, 16]);
    expect(shapes['linear1.weight']).toEqual([32, 16]);
    expect(shapes['linear2.weight']).toEqual([16, 32]);
    expect(shapes['norm2.bias']).toEqual([16]);
    expect(layer.numParameters()).toBe(4 * 16 * 16 + 4 * 16 + 2 * 16 * 32 + 32 + 16 + 4 * 16);
    expect(layer.dimFeedforward).toBe(32);
    expect(new TransformerEncoderLayer({ dModel: 8, nhead: 2 }).dimFeedforward).toBe(2048);
  });

  it('decoder layer: torch state-dict names and order', () => {
    const layer = new TransformerDecoderLayer(small());
    expect(layer.namedParameters().map(([n]) => n)).toEqual([
      ...ATTN.map((n) => `self_attn.${n}`),
      ...ATTN.map((n) => `multihead_attn.${n}`),
      ...FF_NORM,
      ...norms(3),
    ]);
  });

  it('stacks: layers.i.… then norm.…, as torch', () => {
    const encoder = new TransformerEncoder(small(), 2, { norm: true });
    const names = encoder.namedParameters().map(([n]) => n);
    expect(names.slice(0, 2)).toEqual([
      'layers.0.self_attn.in_proj_weight',
      'layers.0.self_attn.in_proj_bias',
    ]);
    expect(names).toContain('layers.1.norm2.bias');
    expect(names.slice(-2)).toEqual(['norm.weight', 'norm.bias']);
    expect(names).toHaveLength(2 * 12 + 2);
    const decoder = new TransformerDecoder(small(), 3);
    const dnames = decoder.namedParameters().map(([n]) => n);
    expect(dnames).toHaveLength(3 * 18);
    expect(dnames).toContain('layers.2.multihead_attn.out_proj.weight');
    expect(dnames.some((n) => n.startsWith('norm'))).toBe(false);
    expect(decoder.namedModules().map(([n]) => n)).toContain('layers.1.dropout3');
  });

  it('stacks: each layer draws its own weights, and the state dict round-trips', () => {
    const encoder = new TransformerEncoder(small(), 2);
    const [a, b] = encoder.layers;
    expect(a!.linear1.weight.data).not.toEqual(b!.linear1.weight.data);
    const copy = new TransformerEncoder(small({}, 99), 2);
    copy.loadStateDict(encoder.stateDict());
    const x = input([2, 4, 8]);
    expectClose(copy.forward(x), encoder.forward(x), 'reloaded');
  });

  it('stacks: train() and eval() reach every layer and its attention', () => {
    const decoder = new TransformerDecoder(small(), 2).eval();
    expect(decoder.namedModules().every(([, m]) => !m.training)).toBe(true);
    decoder.train();
    expect(decoder.layers[1]!.multiheadAttn.training).toBe(true);
    expect(decoder.layers[1]!.dropout3.training).toBe(true);
  });
});

describe('Transformer layers: errors', () => {
  const op = (fn: () => unknown, message: RegExp) => {
    expect(fn).toThrow(AttnError);
    expect(fn).toThrow(message);
  };

  it('rejects bad options', () => {
    op(
      () => new TransformerEncoderLayer({ dModel: 10, nhead: 3 }),
      /^TransformerEncoderLayer: dModel \(10\) must be divisible by nhead \(3\)$/,
    );
    op(
      () => new TransformerDecoderLayer({ dModel: 8, nhead: 0 }),
      /TransformerDecoderLayer: nhead must be a positive integer, got 0/,
    );
    op(
      () => new TransformerEncoderLayer({ dModel: 8.5, nhead: 1 }),
      /dModel must be a positive integer, got 8.5/,
    );
    op(
      () => new TransformerEncoderLayer({ dModel: 8, nhead: 2, dimFeedforward: -1 }),
      /dimFeedforward must be/,
    );
    op(
      () => new TransformerEncoderLayer({ dModel: 8, nhead: 2, dropout: 1.5 }),
      /dropout must be in \[0, 1\], got 1.5/,
    );
    op(
      () => new TransformerEncoderLayer({ dModel: 8, nhead: 2, layerNormEps: 0 }),
      /layerNormEps must be positive/,
    );
    op(
      () => new TransformerEncoderLayer({ dModel: 8, nhead: 2, activation: 'tanh' as 'relu' }),
      /activation must be 'relu', 'gelu' or a function, got tanh/,
    );
    op(
      () => new TransformerEncoderLayer(undefined as unknown as TransformerLayerOptions),
      /needs an options object/,
    );
  });

  it('rejects bad stacks', () => {
    op(
      () => new TransformerEncoder(small(), 0),
      /^TransformerEncoder: numLayers must be a positive integer, got 0$/,
    );
    op(() => new TransformerDecoder(small(), 1.5), /TransformerDecoder: numLayers must be/);
    const layer = new TransformerEncoderLayer(small());
    op(() => new TransformerEncoder(() => layer, 2), /returned the same layer twice \(layer 1\)/);
    op(
      () => new TransformerEncoder((i) => new TransformerEncoderLayer(small({ dModel: 8 + 4 * i })), 2),
      /every layer must have the same dModel: layer 0 has 8, layer 1 12/,
    );
    op(
      () =>
        new TransformerDecoder(
          () => new TransformerEncoderLayer(small()) as unknown as TransformerDecoderLayer,
          1,
        ),
      /must return a TransformerDecoderLayer/,
    );
    op(
      () => new TransformerEncoder(small(), 1, { norm: new LayerNorm(6) }),
      /norm must normalise \[8\] \(dModel\), got \[6\]/,
    );
  });

  it('rejects inputs of the wrong shape or dtype', () => {
    const enc = new TransformerEncoderLayer(small());
    op(
      () => enc.forward(zeros([2, 3, 6])),
      /^TransformerEncoderLayer: src must be float32 \[B, T, 8\] \(batchFirst true\) or unbatched \[T, 8\], got float32 \[2,3,6\]$/,
    );
    op(() => enc.forward(zeros([1, 2, 3, 8])), /src must be float32/);
    op(() => enc.forward('x' as unknown as Tensor), /src must be a Tensor, got x/);
    const dec = new TransformerDecoderLayer(small({ batchFirst: false }));
    op(
      () => dec.forward(zeros([3, 2, 8]), zeros([4, 2, 5])),
      /memory must be float32 \[T, B, 8\] \(batchFirst false\)/,
    );
    // Batch sizes that disagree are caught by the attention.
    op(() => dec.forward(zeros([3, 2, 8]), zeros([4, 3, 8])), /same batch size/);
  });
});

describe('Transformer stacks: shapes, final norm and weights', () => {
  it('encoder: [T, B, E] in and out, one [B, H, T, T] weight tensor per layer', () => {
    const encoder = new TransformerEncoder(small({ batchFirst: false, nhead: 4 }), 3).eval();
    const src = input([5, 2, 8]);
    const { output, weights } = encoder.forwardWithWeights(src);
    expect(output.shape).toEqual([5, 2, 8]);
    expect(weights.map((w) => w.shape)).toEqual([
      [2, 4, 5, 5],
      [2, 4, 5, 5],
      [2, 4, 5, 5],
    ]);
    expectClose(encoder.forward(src), output, 'forward = forwardWithWeights');
    // Every row of every head is a distribution.
    expectClose(sum(weights[2]!, -1), zeros([2, 4, 5]).add(1), 'rows sum to 1');
  });

  it('encoder: unbatched [T, E] gives [H, T, T] weights', () => {
    const encoder = new TransformerEncoder(small(), 2);
    const src = input([4, 8]);
    const { output, weights } = encoder.forwardWithWeights(src);
    expect(output.shape).toEqual([4, 8]);
    expect(weights[0]!.shape).toEqual([2, 4, 4]);
    const batched = encoder.forward(reshape(src, [1, 4, 8]));
    expectClose(output, reshape(batched, [4, 8]), 'unbatched = batch of one');
  });

  it('layer weights are those of its self-attention, per head, with padding and causal masks applied', () => {
    const layer = perturb(new TransformerEncoderLayer(small()));
    const src = input([2, 4, 8]);
    const padding = boolMask([
      [0, 0, 0, 1],
      [0, 0, 1, 1],
    ]);
    const { weights } = layer.forwardWithWeights(src, { srcKeyPaddingMask: padding, isCausal: true });
    const direct = layer.selfAttn.forward(src, src, src, {
      keyPaddingMask: padding,
      isCausal: true,
      averageAttnWeights: false,
    });
    expectClose(weights, direct.weights!, 'weights');
    const w = weights.data;
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 2; h++)
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 4; j++) {
            const masked = j > i || padding.data[b * 4 + j] === 1;
            if (masked) expect(w[((b * 2 + h) * 4 + i) * 4 + j]).toBe(0);
          }
  });

  it('decoder: output like tgt, self [B, H, T, T] and cross [B, H, T, S] weights per layer', () => {
    const decoder = new TransformerDecoder(small({ nhead: 4 }), 2, { norm: true });
    const tgt = input([3, 5, 8], 1);
    const memory = input([3, 7, 8], 2);
    const padding = boolMask([
      [0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 1, 1],
      [0, 0, 0, 1, 1, 1, 1],
    ]);
    const { output, selfWeights, crossWeights } = decoder.forwardWithWeights(tgt, memory, {
      tgtIsCausal: true,
      memoryKeyPaddingMask: padding,
    });
    expect(output.shape).toEqual([3, 5, 8]);
    expect(selfWeights.map((w) => w.shape)).toEqual([
      [3, 4, 5, 5],
      [3, 4, 5, 5],
    ]);
    expect(crossWeights.map((w) => w.shape)).toEqual([
      [3, 4, 5, 7],
      [3, 4, 5, 7],
    ]);
    // Padded memory positions get no cross-attention.
    expectClose(sum(slice(slice(crossWeights[1]!, 0, 2, 3), 3, 3), -1), zeros([1, 4, 5]), 'padding');
    expectClose(
      decoder.forward(tgt, memory, { tgtIsCausal: true, memoryKeyPaddingMask: padding }),
      output,
      'forward',
    );
  });

  it('final norm: the stack output is norm(last layer output); true gives LayerNorm(dModel, eps)', () => {
    const layerOptions = small({ normFirst: true, layerNormEps: 1e-3 });
    const plain = new TransformerEncoder(layerOptions, 2);
    const norm = new LayerNorm(8, { eps: 1e-3 });
    perturb(norm);
    const normed = new TransformerEncoder((i) => plain.layers[i]!, 2, { norm });
    expect(normed.norm).toBe(norm);
    const src = input([2, 3, 8]);
    expectClose(normed.forward(src), norm.forward(plain.forward(src)), 'norm(stack)');
    const withTrue = new TransformerDecoder(small({ layerNormEps: 1e-3 }), 1, { norm: true });
    expect(withTrue.norm?.eps).toBe(1e-3);
    expect(withTrue.norm?.normalizedShape).toEqual([8]);
    // With the default γ = 1, β = 0 every output row has mean 0 and variance 1.
    const out = new TransformerEncoder(layerOptions, 2, { norm: true }).forward(src);
    expectClose(mean(out, -1), zeros([2, 3]), 'row means', { atol: 1e-5 });
    expectClose(variance(out, -1, { correction: 0 }), zeros([2, 3]).add(1), 'row variances', { atol: 1e-2 });
  });
});

describe('Transformer layers: dropout', () => {
  it('is active in training mode only', () => {
    const options = small({ dropout: 0.5 });
    const layer = new TransformerDecoderLayer(options);
    const noDropout = new TransformerDecoderLayer(small({ dropout: 0 }, 5));
    noDropout.loadStateDict(layer.stateDict());
    const tgt = input([2, 4, 8], 1);
    const memory = input([2, 5, 8], 2);
    const a = layer.forward(tgt, memory);
    const b = layer.forward(tgt, memory);
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
    const reference = noDropout.forward(tgt, memory);
    expect(Array.from(a.data)).not.toEqual(Array.from(reference.data));
    layer.eval();
    expectClose(layer.forward(tgt, memory), reference, 'eval = no dropout');
    expectClose(layer.forward(tgt, memory), layer.forward(tgt, memory), 'eval is deterministic', {
      atol: 0,
      rtol: 0,
    });
  });

  it('applies to the returned attention weights in training mode (as torch)', () => {
    const encoder = new TransformerEncoder(small({ dropout: 0.5 }), 1);
    const { weights } = encoder.forwardWithWeights(input([2, 6, 8]));
    const zerosCount = Array.from(weights[0]!.data).filter((v) => v === 0).length;
    expect(zerosCount).toBeGreaterThan(0);
    encoder.eval();
    const evalWeights = encoder.forwardWithWeights(input([2, 6, 8])).weights[0]!;
    expect(Array.from(evalWeights.data).filter((v) => v === 0)).toHaveLength(0);
  });
});

describe('positional encodings', () => {
  it('sinusoidal: hand-computed entries', () => {
    const pe = new SinusoidalPositionalEncoding(4, 10).pe;
    expect(pe.shape).toEqual([10, 4]);
    const at = (pos: number, i: number) => pe.data[pos * 4 + i]!;
    expect([at(0, 0), at(0, 1), at(0, 2), at(0, 3)]).toEqual([0, 1, 0, 1]);
    expect(at(1, 0)).toBeCloseTo(Math.sin(1), 6);
    expect(at(1, 1)).toBeCloseTo(Math.cos(1), 6);
    // 10000^(2/4) = 100.
    expect(at(1, 2)).toBeCloseTo(Math.sin(0.01), 7);
    expect(at(1, 3)).toBeCloseTo(Math.cos(0.01), 7);
    expect(at(7, 2)).toBeCloseTo(Math.sin(0.07), 7);
    expect(at(9, 1)).toBeCloseTo(Math.cos(9), 6);
    // An odd dModel ends with a sine column: 10000^(4/5).
    const odd = new SinusoidalPositionalEncoding(5, 4).pe;
    expect(odd.data[3 * 5 + 4]).toBeCloseTo(Math.sin(3 / Math.pow(10000, 4 / 5)), 7);
  });

  it('sinusoidal: added to every batch element in either layout, from an offset, no parameters', () => {
    const enc = new SinusoidalPositionalEncoding(6, 20, { dropout: 0 });
    expect(enc.namedParameters()).toEqual([]);
    const x = input([3, 2, 6]);
    const out = enc.forward(x, { offset: 4 });
    const rows = slice(enc.pe, 0, 4, 7);
    expectClose(out, add(x, reshape(rows, [3, 1, 6])), '[T, B, E]');
    const bf = new SinusoidalPositionalEncoding(6, 20, { dropout: 0, batchFirst: true });
    expectClose(bf.forward(zeros([2, 3, 6])), add(zeros([2, 3, 6]), slice(enc.pe, 0, 0, 3)), '[B, T, E]');
    expectClose(bf.forward(zeros([3, 6])), slice(enc.pe, 0, 0, 3), '[T, E]');
  });

  it('sinusoidal: dropout in training only', () => {
    const enc = new SinusoidalPositionalEncoding(8, 16, { dropout: 0.5, generator: new Generator(1) });
    const x = input([4, 2, 8]);
    const trained = enc.forward(x);
    expect(Array.from(trained.data).filter((v) => v === 0).length).toBeGreaterThan(0);
    enc.eval();
    expectClose(enc.forward(x), add(x, reshape(slice(enc.pe, 0, 0, 4), [4, 1, 8])), 'eval');
  });

  it('learned: parameter embedding.weight [maxLen, dModel]; gradients reach only the rows used', () => {
    const enc = new LearnedPositionalEncoding(10, 4, {
      dropout: 0,
      batchFirst: true,
      generator: new Generator(2),
    });
    expect(enc.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([['embedding.weight', [10, 4]]]);
    const x = input([2, 3, 4]);
    const out = enc.forward(x, { offset: 5 });
    expectClose(out, add(x, slice(enc.embedding.weight, 0, 5, 8)), 'x + rows 5..7');
    sum(out).backward();
    const grad = enc.embedding.weight.grad!.data;
    for (let pos = 0; pos < 10; pos++) {
      const expected = pos >= 5 && pos < 8 ? 2 : 0; // summed over the batch of two
      for (let i = 0; i < 4; i++) expect(grad[pos * 4 + i]).toBe(expected);
    }
  });

  it('errors', () => {
    const enc = new SinusoidalPositionalEncoding(4, 5, { dropout: 0 });
    expect(() => enc.forward(zeros([6, 1, 4]))).toThrow(
      /^SinusoidalPositionalEncoding: positions 0\.\.5 exceed maxLen 5 \(input \[6,1,4\]\)$/,
    );
    expect(() => enc.forward(zeros([3, 1, 4]), { offset: 3 })).toThrow(/positions 3\.\.5 exceed maxLen 5/);
    expect(() => enc.forward(zeros([3, 1, 4]), { offset: -1 })).toThrow(
      /offset must be a non-negative integer, got -1/,
    );
    expect(() => enc.forward(zeros([3, 1, 5]))).toThrow(/input must be float32 \[T, B, 4\]/);
    expect(() => new SinusoidalPositionalEncoding(0)).toThrow(/dModel must be a positive integer, got 0/);
    expect(() => new LearnedPositionalEncoding(4, 8, { dropout: -0.1 })).toThrow(
      /^LearnedPositionalEncoding: dropout must be in \[0, 1\], got -0.1$/,
    );
    expect(() => new LearnedPositionalEncoding(2.5, 8)).toThrow(/maxLen must be a positive integer/);
  });
});

describe('causal decoding', () => {
  it('decoding a prefix equals the first rows of decoding the whole sequence', () => {
    const decoder = new TransformerDecoder(small({ normFirst: true }), 2, { norm: true });
    perturb(decoder);
    const tgt = input([2, 6, 8], 1);
    const memory = input([2, 4, 8], 2);
    const full = decoder.forwardWithWeights(tgt, memory, { tgtIsCausal: true });
    const withMask = decoder.forward(tgt, memory, { tgtMask: causalMask(6, 6) });
    expectClose(withMask, full.output, 'tgtIsCausal = causalMask');
    for (const k of [1, 3, 5]) {
      const prefix = decoder.forwardWithWeights(slice(tgt, 1, 0, k), memory, { tgtMask: causalMask(k, k) });
      expectClose(prefix.output, slice(full.output, 1, 0, k), `prefix ${k}`);
      expectClose(
        prefix.crossWeights[1]!,
        slice(full.crossWeights[1]!, 2, 0, k),
        `cross weights, prefix ${k}`,
      );
    }
    // Without the mask, later positions change earlier outputs.
    const unmasked = decoder.forward(tgt, memory);
    expect(Math.abs(unmasked.data[0]! - full.output.data[0]!)).toBeGreaterThan(1e-4);
  });

  it('a causal encoder is prefix-consistent too ([T, B, E] layout)', () => {
    const encoder = new TransformerEncoder(small({ batchFirst: false }), 2);
    const src = input([5, 2, 8]);
    const full = encoder.forward(src, { isCausal: true });
    expectClose(encoder.forward(slice(src, 0, 0, 3), { isCausal: true }), slice(full, 0, 0, 3), 'prefix 3');
    expectClose(encoder.forward(src, { mask: causalMask(5, 5) }), full, 'mask = isCausal');
  });
});

describe('gradients by finite differences', () => {
  it('encoder layer (post-norm, gelu, padding): d/d src', () => {
    const layer = perturb(
      new TransformerEncoderLayer(small({ dModel: 4, dimFeedforward: 6, activation: 'gelu' })),
    );
    const padding = boolMask([
      [0, 0, 1],
      [0, 0, 0],
    ]);
    gradcheck((src) => layer.forward(src, { srcKeyPaddingMask: padding }), [input([2, 3, 4])]);
  });

  it('decoder layer (pre-norm, gelu, causal): d/d tgt and d/d memory, output and weights', () => {
    const layer = perturb(
      new TransformerDecoderLayer(
        small({ dModel: 4, dimFeedforward: 6, activation: 'gelu', normFirst: true }),
      ),
    );
    gradcheck(
      (tgt, memory) => {
        const r = layer.forwardWithWeights(tgt, memory, { tgtIsCausal: true });
        return [r.output, r.selfWeights, r.crossWeights];
      },
      [input([2, 3, 4], 1), input([2, 2, 4], 2)],
    );
  });

  it('encoder stack: d/d parameters of both layers and the final norm', () => {
    const encoder = perturb(
      new TransformerEncoder(small({ dModel: 4, dimFeedforward: 6, activation: 'gelu' }), 2, { norm: true }),
    );
    const src = input([2, 3, 4]);
    const params = new Map(encoder.namedParameters());
    const names = [
      'layers.0.self_attn.in_proj_weight',
      'layers.1.linear1.weight',
      'layers.1.norm1.bias',
      'norm.weight',
    ];
    const upstream = randn([2, 3, 4], { generator: new Generator(11) });
    encoder.forward(src).backward(upstream);
    const loss = () => {
      const out = noGrad(() => encoder.forward(src)).data;
      let total = 0;
      for (let i = 0; i < out.length; i++) total += out[i]! * upstream.data[i]!;
      return total;
    };
    for (const name of names) {
      const p = params.get(name)!;
      const numeric = new Float64Array(p.size);
      for (let k = 0; k < p.size; k++) {
        const x = p.data[k]!;
        const up = Math.fround(x + 1e-2);
        const down = Math.fround(x - 1e-2);
        p.data[k] = up;
        const lossUp = loss();
        p.data[k] = down;
        const lossDown = loss();
        p.data[k] = x;
        numeric[k] = (lossUp - lossDown) / (up - down);
      }
      expectGradClose(p.grad!.data, numeric, name);
    }
  });
});

describe('learning', () => {
  it('a 1-layer encoder + Linear learns to reverse short sequences', () => {
    const generator = new Generator(0);
    const vocab = 6;
    const length = 5;
    const dModel = 32;
    const embedding = new Embedding(vocab, dModel, { generator });
    const positions = new LearnedPositionalEncoding(length, dModel, {
      dropout: 0,
      batchFirst: true,
      generator,
    });
    const encoder = new TransformerEncoder(
      { dModel, nhead: 4, dimFeedforward: 64, dropout: 0, batchFirst: true, generator },
      1,
    );
    const head = new Linear(dModel, vocab, { generator });
    const modules: Module[] = [embedding, positions, encoder, head];
    const params = modules.flatMap((m) => m.parameters());
    const adam = new TinyAdam(params, 0.01);
    const batch = 32;
    const losses: number[] = [];
    for (let step = 0; step < 80; step++) {
      const ids = randint(0, vocab, [batch, length], { generator });
      const reversed = new Int32Array(batch * length);
      for (let b = 0; b < batch; b++)
        for (let t = 0; t < length; t++) reversed[b * length + t] = ids.data[b * length + length - 1 - t]!;
      const hidden = encoder.forward(positions.forward(embedding.forward(ids)));
      const logits = reshape(head.forward(hidden), [batch * length, vocab]);
      const loss = crossEntropy(logits, new Tensor(reversed, [batch * length], 'int32'));
      losses.push(loss.item());
      for (const p of params) p.zeroGrad();
      loss.backward();
      adam.step();
    }
    const start = losses[0]!;
    const end = losses.slice(-10).reduce((a, b) => a + b, 0) / 10;
    expect(start).toBeGreaterThan(1.5);
    expect(end).toBeLessThan(0.05 * start);
  });
});

/** Adam (Kingma & Ba) for the learning test; the library's optimisers live elsewhere. */
class TinyAdam {
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
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    noGrad(() =>
      this.params.forEach((p, k) => {
        const g = p.grad;
        if (!g) return;
        const m = this.m[k]!;
        const v = this.v[k]!;
        for (let i = 0; i < p.size; i++) {
          const gi = g.data[i]!;
          m[i] = b1 * m[i]! + (1 - b1) * gi;
          v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
          p.data[i] = p.data[i]! - (this.lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
        }
      }),
    );
  }
}
