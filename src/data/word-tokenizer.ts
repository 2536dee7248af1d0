/**
 * Word-level tokenizer: normalise (by default lower-case with punctuation split off), then split on whitespace.
 * Each word is one token; words outside the vocabulary encode as `<unk>`.
 */
import { createNormalizer, type TextNormalizeOptions } from './normalize.js';
import { Vocabulary, type VocabularyOptions } from './vocabulary.js';
import { VocabularyTokenizer, vocabularyTokenizerFromJSON } from './vocabulary-tokenizer.js';

export interface WordTokenizerTrainOptions extends VocabularyOptions {
  normalize?: TextNormalizeOptions;
}

export class WordTokenizer extends VocabularyTokenizer {
  readonly type = 'word' as const;

  constructor(vocabulary: Vocabulary, normalize: TextNormalizeOptions = {}) {
    super(vocabulary, normalize, ' ');
  }

  /** A tokenizer whose vocabulary holds the words of `texts` (minimum frequency and size as asked). */
  static train(texts: Iterable<string>, options: WordTokenizerTrainOptions = {}): WordTokenizer {
    const normalize = createNormalizer(options.normalize);
    const split = (function* () {
      for (const text of texts) yield splitWords(normalize(text));
    })();
    return new WordTokenizer(Vocabulary.build(split, options), options.normalize);
  }

  tokens(text: string): string[] {
    return splitWords(this.normalize(text));
  }

  static fromJSON(json: unknown): WordTokenizer {
    const { vocabulary, normalize } = vocabularyTokenizerFromJSON('WordTokenizer.fromJSON', json, 'word');
    return new WordTokenizer(vocabulary, normalize);
  }
}

function splitWords(text: string): string[] {
  return text.split(/\s+/u).filter((w) => w.length > 0);
}
