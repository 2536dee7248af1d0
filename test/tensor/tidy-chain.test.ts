/**
 * TidyChain: a loop's steps, each in a storage scope that also releases what earlier steps returned once a later
 * step's result no longer holds it. What the steps hand on must stay intact; what they superseded must be
 * released (and fail loudly if used); storage made before the chain must never be released.
 */
import { describe, expect, it } from 'vitest';
import { AttnError, manualSeed, randn, relu, tanh, Tensor, TidyChain } from '../../src/index.js';
import { storagePoolStats, resetStoragePoolStats } from '../../src/tensor/storage.js';

const copy = (t: Tensor): Float32Array => Float32Array.from(t.data as Float32Array);

describe('TidyChain', () => {
  it('releases the state a step superseded and keeps the one it returned', () => {
    manualSeed(3);
    const input = randn([32, 32]);
    const chain = new TidyChain();
    const first = chain.step(() => ({ state: tanh(input) }));
    const firstCopy = copy(first.state);
    const second = chain.step(() => ({ state: relu(first.state) }));
    // The step read the old state before the chain released it.
    expect(copy(second.state)).toEqual(copy(relu(tanh(input))));
    expect(firstCopy).toEqual(copy(tanh(input)));
    expect(first.state.data.length).toBe(0);
    expect(() => relu(first.state)).toThrow(AttnError);
    expect(() => relu(first.state)).toThrow(/tidy/);
    // Storage made before the chain is never released, even when a step stops returning it.
    chain.step(() => ({ state: input.mul(2) }));
    expect(input.data.length).toBe(32 * 32);
  });

  it('keeps what a step returns again, and what finish is given', () => {
    manualSeed(4);
    const x = randn([32, 32]);
    const chain = new TidyChain();
    const kept: Tensor[] = [];
    let state = chain.step(() => tanh(x));
    for (let i = 0; i < 3; i++) {
      state = chain.step(() => {
        kept.push(relu(state));
        return { state: tanh(state), kept };
      }).state;
    }
    const result = chain.finish({ kept });
    expect(result.kept.every((t) => t.data.length === 32 * 32)).toBe(true);
    // The last state was not in finish's result: released.
    expect(state.data.length).toBe(0);
  });

  it('recycles: a long chain asks the pool for no more new storage than a short one', () => {
    manualSeed(5);
    const x = randn([64, 64]);
    const misses = (steps: number) => {
      resetStoragePoolStats();
      const chain = new TidyChain();
      let state = chain.step(() => tanh(x));
      for (let i = 0; i < steps; i++) state = chain.step(() => relu(tanh(state)));
      chain.finish(null);
      return storagePoolStats().misses;
    };
    misses(4);
    expect(misses(40)).toBeLessThanOrEqual(misses(4));
  });

  it('releases nothing more after a step that throws', () => {
    manualSeed(6);
    const x = randn([32, 32]);
    const chain = new TidyChain();
    const first = chain.step(() => tanh(x));
    expect(() =>
      chain.step(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    const next = chain.step(() => relu(first));
    chain.finish(null);
    expect(first.data.length).toBe(32 * 32);
    expect(next.data.length).toBe(32 * 32);
  });

  it('rejects an async step', () => {
    const chain = new TidyChain();
    expect(() => chain.step(() => Promise.resolve(1))).toThrow(/synchronous/);
  });
});
