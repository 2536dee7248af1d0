/**
 * tidy(fn): the storage of the tensors fn made goes back to the pool when it returns, except what its result
 * holds. Released tensors must fail loudly when used; kept ones, gradients and parameters must be untouched;
 * training inside tidy must give the same bits as without it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AdamW,
  AttnError,
  crossEntropy,
  linear,
  manualSeed,
  matmul,
  randn,
  relu,
  sum,
  tanh,
  Tensor,
  tidy,
} from '../../src/index.js';
import {
  pooledStorageBytes,
  resetStoragePoolStats,
  setDetachReleasedStorage,
  storagePoolStats,
  setStoragePoolLimit,
  uninitialisedFloats,
} from '../../src/tensor/storage.js';

const DEFAULT_LIMIT = 256 * 1024 * 1024;
afterEach(() => setStoragePoolLimit(DEFAULT_LIMIT));

const copy = (t: Tensor): Float32Array => Float32Array.from(t.data as Float32Array);

describe('tidy', () => {
  it('releases what fn made and did not return; a released tensor fails loudly when used', () => {
    manualSeed(1);
    const x = randn([16, 32]);
    let leaked: Tensor | null = null;
    const before = pooledStorageBytes();
    const kept = tidy(() => {
      leaked = tanh(x);
      return relu(leaked);
    });
    expect(pooledStorageBytes()).toBeGreaterThan(before);
    expect(kept.data.length).toBe(16 * 32);
    expect(copy(kept)).toEqual(copy(relu(tanh(x))));
    const stale = leaked as unknown as Tensor;
    expect(stale.data.length).toBe(0);
    expect(() => relu(stale)).toThrow(AttnError);
    expect(() => relu(stale)).toThrow(/relu: .*made inside a tidy\(\) that has returned/);
    expect(() => stale.toArray()).toThrow(/tidy/);
    // The input, made before the scope, is untouched.
    expect(x.data.length).toBe(16 * 32);
  });

  it('without detaching (the default outside tests), a released tensor still fails, even once its storage is reused', () => {
    setDetachReleasedStorage(false);
    try {
      manualSeed(1);
      const x = randn([16, 32]);
      let leaked: Tensor | null = null;
      const kept = tidy(() => {
        leaked = tanh(x);
        return relu(leaked);
      });
      const stale = leaked as unknown as Tensor;
      // The storage is not detached: it is pooled, and the next product of that size takes it.
      expect(stale.data.length).toBe(16 * 32);
      const reused = tanh(kept);
      expect(reused.data.buffer).toBe(stale.data.buffer);
      expect(() => relu(stale)).toThrow(/relu: .*made inside a tidy\(\) that has returned/);
      expect(() => stale.item()).toThrow(/tidy/);
      expect(() => stale.toArray()).toThrow(/tidy/);
      // A tensor made on the reused storage, and the kept one, are live.
      expect(() => relu(reused)).not.toThrow();
      expect(copy(kept)).toEqual(copy(relu(tanh(x))));
    } finally {
      setDetachReleasedStorage(true);
    }
  });

  it("releases a backward's scratch too: a repeated step allocates nothing new", () => {
    manualSeed(3);
    // A broadcast matmul (x shared by three weight blocks) makes x's gradient as three per-block products and
    // sums them: scratch that no tensor holds once the pass is over.
    const x = randn([16, 32]).requireGrad();
    const w = randn([3, 40, 32]).requireGrad();
    const step = () =>
      tidy(() => {
        x.zeroGrad();
        w.zeroGrad();
        sum(tanh(matmul(x, w, { transB: true }))).backward();
      });
    // The second step's gradients are allocated while the first step's are still held; from the third on,
    // every request is served by the pool.
    step();
    step();
    resetStoragePoolStats();
    step();
    step();
    expect(storagePoolStats().misses).toBe(0);
    expect(w.grad!.shape).toEqual([3, 40, 32]);
  });

  it('keeps tensors in arrays, maps and plain objects of the result', () => {
    manualSeed(2);
    const x = randn([8, 8]);
    const out = tidy(() => ({ a: [tanh(x)], b: new Map([['r', relu(x)]]), c: { d: x.mul(2) } }));
    expect(copy(out.a[0]!)).toEqual(copy(tanh(x)));
    expect(copy(out.b.get('r')!)).toEqual(copy(relu(x)));
    expect(copy(out.c.d)).toEqual(copy(x.mul(2)));
  });

  it('hands released storage to the next allocation of the same size', () => {
    tidy(() => {
      tanh(randn([64, 64]));
    });
    const pooled = pooledStorageBytes();
    expect(pooled).toBeGreaterThanOrEqual(64 * 64 * 4);
    uninitialisedFloats(64 * 64);
    expect(pooledStorageBytes()).toBe(pooled - 64 * 64 * 4);
  });

  it('leaves gradients that backward stored in leaves intact', () => {
    manualSeed(3);
    const w = randn([32, 32]).requireGrad();
    const x = randn([8, 32]);
    tidy(() => {
      sum(tanh(linear(x, w))).backward();
    });
    const grad = copy(w.grad!);
    // Allocations of every size the scope released; none may land on w.grad.
    for (let i = 0; i < 8; i++) for (const n of [8 * 32, 32 * 32]) uninitialisedFloats(n).fill(1e6);
    expect(copy(w.grad!)).toEqual(grad);
    w.grad = null;
    sum(tanh(linear(x, w))).backward();
    expect(copy(w.grad!)).toEqual(grad);
  });

  it('releases a gradient that zeroGrad clears inside it, and only one that backward made', () => {
    manualSeed(8);
    const w = randn([64, 64]).requireGrad();
    const x = randn([16, 64]);
    const loss = (): Tensor => sum(tanh(linear(x, w)));
    // Outside a scope, zeroGrad only drops the reference (PyTorch's set_to_none): the old tensor stays valid.
    loss().backward();
    const outside = w.grad!;
    const values = copy(outside);
    w.zeroGrad();
    uninitialisedFloats(64 * 64).fill(1e6);
    expect(copy(outside)).toEqual(values);
    // Inside, the cleared gradient's storage goes to the pool, and the next backward reuses it.
    loss().backward();
    const old = w.grad!;
    const opt = new AdamW([w], { lr: 0.01 });
    const before = pooledStorageBytes();
    tidy(() => opt.zeroGrad());
    expect(pooledStorageBytes()).toBe(before + 64 * 64 * 4);
    expect(old.data.length).toBe(0);
    expect(() => old.toArray()).toThrow(/tidy/);
    loss().backward();
    expect(copy(w.grad!)).toEqual(values);
    // Returned from the scope: kept. Set by the caller: never released.
    const returned = tidy(() => {
      const g = w.grad!;
      w.zeroGrad();
      return g;
    });
    expect(copy(returned)).toEqual(values);
    const own = randn([64, 64]);
    w.grad = own;
    tidy(() => w.zeroGrad());
    expect(own.data.length).toBe(64 * 64);
  });

  it('releases nothing when the result still carries a graph, so backward outside works', () => {
    manualSeed(4);
    const w = randn([24, 24]).requireGrad();
    const x = randn([6, 24]);
    const y = tidy(() => tanh(relu(linear(x, w))));
    for (let i = 0; i < 8; i++) uninitialisedFloats(6 * 24).fill(1e6);
    sum(y).backward();
    const grad = copy(w.grad!);
    w.grad = null;
    sum(tanh(relu(linear(x, w)))).backward();
    expect(grad).toEqual(copy(w.grad!));
  });

  it('passes what an inner tidy returns to the outer one, which releases it unless returned', () => {
    manualSeed(5);
    const x = randn([16, 16]);
    let inner: Tensor | null = null;
    const outer = tidy(() => {
      inner = tidy(() => tanh(relu(x)));
      expect((inner as Tensor).data.length).toBe(256);
      return (inner as Tensor).mul(3);
    });
    expect((inner as unknown as Tensor).data.length).toBe(0);
    expect(copy(outer)).toEqual(copy(tanh(relu(x)).mul(3)));
  });

  it('refuses an async callback and releases nothing', async () => {
    manualSeed(8);
    const x = randn([16, 16]);
    let made: Tensor | null = null;
    const fn = async (): Promise<Tensor> => {
      made = tanh(x);
      await Promise.resolve();
      return made;
    };
    expect(() => tidy(fn)).toThrow(/tidy: fn must be synchronous/);
    await Promise.resolve();
    expect(copy(made as unknown as Tensor)).toEqual(copy(tanh(x)));
  });

  it('releases nothing when fn throws', () => {
    manualSeed(6);
    const x = randn([16, 16]);
    let made: Tensor | null = null;
    expect(() =>
      tidy(() => {
        made = tanh(x);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(copy(made as unknown as Tensor)).toEqual(copy(tanh(x)));
  });

  it('trains to the same bits as steps without it, and keeps the optimiser state', () => {
    const run = (scoped: boolean): Float32Array[] => {
      manualSeed(7);
      const w1 = randn([48, 40]).mul(0.2).requireGrad();
      const b1 = randn([48]).mul(0.1).requireGrad();
      const w2 = randn([5, 48]).mul(0.2).requireGrad();
      const x = randn([96, 40]);
      const labels = new Tensor(
        Int32Array.from({ length: 96 }, (_, i) => i % 5),
        [96],
        'int32',
      );
      const opt = new AdamW([w1, b1, w2], { lr: 0.01 });
      const step = (): void => {
        opt.zeroGrad();
        crossEntropy(linear(relu(linear(x, w1, b1)), w2), labels).backward();
        opt.step();
      };
      for (let i = 0; i < 4; i++) {
        if (scoped) tidy(step);
        else step();
      }
      return [w1, b1, w2].map(copy);
    };
    expect(run(true)).toEqual(run(false));
  });
});
