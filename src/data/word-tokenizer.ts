/**
 * Word-level tokenizer: normalise (by default lower-case with punctuation split off), then split on whitespace.
 * Each word is one token; words outside the vocabulary encode as `<unk>`.
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

export interface WordTokenizerTrainOptions extends VocabularyOptions {
  normalize?: TextNormalizeOptions;
}

export class WordTokenizer implements Tokenizer {
  readonly type = 'word' as const;
  readonly normalization: ResolvedTextNormalizeOptions;
  private readonly normalizer: (text: string) => string;

  constructor(
    readonly vocabulary: Vocabulary,
    normalize: TextNormalizeOptions = {},
  ) {
    this.normalization = resolveNormalizeOptions(normalize);
    this.normalizer = createNormalizer(this.normalization);
  }

  /** A tokenizer whose vocabulary holds the words of `texts` (minimum frequency and size as asked). */
  static train(texts: Iterable<string>, options: WordTokenizerTrainOptions = {}): WordTokenizer {
    const normalize = createNormalizer(options.normalize);
    const split = (function* () {
      for (const text of texts) yield splitWords(normalize(text));
    })();
    return new WordTokenizer(Vocabulary.build(split, options), options.normalize);
  }

  normalize(text: string): string {
    return this.normalizer(text);
  }

  tokens(text: string): string[] {
    return splitWords(this.normalizer(text));
  }

  encode(text: string, options?: TokenizerEncodeOptions): number[] {
    return withSpecials(this.vocabulary.encode(this.tokens(text)), options);
  }

  decode(ids: ArrayLike<number>, options?: TokenizerDecodeOptions): string {
    return tokensForDecoding(this.vocabulary, ids, options).join(' ');
  }

  toJSON(): TokenizerJSON {
    return { type: 'word', normalize: { ...this.normalization }, vocabulary: this.vocabulary.toJSON() };
  }

  static fromJSON(json: unknown): WordTokenizer {
    const op = 'WordTokenizer.fromJSON';
    const obj = expectRecord(op, parseJSONInput(op, json), 'tokenizer');
    if (obj.type !== 'word') fail(op, `type must be "word", got ${JSON.stringify(obj.type ?? null)}`);
    const normalize = normalizeOptionsFromJSON(op, obj.normalize, 'normalize');
    return new WordTokenizer(Vocabulary.fromJSON(obj.vocabulary, 'vocabulary'), normalize);
  }
}

function splitWords(text: string): string[] {
  return text.split(/\s+/u).filter((w) => w.length > 0);
}
