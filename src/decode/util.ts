import { fail } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { slice, squeeze } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { DecodeOptions } from './stepper.js';

/** The options each search takes, so that one meant for another search is named as such. */
export const DECODE_OPTIONS = {
  greedyDecode: ['sos', 'eos', 'maxLength'],
  beamSearch: ['sos', 'eos', 'maxLength', 'beamSize', 'lengthPenalty', 'nBest'],
  sampleDecode: ['sos', 'eos', 'maxLength', 'temperature', 'topK', 'topP', 'seed', 'generator'],
} as const;

export type DecodeStrategy = keyof typeof DECODE_OPTIONS;

/**
 * Checks the options every search takes (sos, eos) and that `options` holds no key the search `op` does not take
 * (one left undefined is as if absent): an unknown key, or one of another search (topP with beam search), is an
 * error naming it and the allowed keys, never silently ignored.
 */
export function checkDecodeOptions(op: DecodeStrategy, options: DecodeOptions): void {
  if (typeof options !== 'object' || options === null)
    fail(op, `options must be an object, got ${String(options)}`);
  const allowed: readonly string[] = DECODE_OPTIONS[op];
  for (const [key, value] of Object.entries(options)) {
    if (allowed.includes(key) || value === undefined) continue;
    const owner = (Object.keys(DECODE_OPTIONS) as DecodeStrategy[]).find((s) =>
      (DECODE_OPTIONS[s] as readonly string[]).includes(key),
    );
    fail(
      op,
      `${owner ? `option '${key}' applies only to ${owner}` : `unknown option '${key}'`}; ${op} takes ${allowed.join(', ')}`,
    );
  }
  for (const key of ['sos', 'eos'] as const) {
    const v = options[key];
    if (!Number.isInteger(v) || v < 0) fail(op, `${key} must be a non-negative integer, got ${v}`);
  }
}

/**
 * Each source's bound on generated tokens, from `maxLength` (one for all, or one per source): an error naming
 * `op` unless every bound is a non-negative integer and a list has one per source.
 */
export function perSource(
  op: string,
  name: string,
  value: number | readonly number[],
  batch: number,
): number[] {
  const values = typeof value === 'number' ? new Array<number>(batch).fill(value) : [...value];
  if (values.length !== batch)
    fail(op, `${name} must be a number or one per source (${batch}), got a list of ${values.length}`);
  for (const v of values)
    if (!Number.isInteger(v) || v < 0) fail(op, `${name} must be a non-negative integer, got ${v}`);
  return values;
}

/** Checks a step's log-probabilities are [rows, vocab] and returns vocab. */
export function checkLogProbs(op: string, logProbs: Tensor, rows: number): number {
  if (logProbs.ndim !== 2 || logProbs.shape[0] !== rows || logProbs.dtype !== 'float32') {
    fail(
      op,
      `the decoder step returned log-probabilities ${logProbs.dtype} ${formatShape(logProbs.shape)}, expected float32 [${rows}, vocab]`,
    );
  }
  return logProbs.shape[1]!;
}

/** The attention of one row: the tensor sliced at `row` along `axis`, that axis removed. */
export function attentionRow(attention: Tensor, row: number, axis: number): Tensor {
  return squeeze(slice(attention, axis, row, row + 1), axis);
}
