/**
 * What the word and character tokenizers share: a tokenizer that normalises, splits (each subclass its own
 * way) and looks every token up in one vocabulary, and whose decoding joins the tokens with a fixed separator.
 * Its JSON form is `{ type, normalize, vocabulary }`.
 */
import { fail } from '../tensor/errors.js';
import { expectRecord, parseJSONInput } from './json-fields.js';
import {
  createNormalizer,
  normalizeOptionsFromJSON,
  resolveNormalizeOptions,
  type ResolvedTextNormalizeOptions,
  type TextNormalizeOptions,
} from './normalize.js';
import {
  tokensForDecoding,
  withSpecials,
  type Tokenizer,
  type TokenizerDecodeOptions,
  type TokenizerEncodeOptions,
  type TokenizerJSON,
} from './tokenizer.js';
import { Vocabulary } from './vocabulary.js';

export abstract class VocabularyTokenizer implements Tokenizer {
  abstract readonly type: 'word' | 'char';
  readonly normalization: ResolvedTextNormalizeOptions;
  private readonly normalizer: (text: string) => string;

  /**
   * @param separator what decoding puts between tokens ('' for characters, ' ' for words)
   */
  protected constructor(
    readonly vocabulary: Vocabulary,
    normalize: TextNormalizeOptions,
    private readonly separator: string,
  ) {
    this.normalization = resolveNormalizeOptions(normalize);
    this.normalizer = createNormalizer(this.normalization);
  }

  normalize(text: string): string {
    return this.normalizer(text);
  }

  abstract tokens(text: string): string[];

  encode(text: string, options?: TokenizerEncodeOptions): number[] {
    return withSpecials(this.vocabulary.encode(this.tokens(text)), options);
  }

  decode(ids: ArrayLike<number>, options?: TokenizerDecodeOptions): string {
    return tokensForDecoding(this.vocabulary, ids, options).join(this.separator);
  }

  toJSON(): TokenizerJSON {
    return { type: this.type, normalize: { ...this.normalization }, vocabulary: this.vocabulary.toJSON() };
  }
}

/** Reads `{ type, normalize, vocabulary }` for `op`, checking that `type` is the one expected. */
export function vocabularyTokenizerFromJSON(
  op: string,
  json: unknown,
  type: 'word' | 'char',
): { vocabulary: Vocabulary; normalize: TextNormalizeOptions } {
  const obj = expectRecord(op, parseJSONInput(op, json), 'tokenizer');
  if (obj.type !== type) fail(op, `type must be "${type}", got ${JSON.stringify(obj.type ?? null)}`);
  const normalize = normalizeOptionsFromJSON(op, obj.normalize, 'normalize');
  return { vocabulary: Vocabulary.fromJSON(obj.vocabulary, 'vocabulary'), normalize };
}
