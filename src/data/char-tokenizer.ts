/**
 * Character-level tokenizer: every Unicode code point of the normalised text is a token, spaces included.
 * With the default NFD normal form an accented letter is two tokens (the letter and its combining mark); choose
 * `unicode: 'NFC'` to keep it one, or `stripAccents` to drop the mark. Unlike the other tokenizers it leaves
 * punctuation unspaced by default (`spacePunctuation: false`): spaces would only add tokens.
 */
import { fail } from '../tensor/errors.js';
import { expectRecord, parseJSONInput } from './json-fields.js';
import {
  createNormalizer,
  normalizeOptionsFromJSON,
  resolveNormalizeOptions,
  type TextNormalizeOptions,
  type ResolvedTextNormalizeOptions,
} from './normalize.js';
import {
  tokensForDecoding,
  withSpecials,
  type TokenizerDecodeOptions,
  type TokenizerEncodeOptions,
  type Tokenizer,
  type TokenizerJSON,
} from './tokenizer.js';
import { Vocabulary, type VocabularyOptions } from './vocabulary.js';

const CHAR_DEFAULTS: TextNormalizeOptions = { spacePunctuation: false };

export interface CharTokenizerTrainOptions extends VocabularyOptions {
  normalize?: TextNormalizeOptions;
}

export class CharTokenizer implements Tokenizer {
  readonly type = 'char' as const;
  readonly normalization: ResolvedTextNormalizeOptions;
  private readonly normalizer: (text: string) => string;

  constructor(
    readonly vocabulary: Vocabulary,
    normalize: TextNormalizeOptions = {},
  ) {
    this.normalization = resolveNormalizeOptions({ ...CHAR_DEFAULTS, ...normalize });
    this.normalizer = createNormalizer(this.normalization);
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

  normalize(text: string): string {
    return this.normalizer(text);
  }

  tokens(text: string): string[] {
    return Array.from(this.normalizer(text));
  }

  encode(text: string, options?: TokenizerEncodeOptions): number[] {
    return withSpecials(this.vocabulary.encode(this.tokens(text)), options);
  }

  decode(ids: ArrayLike<number>, options?: TokenizerDecodeOptions): string {
    return tokensForDecoding(this.vocabulary, ids, options).join('');
  }

  toJSON(): TokenizerJSON {
    return { type: 'char', normalize: { ...this.normalization }, vocabulary: this.vocabulary.toJSON() };
  }

  static fromJSON(json: unknown): CharTokenizer {
    const op = 'CharTokenizer.fromJSON';
    const obj = expectRecord(op, parseJSONInput(op, json), 'tokenizer');
    if (obj.type !== 'char') fail(op, `type must be "char", got ${JSON.stringify(obj.type ?? null)}`);
    const normalize = normalizeOptionsFromJSON(op, obj.normalize, 'normalize');
    return new CharTokenizer(Vocabulary.fromJSON(obj.vocabulary, 'vocabulary'), normalize);
  }
}
