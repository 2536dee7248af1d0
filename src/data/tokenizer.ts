/**
 * The interface every tokenizer implements (word, character and byte-pair), and the id handling they share.
 *
 * `tokens(text)` normalises and splits; `encode(text)` maps those tokens to ids (`<unk>` for unknown ones);
 * `decode(ids)` maps ids back to text, so `decode(encode(x))` is the normalised `x` whenever every token of `x`
 * is in the vocabulary. `toJSON()` gives a plain object that the tokenizer's `fromJSON` (or
 * `tokenizerFromJSON`) reads back into an identical tokenizer.
 */
import type { ResolvedTextNormalizeOptions } from './normalize.js';
import { EOS_ID, PAD_ID, SOS_ID, type Vocabulary, type VocabularyJSON } from './vocabulary.js';

export type TokenizerType = 'word' | 'char' | 'bpe';

export interface TokenizerEncodeOptions {
  /** Prepend `<sos>` (id 1). Default false. */
  sos?: boolean;
  /** Append `<eos>` (id 2). Default false. */
  eos?: boolean;
}

export interface TokenizerDecodeOptions {
  /**
   * Render every id as its token, specials included, and read to the end. By default `<pad>` and `<sos>` are
   * dropped and decoding stops at the first `<eos>` (what a model's output needs); `<unk>` always shows.
   */
  keepSpecials?: boolean;
}

export interface TokenizerJSON {
  type: TokenizerType;
  normalize: ResolvedTextNormalizeOptions;
  vocabulary: VocabularyJSON;
}

export interface Tokenizer {
  readonly type: TokenizerType;
  readonly vocabulary: Vocabulary;
  /** The normalisation options this tokenizer applies before splitting. */
  readonly normalization: ResolvedTextNormalizeOptions;
  /** The normalised text, as the tokenizer sees it. */
  normalize(text: string): string;
  /** The tokens of the normalised text (as strings, before the vocabulary lookup). */
  tokens(text: string): string[];
  encode(text: string, options?: TokenizerEncodeOptions): number[];
  decode(ids: ArrayLike<number>, options?: TokenizerDecodeOptions): string;
  toJSON(): TokenizerJSON;
}

/** Adds `<sos>`/`<eos>` around encoded ids as asked. */
export function withSpecials(ids: number[], options: TokenizerEncodeOptions = {}): number[] {
  if (options.sos) ids.unshift(SOS_ID);
  if (options.eos) ids.push(EOS_ID);
  return ids;
}

/** The tokens of `ids` for decoding: specials dropped and cut at `<eos>` unless `keepSpecials`. */
export function tokensForDecoding(
  vocabulary: Vocabulary,
  ids: ArrayLike<number>,
  options: TokenizerDecodeOptions = {},
): string[] {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!options.keepSpecials) {
      if (id === EOS_ID) break;
      if (id === PAD_ID || id === SOS_ID) continue;
    }
    out.push(vocabulary.token(id));
  }
  return out;
}
