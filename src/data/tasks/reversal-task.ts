/**
 * Sequence reversal, a built-in task that needs no download: random sequences of symbols → the same symbols in
 * reverse order. Easy for attention (output step t attends to input T−1−t), hard for a plain encoder–decoder
 * without it, which makes it the classic first check that attention works.
 */
import { fail } from '../../tensor/errors.js';
import { defaultGenerator, Generator } from '../../tensor/random.js';
import { CharTokenizer } from '../char-tokenizer.js';
import { IDENTITY_NORMALIZATION } from '../normalize.js';
import type { SentencePair } from '../pairs.js';
import type { Tokenizer } from '../tokenizer.js';
import { Vocabulary } from '../vocabulary.js';
import { WordTokenizer } from '../word-tokenizer.js';

export interface ReversalTaskOptions {
  count: number;
  seed?: number;
  generator?: Generator;
  /** Shortest sequence (tokens). Default 3. */
  minLength?: number;
  /** Longest sequence (tokens). Default 10. */
  maxLength?: number;
  /** How many distinct symbols to draw from (the first of `symbols`). Default 10. */
  vocabSize?: number;
  /** The symbols. Default 'a'..'z'. */
  symbols?: readonly string[];
  /**
   * `'word'` (the default): symbols separated by spaces, a word-level tokenizer; `'char'`: symbols written
   * together (each must be one character), a character-level tokenizer.
   */
  level?: 'word' | 'char';
}

export interface ReversalTask {
  pairs: SentencePair[];
  /** The tokenizer of sources and targets alike (the same object). */
  sourceTokenizer: Tokenizer;
  targetTokenizer: Tokenizer;
}

const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];

export function reversalTask(options: ReversalTaskOptions): ReversalTask {
  const op = 'reversalTask';
  const { count } = options;
  if (!(Number.isInteger(count) && count >= 0))
    fail(op, `count must be a non-negative integer, got ${count}`);
  const minLength = options.minLength ?? 3;
  const maxLength = options.maxLength ?? 10;
  if (!(
    Number.isInteger(minLength) &&
    Number.isInteger(maxLength) &&
    minLength >= 1 &&
    maxLength >= minLength
  )) {
    fail(op, `need integers 1 <= minLength <= maxLength, got ${minLength} and ${maxLength}`);
  }
  const all = options.symbols ?? LETTERS;
  const vocabSize = options.vocabSize ?? Math.min(10, all.length);
  if (!(Number.isInteger(vocabSize) && vocabSize >= 1 && vocabSize <= all.length)) {
    fail(op, `vocabSize must be an integer in [1, ${all.length}] (the symbols), got ${vocabSize}`);
  }
  const symbols = all.slice(0, vocabSize);
  const level = options.level ?? 'word';
  if (level !== 'word' && level !== 'char') fail(op, `level must be 'word' or 'char', got ${String(level)}`);
  if (new Set(symbols).size !== symbols.length) fail(op, 'symbols must be distinct');
  for (const s of symbols) {
    if (s.length === 0 || /\s/u.test(s))
      fail(op, `symbols must be non-empty without spaces, got ${JSON.stringify(s)}`);
    if (level === 'char' && Array.from(s).length !== 1) {
      fail(op, `level 'char' needs one-character symbols, got ${JSON.stringify(s)}`);
    }
  }
  const g =
    options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : defaultGenerator());
  const join = level === 'word' ? ' ' : '';
  const pairs: SentencePair[] = [];
  for (let i = 0; i < count; i++) {
    const length = g.randint(minLength, maxLength + 1);
    const seq = Array.from({ length }, () => symbols[g.randint(0, symbols.length)]!);
    pairs.push({ source: seq.join(join), target: [...seq].reverse().join(join) });
  }
  const tokenizer =
    level === 'word'
      ? new WordTokenizer(Vocabulary.fromTokens(symbols), IDENTITY_NORMALIZATION)
      : CharTokenizer.fromAlphabet(symbols, IDENTITY_NORMALIZATION);
  return { pairs, sourceTokenizer: tokenizer, targetTokenizer: tokenizer };
}
