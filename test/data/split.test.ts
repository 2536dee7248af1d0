import { describe, expect, it } from 'vitest';
import { splitDataset } from '../../src/data/split.js';
import { Generator } from '../../src/tensor/random.js';

const items = Array.from({ length: 100 }, (_, i) => i);

describe('splitDataset', () => {
  it('splits by fractions, train taking the rest, every item exactly once', () => {
    const s = splitDataset(items, { fractions: { dev: 0.1, test: 0.15 }, seed: 3 });
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([75, 10, 15]);
    expect([...s.train, ...s.dev, ...s.test].sort((a, b) => a - b)).toEqual(items);
    expect(s.train.slice(0, 10)).not.toEqual(items.slice(0, 10));
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = splitDataset(items, { fractions: { dev: 0.2, test: 0.2 }, seed: 7 });
    const b = splitDataset(items, { fractions: { dev: 0.2, test: 0.2 }, seed: 7 });
    const c = splitDataset(items, { fractions: { dev: 0.2, test: 0.2 }, seed: 8 });
    expect(b).toEqual(a);
    expect(c.dev).not.toEqual(a.dev);
    const g1 = new Generator(7);
    expect(splitDataset(items, { fractions: { dev: 0.2, test: 0.2 }, generator: g1 })).toEqual(a);
  });

  it('splits by counts, and keeps order without shuffling', () => {
    const s = splitDataset(items, { counts: { train: 50, dev: 5, test: 5 }, shuffle: false });
    expect(s.train).toEqual(items.slice(0, 50));
    expect(s.dev).toEqual([50, 51, 52, 53, 54]);
    expect(s.test).toEqual([55, 56, 57, 58, 59]);
    expect(splitDataset(items, { counts: { test: 30 }, seed: 1 }).train).toHaveLength(70);
  });

  it('honours an explicit train fraction below the rest', () => {
    const s = splitDataset(items, { fractions: { train: 0.5, dev: 0.1, test: 0.1 }, seed: 1 });
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([50, 10, 10]);
  });

  it('rejects bad sizes', () => {
    expect(() => splitDataset(items, { fractions: { dev: 0.6, test: 0.6 } })).toThrow(
      'splitDataset: fractions must sum to at most 1, got 1.2',
    );
    expect(() => splitDataset(items, { counts: { dev: 60, test: 60 } })).toThrow(/more than the 100 items/);
    expect(() => splitDataset(items, { counts: { dev: 1.5 } })).toThrow(
      /counts\.dev must be a non-negative integer/,
    );
    expect(() => splitDataset(items, {})).toThrow(/exactly one of fractions and counts/);
  });
});
