/**
 * Character-level tokenizer: every Unicode code point of the normalised text is a token, spaces included.
 * With the default NFD normal form an accented letter is two tokens (the letter and its combining mark); choose
 * `unicode: 'NFC'` to keep it one, or `stripAccents` to drop the mark. Unlike the other tokenizers it leaves
 * punctuation unspaced by default (`spacePunctuation: false`): spaces would only add tokens.
 */
import { fail } from '../tensor/errors.js';
import { createNormalizer, type TextNormalizeOptions } from './normalize.js';
import { Vocabulary, type VocabularyOptions } from './vocabulary.js';
import { VocabularyTokenizer, vocabularyTokenizerFromJSON } from './vocabulary-tokenizer.js';

const CHAR_DEFAULTS: TextNormalizeOptions = { spacePunctuation: false };

export interface CharTokenizerTrainOptions extends VocabularyOptions {
  normalize?: TextNormalizeOptions;
}

export class CharTokenizer extends VocabularyTokenizer {
  readonly type = 'char' as const;

  constructor(vocabulary: Vocabulary, normalize: TextNormalizeOptions = {}) {
    super(vocabulary, { ...CHAR_DEFAULTS, ...normalize }, '');
  }

  /** A tokenizer whose vocabulary holds the characters of `texts`. */
  static train(texts: Iterable<string>, options: CharTokenizerTrainOptions = {}): CharTokenizer {
    const normalize = createNormalizer({ ...CHAR_DEFAULTS, ...options.normalize });
    const split = (function* () {
      for (const text of texts) yield Array.from(normalize(text));
    })();
    return new CharTokenizer(Vocabulary.build(split, options), options.normalize);
  }

  /** A tokenizer over a fixed alphabet (each string one character), in the order given. */
  static fromAlphabet(alphabet: Iterable<string>, normalize: TextNormalizeOptions = {}): CharTokenizer {
    const chars = [...alphabet];
    for (const c of chars) {
      if (Array.from(c).length !== 1) {
        fail('CharTokenizer.fromAlphabet', `each entry must be one character, got ${JSON.stringify(c)}`);
      }
    }
    return new CharTokenizer(Vocabulary.fromTokens(chars), normalize);
  }

  tokens(text: string): string[] {
    return Array.from(this.normalize(text));
  }

  static fromJSON(json: unknown): CharTokenizer {
    const { vocabulary, normalize } = vocabularyTokenizerFromJSON('CharTokenizer.fromJSON', json, 'char');
    return new CharTokenizer(vocabulary, normalize);
  }
}
