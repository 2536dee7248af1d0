/**
 * The storage policy of one backward pass, kept apart from the algorithm in autograd.ts: which gradient buffers
 * a leaf may adopt as its `.grad` without a copy, which sums may be added into in place, and which buffers are
 * dead and go back to the storage pool for the next allocation of their size. None of it changes a value; it
 * decides only where values live.
 *
 * Buffers are keyed by their ArrayBuffer, so views of one buffer (a reshape of g, slices) count as one.
 */
import { getBackend } from '../backend/registry.js';
import { shapesEqual, stridesOf } from './shape.js';
import { addToStorageScope, isWholeStorage, markGradStorage, recycle, trackBirths } from './storage.js';
import type { Tensor } from './tensor.js';

export class GradientBuffers {
  /**
   * How many times each buffer has been handed on in this pass. A leaf whose gradient buffer went out exactly
   * once (a fresh result of some backward, seen by nothing else) takes it as its .grad; any other is copied.
   * The caller's upstream buffer never counts as ours.
   */
  private readonly handedOut: Map<ArrayBufferLike, number>;
  /**
   * Gradients still waiting for a consumer, per buffer (views counted apart). A buffer made in this pass (born)
   * whose count falls to 0 is dead: every backward that received it has returned, it went into a sum or a leaf's
   * copy, and no leaf adopted it.
   */
  private readonly pending = new Map<ArrayBufferLike, number>();
  private readonly born = new Set<ArrayBufferLike>();
  /**
   * Sums made here belong to the engine alone, so the next contribution can be added into them in place: a
   * tensor used at every step of a recurrence (a weight, the encoder outputs) then costs one buffer, not one per
   * step. The first contribution is never written to (a backward may hand the same tensor to two inputs).
   */
  private readonly owned = new Set<Tensor>();

  constructor(
    upstream: Tensor,
    private readonly accumulate: (a: Tensor, b: Tensor) => Tensor,
  ) {
    this.handedOut = new Map([[upstream.data.buffer, Infinity]]);
  }

  /**
   * Runs the pass with every buffer allocated during it recorded as born here (see storage.ts). What is still
   * born here when it ends (a backward's scratch that it never handed on, such as the per-operand products of a
   * broadcast matmul before their sum, or a gradient for an input that needs none) goes to the enclosing storage
   * scope, which releases it when it ends, as it does the forward pass's storage; without one, to the collector.
   */
  track(pass: () => void): void {
    const previousBirths = trackBirths(this.born);
    try {
      pass();
    } finally {
      trackBirths(previousBirths);
      addToStorageScope(this.born);
    }
  }

  /** A backward returned `g` for some input: one more holder of its buffer. */
  handOut(g: Tensor): void {
    const b = g.data.buffer;
    this.handedOut.set(b, (this.handedOut.get(b) ?? 0) + 1);
    this.pending.set(b, (this.pending.get(b) ?? 0) + 1);
  }

  /** `g` is about to be passed to a backward, which may pass it on: no longer written in place. */
  passOn(g: Tensor): void {
    this.owned.delete(g);
  }

  /** previous + next, in place into previous where the engine owns it. */
  sum(previous: Tensor, next: Tensor): Tensor {
    if (
      this.owned.has(previous) &&
      previous.dtype === 'float32' &&
      next.dtype === 'float32' &&
      previous.data !== next.data &&
      shapesEqual(previous.shape, next.shape)
    ) {
      const strides = stridesOf(previous.shape);
      const p = previous.data as Float32Array;
      getBackend().binary({
        op: 'add',
        a: p,
        aStrides: strides,
        b: next.data as Float32Array,
        bStrides: strides,
        out: p,
        shape: previous.shape,
      });
      this.consumed(next);
      return previous;
    }
    const result = this.accumulate(previous, next);
    this.owned.add(result);
    this.handOut(result);
    this.consumed(previous);
    this.consumed(next);
    return result;
  }

  /**
   * Stores g into a leaf's .grad, which must own its storage: a first gradient is adopted when this pass made
   * it and handed it here alone (saving a copy of every parameter's gradient per training step), else copied
   * (g may be the caller's upstream tensor, or the very tensor handed to another leaf: add passes g through to
   * both operands); a later one is accumulated.
   */
  storeLeafGrad(leaf: Tensor, g: Tensor): void {
    if (!leaf.grad && this.ownsWhole(leaf, g)) {
      leaf.grad = g;
      this.born.delete(g.data.buffer);
      markGradStorage(g.data.buffer);
      return;
    }
    leaf.grad = leaf.grad ? this.accumulate(leaf.grad, g) : g.clone();
    // A sum made in this pass now belongs to the leaf.
    this.born.delete(leaf.grad.data.buffer);
    markGradStorage(leaf.grad.data.buffer);
    this.consumed(g);
  }

  /**
   * A backward has returned. If it keeps no reference to its gradient argument (`releasesGrad`), that buffer
   * has one holder less; otherwise it is kept alive for good.
   */
  backwardDone(g: Tensor, releasesGrad: boolean): void {
    if (releasesGrad) this.consumed(g);
    else this.born.delete(g.data.buffer);
  }

  private consumed(t: Tensor): void {
    const b = t.data.buffer;
    const left = (this.pending.get(b) ?? 0) - 1;
    this.pending.set(b, left);
    if (left !== 0 || !this.born.delete(b)) return;
    this.handedOut.delete(b);
    this.pending.delete(b);
    recycle(b);
  }

  private ownsWhole(leaf: Tensor, g: Tensor): boolean {
    return (
      this.handedOut.get(g.data.buffer) === 1 &&
      isWholeStorage(g.data) &&
      g.data.buffer !== leaf.data.buffer &&
      g.dtype === leaf.dtype &&
      g.gradFn === null
    );
  }
}
