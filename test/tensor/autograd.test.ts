/** The autograd engine: accumulation, detach, noGrad, errors, upstream gradients and deep graphs. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AttnError,
  NonFiniteError,
  add,
  argmax,
  cast,
  exp,
  gt,
  isGradEnabled,
  mul,
  noGrad,
  ones,
  reshape,
  setCheckFinite,
  sqrt,
  sum,
  tanh,
  tensor,
  zeros,
} from '../../src/index.js';
import { record } from '../../src/tensor/ops/common.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const values = (t: { data: ArrayLike<number> } | null) => Array.from(t!.data);

describe('autograd', () => {
  afterEach(() => setCheckFinite(false));

  it('accumulates gradients across backward() calls on separately built graphs', () => {
    const x = tensor([1, 2, 3]).requireGrad();
    sum(mul(x, 2)).backward();
    expect(values(x.grad)).toEqual([2, 2, 2]);
    sum(mul(x, x)).backward();
    expect(values(x.grad)).toEqual([4, 6, 8]);
  });

  it('adds the gradients of a tensor used several times in one graph', () => {
    const x = tensor([1, -2]).requireGrad();
    // y = x·x + 3x + x  →  dy/dx = 2x + 4
    const y = add(add(mul(x, x), mul(x, 3)), x);
    sum(y).backward();
    expect(values(x.grad)).toEqual([6, 0]);
    // A shared intermediate: h = e^x used by two branches.
    const z = tensor([0.5]).requireGrad();
    const h = exp(z);
    sum(add(mul(h, 2), mul(h, h))).backward();
    expect(z.grad!.item()).toBeCloseTo(2 * Math.exp(0.5) + 2 * Math.exp(1), 5);
  });

  it('zeroGrad clears the accumulated gradient', () => {
    const x = tensor([1, 2]).requireGrad();
    sum(mul(x, 5)).backward();
    x.zeroGrad();
    expect(x.grad).toBeNull();
    sum(mul(x, 7)).backward();
    expect(values(x.grad)).toEqual([7, 7]);
  });

  it('detach stops gradients and shares storage', () => {
    const x = tensor([2, 3]).requireGrad();
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(d.data).toBe(x.data);
    // y = stop(x)·x  →  dy/dx = x, not 2x.
    sum(mul(d, x)).backward();
    expect(values(x.grad)).toEqual([2, 3]);
    expect(d.grad).toBeNull();
    // Detaching an intermediate cuts the graph above it.
    const y = tensor([1, 1]).requireGrad();
    const cut = mul(y, 4).detach();
    expect(cut.requiresGrad).toBe(false);
    expect(() => sum(mul(cut, 2)).backward()).toThrow(/does not require gradients/);
    expect(y.grad).toBeNull();
  });

  it('only leaves that require gradients receive them; intermediates keep none', () => {
    const x = tensor([1, 2]).requireGrad();
    const c = tensor([3, 4]);
    const h = mul(x, c);
    expect(h.requiresGrad).toBe(true);
    expect(h.isLeaf).toBe(false);
    sum(h).backward();
    expect(values(x.grad)).toEqual([3, 4]);
    expect(c.grad).toBeNull();
    expect(h.grad).toBeNull();
  });

  it('integer, bool and comparison results carry no gradient', () => {
    const x = tensor([0.5, -1.5, 2]).requireGrad();
    expect(gt(x, 0).requiresGrad).toBe(false);
    expect(argmax(x).requiresGrad).toBe(false);
    expect(cast(x, 'int32').requiresGrad).toBe(false);
    expect(cast(x, 'float32')).toBe(x);
  });

  describe('noGrad', () => {
    it('records nothing and restores the previous state', () => {
      const x = tensor([1, 2]).requireGrad();
      expect(isGradEnabled()).toBe(true);
      const y = noGrad(() => {
        expect(isGradEnabled()).toBe(false);
        return mul(x, 2);
      });
      expect(y.requiresGrad).toBe(false);
      expect(y.gradFn).toBeNull();
      expect(values(y)).toEqual([2, 4]);
      expect(isGradEnabled()).toBe(true);
      expect(mul(x, 2).requiresGrad).toBe(true);
    });

    it('nests', () => {
      noGrad(() => {
        noGrad(() => expect(isGradEnabled()).toBe(false));
        expect(isGradEnabled()).toBe(false);
      });
      expect(isGradEnabled()).toBe(true);
    });

    it('is restored after an exception', () => {
      expect(() =>
        noGrad(() => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(isGradEnabled()).toBe(true);
      const x = tensor([1]).requireGrad();
      expect(mul(x, 2).requiresGrad).toBe(true);
    });
  });

  describe('backward errors', () => {
    it('a non-scalar output needs an upstream gradient', () => {
      const y = mul(tensor([1, 2, 3]).requireGrad(), 2);
      expect(() => y.backward()).toThrow(AttnError);
      expect(() => y.backward()).toThrow(/upstream gradient is needed.*\[3\]/);
    });

    it('a one-element output of any rank takes 1 as its upstream gradient', () => {
      const x = tensor([[2]]).requireGrad();
      mul(x, x).backward();
      expect(values(x.grad)).toEqual([4]);
    });

    it('a second backward through the same graph fails with the "released" error', () => {
      const x = tensor([1, 2]).requireGrad();
      const y = sum(mul(x, x));
      y.backward();
      expect(() => y.backward()).toThrow(/already been released/);
      expect(values(x.grad)).toEqual([2, 4]);
    });

    it('a backward through a part already released by another root fails too', () => {
      const x = tensor([1, 2]).requireGrad();
      const h = tanh(x);
      const a = sum(h);
      const b = sum(mul(h, 2));
      a.backward();
      expect(() => b.backward()).toThrow(/released/);
    });

    it('an output that does not require gradients cannot be back-propagated', () => {
      expect(() => sum(tensor([1, 2])).backward()).toThrow(/does not require gradients/);
    });

    it('an upstream gradient of the wrong shape or dtype is rejected', () => {
      const y = mul(tensor([1, 2]).requireGrad(), 2);
      expect(() => y.backward(tensor([1, 2, 3]))).toThrow(/does not match output \[2\]/);
      expect(() => y.backward(tensor(Int32Array.from([1, 2])))).toThrow(/int32/);
    });
  });

  it('explicit upstream gradients scale the result', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]).requireGrad();
    const y = mul(mul(x, x), 0.5);
    y.backward(
      tensor([
        [1, 0],
        [-2, 0.5],
      ]),
    );
    expect(values(x.grad)).toEqual([1, 0, -6, 2]);
    // The upstream gradient of a leaf lands in its .grad as is.
    const z = tensor([1, 2]).requireGrad();
    z.backward(tensor([3, 4]));
    expect(values(z.grad)).toEqual([3, 4]);
  });

  it('leaf gradients own their storage (not shared with each other or with the upstream gradient)', () => {
    const x = tensor([1, 2]).requireGrad();
    const y = tensor([3, 4]).requireGrad();
    const upstream = tensor([5, 6]);
    add(x, y).backward(upstream);
    expect(x.grad!.data).not.toBe(y.grad!.data);
    expect(x.grad!.data).not.toBe(upstream.data);
    // Scaling one gradient in place (as gradient clipping may) leaves the others alone.
    x.grad!.data[0] = 0;
    expect(values(y.grad)).toEqual([5, 6]);
    expect(values(upstream)).toEqual([5, 6]);
    const z = tensor([1, 2]).requireGrad();
    z.backward(upstream);
    expect(z.grad!.data).not.toBe(upstream.data);
  });

  it('a gradient handed to one leaf alone becomes its .grad without a copy; a shared one is copied', () => {
    // An op whose backward returns tensors the test holds: `fresh` to the first input only, `shared` to the
    // second and third (as add passes one gradient to both operands).
    const fresh = tensor([7, 8]);
    const shared = tensor([1, 1]);
    const threeWay = (a: Tensor, b: Tensor, c: Tensor) =>
      record('threeWay', tensor([0]), [a, b, c], () => [fresh, shared, shared]);
    const x = tensor([1, 2]).requireGrad();
    const y = tensor([3, 4]).requireGrad();
    const z = tensor([5, 6]).requireGrad();
    sum(threeWay(x, y, z)).backward();
    expect(x.grad).toBe(fresh);
    expect(y.grad!.data).not.toBe(shared.data);
    expect(z.grad!.data).not.toBe(shared.data);
    y.grad!.data[0] = 9;
    expect(values(z.grad)).toEqual([1, 1]);
    // A view of a buffer that went elsewhere too (a reshape of the shared gradient) is copied as well.
    const w = tensor([[1, 2]]).requireGrad();
    const v = tensor([3, 4]).requireGrad();
    const viaView = record('viaView', tensor([0]), [w, v], () => [reshape(shared, [1, 2]), shared]);
    sum(viaView).backward();
    expect(w.grad!.data.buffer).not.toBe(shared.data.buffer);
    expect(v.grad!.data.buffer).not.toBe(shared.data.buffer);
  });

  it('a deep chain (20,000 ops) does not overflow the stack', () => {
    const x = tensor([0.5, 1]).requireGrad();
    let y = x;
    for (let i = 0; i < 10_000; i++) y = add(mul(y, 1), i % 2 === 0 ? 1e-4 : -1e-4);
    sum(y).backward();
    expect(values(x.grad)).toEqual([1, 1]);
  });

  it('a wide graph (many uses of one leaf) accumulates every path', () => {
    const x = tensor([1]).requireGrad();
    let total = zeros([1]);
    for (let i = 0; i < 1000; i++) total = add(total, mul(x, 2));
    total.backward();
    expect(x.grad!.item()).toBe(2000);
  });

  describe('requireGrad', () => {
    it('only float32 tensors can require gradients', () => {
      expect(() => tensor(Int32Array.from([1, 2])).requireGrad()).toThrow(/only float32.*int32/);
      expect(() => tensor(Uint8Array.from([1]), { dtype: 'bool' }).requireGrad()).toThrow(/bool/);
      expect(() => tensor([1], { dtype: 'int32', requiresGrad: true })).toThrow(AttnError);
      expect(tensor(Int32Array.from([1])).requireGrad(false).requiresGrad).toBe(false);
    });

    it('only leaves can change it', () => {
      const y = mul(ones([2]).requireGrad(), 2);
      expect(() => y.requireGrad(false)).toThrow(/only leaf tensors/);
    });

    it('can be switched off on a leaf', () => {
      const x = ones([2]).requireGrad();
      x.requireGrad(false);
      expect(mul(x, 2).requiresGrad).toBe(false);
    });
  });

  it('the finite check names the op whose backward produced a non-finite gradient', () => {
    setCheckFinite(true);
    const x = tensor([0, 1]).requireGrad();
    // d√x/dx = 1/(2√x) is infinite at 0.
    expect(() => sum(sqrt(x)).backward()).toThrow(NonFiniteError);
    const y = tensor([0, 1]).requireGrad();
    try {
      sum(sqrt(y)).backward();
      expect.fail('expected a NonFiniteError');
    } catch (e) {
      expect((e as Error).message).toMatch(/sqrt \(backward\)/);
    }
  });
});
