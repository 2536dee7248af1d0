/** Reading any saved tokenizer back: dispatches on the saved `type`. */
import { fail } from '../tensor/errors.js';
import { BpeTokenizer } from './bpe-tokenizer.js';
import { CharTokenizer } from './char-tokenizer.js';
import { expectRecord, parseJSONInput } from './json-fields.js';
import type { Tokenizer } from './tokenizer.js';
import { WordTokenizer } from './word-tokenizer.js';

/** A tokenizer from what its `toJSON()` wrote (an object or its JSON text). */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  const op = 'tokenizerFromJSON';
  const obj = expectRecord(op, parseJSONInput(op, json), 'tokenizer');
  switch (obj.type) {
    case 'word':
      return WordTokenizer.fromJSON(obj);
    case 'char':
      return CharTokenizer.fromJSON(obj);
    case 'bpe':
      return BpeTokenizer.fromJSON(obj);
    default:
      return fail(op, `type must be "word", "char" or "bpe", got ${JSON.stringify(obj.type ?? null)}`);
  }
}
