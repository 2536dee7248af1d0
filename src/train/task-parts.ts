/**
 * What the task adapters share: the check of their options' names, an epoch's counted training batches and the
 * lookup of an evaluation split.
 */
import { planBatches, type BatchingOptions } from '../data/batching.js';
import { fail } from '../tensor/errors.js';
import { Generator } from '../tensor/random.js';
import type { TrainBatches } from './task.js';

/**
 * An epoch's training batches with their count. The count comes from planBatches run on a copy of `generator`
 * (bucketBatches plans with the same draws); `batches(generator)` then makes the batches themselves.
 */
export function countedBatches<B>(
  lengths: readonly (number | readonly number[])[],
  batching: Omit<BatchingOptions, 'generator' | 'seed'>,
  generator: Generator,
  batches: (generator: Generator) => Iterator<B>,
): TrainBatches<B> {
  const copy = new Generator();
  copy.setState(generator.getState());
  const length = planBatches(lengths, { ...batching, generator: copy }).length;
  const iterator = batches(generator);
  return { length, [Symbol.iterator]: () => iterator };
}

/** The examples of the split named `split`, or an error (naming `op` and the splits there are) if none or empty. */
export function evaluationSplit<E>(
  op: string,
  splits: Record<string, readonly E[]> | undefined,
  split: string,
): readonly E[] {
  const examples = splits?.[split];
  if (examples === undefined) {
    fail(op, `no split '${split}' to evaluate (splits: ${Object.keys(splits ?? {}).join(', ') || 'none'})`);
  }
  if (examples.length === 0) fail(op, `split '${split}' is empty`);
  return examples;
}

/**
 * Fails, naming `op`, on a key of `options` that is not in `allowed`: a misspelt or retired option would
 * otherwise be ignored without a word.
 */
export function checkOptionKeys(op: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) fail(op, `unknown option '${key}' (the options are ${allowed.join(', ')})`);
  }
}
