/**
 * Seeded train/dev/test splits: the items are shuffled with a `Generator` (so a seed fixes the split), then cut
 * into train, dev and test, by fractions or by counts.
 */
import { fail } from '../tensor/errors.js';
import { defaultGenerator, Generator } from '../tensor/random.js';

export interface SplitSizes {
  train?: number;
  dev?: number;
  test?: number;
}

export interface SplitOptions {
  /**
   * Fractions of the items for each part, summing to at most 1. dev and test are rounded to whole items;
   * train, when left out, takes all the rest.
   */
  fractions?: SplitSizes;
  /** Numbers of items for each part, summing to at most the number of items; train defaults to the rest. */
  counts?: SplitSizes;
  /** Shuffle with this generator (its state advances). */
  generator?: Generator;
  /** Shuffle with a fresh generator seeded with this. Without generator or seed: the default generator. */
  seed?: number;
  /** Shuffle before cutting. Default true; false keeps the input order. */
  shuffle?: boolean;
}

export interface Split<T> {
  train: T[];
  dev: T[];
  test: T[];
}

export function splitDataset<T>(items: readonly T[], options: SplitOptions): Split<T> {
  const op = 'splitDataset';
  const n = items.length;
  if ((options.fractions === undefined) === (options.counts === undefined)) {
    fail(op, 'give exactly one of fractions and counts');
  }
  const parts = ['train', 'dev', 'test'] as const;
  const sizes = { train: 0, dev: 0, test: 0 };
  if (options.fractions) {
    const f = options.fractions;
    for (const p of parts) {
      const v = f[p];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v <= 1)) {
        fail(op, `fractions.${p} must be in [0, 1], got ${v}`);
      }
    }
    const total = (f.train ?? 0) + (f.dev ?? 0) + (f.test ?? 0);
    if (total > 1 + 1e-9) fail(op, `fractions must sum to at most 1, got ${total}`);
    sizes.dev = Math.round((f.dev ?? 0) * n);
    sizes.test = Math.min(Math.round((f.test ?? 0) * n), n - sizes.dev);
    const rest = n - sizes.dev - sizes.test;
    sizes.train = f.train === undefined ? rest : Math.min(Math.round(f.train * n), rest);
  } else {
    const c = options.counts!;
    for (const p of parts) {
      const v = c[p];
      if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
        fail(op, `counts.${p} must be a non-negative integer, got ${v}`);
      }
    }
    const total = (c.train ?? 0) + (c.dev ?? 0) + (c.test ?? 0);
    if (total > n) fail(op, `counts sum to ${total}, more than the ${n} items`);
    sizes.dev = c.dev ?? 0;
    sizes.test = c.test ?? 0;
    sizes.train = c.train ?? n - sizes.dev - sizes.test;
  }
  let order: ArrayLike<number>;
  if (options.shuffle === false) order = Array.from({ length: n }, (_, i) => i);
  else {
    const g =
      options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : defaultGenerator());
    order = g.permutation(n);
  }
  const pick = (start: number, count: number): T[] =>
    Array.from({ length: count }, (_, i) => items[order[start + i]!]!);
  return {
    train: pick(0, sizes.train),
    dev: pick(sizes.train, sizes.dev),
    test: pick(sizes.train + sizes.dev, sizes.test),
  };
}
