import { describe, expect, it } from 'vitest';
import {
  Dropout,
  Embedding,
  Generator,
  LayerNorm,
  Linear,
  Module,
  ones,
  sum,
  tensor,
  zeros,
  type Tensor,
} from '../../src/index.js';
import { expectClose } from '../helpers/close.js';
import { gradcheck, randomInput } from '../helpers/gradcheck.js';

const ids = (values: number[], shape = [values.length]) => tensor(Int32Array.from(values), { shape });

describe('Linear', () => {
  it('computes x·Wᵀ + b over the last axis', () => {
    const linear = new Linear(3, 2);
    linear.loadStateDict({
      weight: tensor([
        [1, 2, 3],
        [0, -1, 1],
      ]),
      bias: tensor([0.5, -1]),
    });
    const y = linear.forward(
      tensor([
        [
          [1, 0, 0],
          [1, 1, 1],
        ],
      ]),
    );
    expect(y.toArray()).toEqual([
      [
        [1.5, -1],
        [6.5, -1],
      ],
    ]);
  });

  it('initialises as torch: U(−1/√in, 1/√in) for weight and bias; bias false registers none', () => {
    const linear = new Linear(16, 8, { generator: new Generator(1) });
    expect(linear.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight', [8, 16]],
      ['bias', [8]],
    ]);
    for (const p of linear.parameters()) expect(p.data.every((v) => Math.abs(v) <= 0.25)).toBe(true);
    expect(Math.max(...linear.weight.data.map(Math.abs))).toBeGreaterThan(0.2);
    const again = new Linear(16, 8, { generator: new Generator(1) });
    expect(again.weight.data).toEqual(linear.weight.data);
    const plain = new Linear(4, 2, { bias: false });
    expect(plain.bias).toBeNull();
    expect(plain.namedParameters().map(([n]) => n)).toEqual(['weight']);
  });

  it('gradients match finite differences', () => {
    const linear = new Linear(3, 2, { generator: new Generator(2) });
    gradcheck((x) => linear.forward(x!), [randomInput([4, 3], 3)]);
  });

  it('rejects bad sizes and inputs', () => {
    expect(() => new Linear(0, 2)).toThrow('Linear: inFeatures must be a positive integer, got 0');
    expect(() => new Linear(2, 1.5)).toThrow('Linear: outFeatures must be a positive integer, got 1.5');
    expect(() => new Linear(3, 2).forward(zeros([4, 2]))).toThrow(
      'Linear: input must be [..., 3], got [4,2]',
    );
  });
});

describe('Embedding', () => {
  it('looks rows up by id; starts N(0, 1) with the padding row zero', () => {
    const emb = new Embedding(5, 3, { paddingIdx: 1, generator: new Generator(4) });
    expect(emb.paddingIdx).toBe(1);
    expect(Array.from(emb.weight.data.subarray(3, 6))).toEqual([0, 0, 0]);
    expect(emb.weight.data.filter((v) => v !== 0).length).toBe(12);
    const out = emb.forward(ids([4, 1, 4, 0], [2, 2]));
    expect(out.shape).toEqual([2, 2, 3]);
    expect(Array.from(out.data.subarray(0, 3))).toEqual(Array.from(emb.weight.data.subarray(12, 15)));
    expect(Array.from(out.data.subarray(3, 6))).toEqual([0, 0, 0]);
  });

  it('gives the padding row no gradient; other rows sum the gradients of their uses', () => {
    const emb = new Embedding(4, 2, { paddingIdx: 0 });
    sum(emb.forward(ids([0, 2, 2, 0, 3]))).backward();
    expect(Array.from(emb.weight.grad!.data)).toEqual([0, 0, 0, 0, 2, 2, 1, 1]);
  });

  it('counts a negative paddingIdx from the end; rejects bad sizes and indices', () => {
    expect(new Embedding(5, 2, { paddingIdx: -1 }).paddingIdx).toBe(4);
    expect(new Embedding(5, 2).paddingIdx).toBeUndefined();
    expect(() => new Embedding(5, 2, { paddingIdx: 5 })).toThrow(
      'Embedding: paddingIdx 5 is outside [-5, 5)',
    );
    expect(() => new Embedding(0, 2)).toThrow('Embedding: numEmbeddings must be a positive integer, got 0');
    expect(() => new Embedding(5, 2).forward(ids([5]))).toThrow(/embedding/);
  });
});

describe('LayerNorm', () => {
  it('normalises the trailing axes and applies γ and β', () => {
    const norm = new LayerNorm(4);
    expect(norm.namedParameters().map(([n, p]) => [n, Array.from(p.data)])).toEqual([
      ['weight', [1, 1, 1, 1]],
      ['bias', [0, 0, 0, 0]],
    ]);
    const x = tensor([
      [1, 2, 3, 4],
      [2, 2, 2, 6],
    ]);
    const y = norm.forward(x);
    const expected = (row: number[]) => {
      const mu = row.reduce((a, b) => a + b) / row.length;
      const variance = row.reduce((a, b) => a + (b - mu) ** 2, 0) / row.length;
      return row.map((v) => (v - mu) / Math.sqrt(variance + 1e-5));
    };
    expectClose(y, tensor([expected([1, 2, 3, 4]), expected([2, 2, 2, 6])]), 'layer norm');
    norm.loadStateDict({ weight: tensor([2, 2, 2, 2]), bias: tensor([1, 1, 1, 1]) });
    expectClose(
      norm.forward(x),
      tensor([expected([1, 2, 3, 4]), expected([2, 2, 2, 6])].map((r) => r.map((v) => 2 * v + 1))),
      'affine',
    );
  });

  it('normalises over several axes; without affine it has no parameters', () => {
    const norm = new LayerNorm([2, 3], { elementwiseAffine: false, eps: 1e-3 });
    expect(norm.numParameters()).toBe(0);
    expect(norm.weight).toBeNull();
    const y = norm.forward(randomInput([4, 2, 3], 5));
    for (let b = 0; b < 4; b++) {
      const row = Array.from(y.data.subarray(b * 6, (b + 1) * 6));
      expect(row.reduce((a, c) => a + c) / 6).toBeCloseTo(0, 5);
    }
  });

  it('gradients match finite differences; rejects a bad shape', () => {
    const norm = new LayerNorm(3);
    norm.loadStateDict({ weight: tensor([1, 2, -1]), bias: tensor([0, 1, 2]) });
    gradcheck((x) => norm.forward(x!), [randomInput([2, 3], 6)]);
    expect(() => new LayerNorm([2, 0])).toThrow(
      'LayerNorm: normalizedShape must hold positive integers, got [2,0]',
    );
  });
});

describe('Dropout', () => {
  it('zeroes elements with probability p and scales the rest by 1/(1 − p), in training mode only', () => {
    const drop = new Dropout(0.25, new Generator(7));
    const x = ones([4000]);
    const y = drop.forward(x);
    const kept = y.data.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    expect(kept.length / 4000).toBeGreaterThan(0.72);
    expect(kept.length / 4000).toBeLessThan(0.78);
    expect(drop.eval().forward(x)).toBe(x);
    expect(new Dropout(0).forward(x)).toBe(x);
    expect(new Dropout(1).forward(x).data.every((v) => v === 0)).toBe(true);
  });

  it('is reproducible from a generator; rejects p outside [0, 1]', () => {
    const a = new Dropout(0.5, new Generator(8)).forward(ones([50]));
    const b = new Dropout(0.5, new Generator(8)).forward(ones([50]));
    expect(a.data).toEqual(b.data);
    expect(() => new Dropout(1.5)).toThrow('Dropout: p must be in [0, 1], got 1.5');
  });
});

/** A module with own parameters and children, for the Module tests. */
class Block extends Module {
  readonly scale: Tensor;
  readonly inner: Linear;
  readonly head: Linear;
  readonly drop = new Dropout(0.1);
  constructor() {
    super();
    this.scale = this.registerParameter('scale', ones([2]))!;
    this.inner = this.registerModule('inner', new Linear(2, 3));
    this.head = this.registerModule('head', new Linear(3, 2, { bias: false }));
    this.registerModule('drop', this.drop);
  }
}

describe('Module', () => {
  it('lists parameters in registration order with dotted names, children after own parameters', () => {
    const block = new Block();
    expect(block.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['scale', [2]],
      ['inner.weight', [3, 2]],
      ['inner.bias', [3]],
      ['head.weight', [2, 3]],
    ]);
    expect(block.parameters()).toHaveLength(4);
    expect(block.namedModules().map(([n, m]) => [n, m.constructor.name])).toEqual([
      ['', 'Block'],
      ['inner', 'Linear'],
      ['head', 'Linear'],
      ['drop', 'Dropout'],
    ]);
    expect(block.parameters().every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
  });

  it('counts parameter elements, each shared tensor once', () => {
    const block = new Block();
    expect(block.numParameters()).toBe(2 + 6 + 3 + 6);
    const shared = new Linear(2, 2);
    class Tied extends Module {
      constructor() {
        super();
        this.registerModule('a', shared);
        this.registerModule('b', shared);
      }
    }
    const tied = new Tied();
    expect(tied.namedParameters()).toHaveLength(4);
    expect(tied.numParameters()).toBe(6);
  });

  it('stateDict holds the live parameters; loadStateDict copies values in place', () => {
    const a = new Block();
    const b = new Block();
    const state = a.stateDict();
    expect([...state.keys()]).toEqual(['scale', 'inner.weight', 'inner.bias', 'head.weight']);
    expect(state.get('inner.weight')).toBe(a.inner.weight);
    const before = b.inner.weight;
    expect(b.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.inner.weight).toBe(before);
    expect(b.inner.weight.data).toEqual(a.inner.weight.data);
    expect(b.inner.weight.data).not.toBe(a.inner.weight.data);
  });

  it('strict loading lists missing keys, unexpected keys and shape mismatches', () => {
    const block = new Block();
    const state = block.stateDict();
    state.delete('inner.bias');
    state.delete('scale');
    state.set('extra', zeros([1]));
    expect(() => block.loadStateDict(state)).toThrow(
      'Block.loadStateDict: missing keys: scale, inner.bias; unexpected keys: extra',
    );
    const wrong = new Block().stateDict();
    wrong.set('head.weight', zeros([3, 2]));
    expect(() => block.loadStateDict(wrong)).toThrow(
      'Block.loadStateDict: shape mismatches: head.weight: expected [2,3], got [3,2] float32',
    );
    wrong.set('head.weight', tensor(new Int32Array(6), { shape: [2, 3] }));
    expect(() => block.loadStateDict(wrong)).toThrow('head.weight: expected [2,3], got [2,3] int32');
  });

  it('non-strict loading returns missing and unexpected keys and loads the rest; shape mismatches still throw', () => {
    const block = new Block();
    const result = block.loadStateDict({ scale: tensor([5, 6]), other: zeros([1]) }, { strict: false });
    expect(result).toEqual({
      missingKeys: ['inner.weight', 'inner.bias', 'head.weight'],
      unexpectedKeys: ['other'],
    });
    expect(Array.from(block.scale.data)).toEqual([5, 6]);
    expect(() => block.loadStateDict({ scale: zeros([3]) }, { strict: false })).toThrow(
      'Block.loadStateDict: missing keys: inner.weight, inner.bias, head.weight; shape mismatches: scale: expected [2], got [3] float32',
    );
  });

  it('train() and eval() reach every submodule', () => {
    const block = new Block();
    expect(block.training && block.drop.training).toBe(true);
    expect(block.eval()).toBe(block);
    expect(block.namedModules().every(([, m]) => !m.training)).toBe(true);
    block.train();
    expect(block.namedModules().every(([, m]) => m.training)).toBe(true);
    block.train(false);
    expect(block.inner.training).toBe(false);
  });

  it('zeroGrad clears every gradient', () => {
    const block = new Block();
    sum(block.head.forward(block.inner.forward(ones([1, 2])))).backward();
    expect(block.inner.weight.grad).not.toBeNull();
    block.zeroGrad();
    expect(block.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('rejects bad names, non-float parameters and non-leaf parameters', () => {
    class Bad extends Module {
      add(name: string, value: Tensor): void {
        this.registerParameter(name, value);
      }
    }
    const bad = new Bad();
    expect(() => bad.add('a.b', zeros([1]))).toThrow("Bad: invalid parameter or module name 'a.b'");
    expect(() => bad.add('ids', ids([1]))).toThrow('Bad: parameter ids must be a float32 Tensor');
    const derived = sum(ones([2]).requireGrad());
    expect(() => bad.add('d', derived)).toThrow('Bad: parameter d must be a leaf tensor (detach it first)');
  });
});
