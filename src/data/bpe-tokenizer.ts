/**
 * Byte-pair-encoding tokenizer (subword units, Sennrich et al., 2016). Training (see `bpe-train.ts`) learns an
 * ordered list of merges; encoding splits each normalised word into characters, marks the last with the
 * end-of-word marker (`</w>` by default) and applies the merges by rank, lowest first, until none applies:
 * `lowest` → `low est</w>`. Decoding concatenates the tokens and turns each marker back into a space.
 *
 * Vocabulary: the four specials, the bare marker, the alphabet (every character seen, with and without the
 * marker, most frequent first), then the merged symbols in the order learnt.
 *
 * Unknown characters: a character outside the alphabet becomes `<unk>`; at the end of a word it becomes the
 * character without the marker followed by the bare marker (or `<unk>` and the marker), so word boundaries
 * survive a round trip even then.
 */
import { fail } from '../tensor/errors.js';
import { pairKey, trainBpe, wordSymbols } from './bpe-train.js';
import { expectRecord, expectString, parseJSONInput } from './json-fields.js';
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
import { byCountThenToken, SPECIAL_TOKENS, UNK_TOKEN, Vocabulary } from './vocabulary.js';

export const DEFAULT_END_OF_WORD = '</w>';

export interface BpeTrainOptions {
  /** The largest vocabulary, specials, marker and alphabet included: merging stops there. */
  vocabSize?: number;
  /** The most merges to learn. At least one of vocabSize and numMerges must be given. */
  numMerges?: number;
  /** Stop merging once the most frequent pair occurs fewer times than this. Default 2. */
  minPairFrequency?: number;
  /**
   * Characters seen fewer times than this are left out of the alphabet (they encode as `<unk>`), and the words
   * holding them out of training. Default 1.
   */
  minCharFrequency?: number;
  /** The end-of-word marker appended to the last symbol of each word. Default `</w>`. */
  endOfWord?: string;
  normalize?: TextNormalizeOptions;
}

export interface BpeTokenizerJSON extends TokenizerJSON {
  type: 'bpe';
  endOfWord: string;
  merges: [string, string][];
}

/** Words cached per tokenizer before the cache is cleared (bounds memory on an endless stream of words). */
const CACHE_LIMIT = 50_000;

export class BpeTokenizer implements Tokenizer {
  readonly type = 'bpe' as const;
  readonly normalization: ResolvedTextNormalizeOptions;
  readonly merges: readonly (readonly [string, string])[];
  private readonly normalizer: (text: string) => string;
  private readonly ranks: Map<string, number>;
  private readonly cache = new Map<string, string[]>();

  constructor(
    readonly vocabulary: Vocabulary,
    merges: readonly (readonly [string, string])[],
    normalize: TextNormalizeOptions = {},
    readonly endOfWord: string = DEFAULT_END_OF_WORD,
  ) {
    if (endOfWord.length === 0) fail('BpeTokenizer', 'endOfWord must be a non-empty string');
    this.normalization = resolveNormalizeOptions(normalize);
    this.normalizer = createNormalizer(this.normalization);
    this.merges = Object.freeze(merges.map(([l, r]) => Object.freeze([l, r] as const)));
    this.ranks = new Map(merges.map(([l, r], i) => [pairKey(l, r), i]));
  }

  /** Learns merges and a vocabulary from `texts` (see the file comment and `BpeTrainOptions`). */
  static train(texts: Iterable<string>, options: BpeTrainOptions = {}): BpeTokenizer {
    const op = 'BpeTokenizer.train';
    const endOfWord = options.endOfWord ?? DEFAULT_END_OF_WORD;
    if (typeof endOfWord !== 'string' || endOfWord.length === 0) {
      fail(op, 'endOfWord must be a non-empty string');
    }
    if (options.vocabSize === undefined && options.numMerges === undefined) {
      fail(op, 'give vocabSize or numMerges (or both) to say when merging stops');
    }
    const numMerges = options.numMerges ?? Infinity;
    if (!(numMerges === Infinity || (Number.isInteger(numMerges) && numMerges >= 0))) {
      fail(op, `numMerges must be a non-negative integer, got ${numMerges}`);
    }
    const minPairFrequency = options.minPairFrequency ?? 2;
    const minCharFrequency = options.minCharFrequency ?? 1;

    const normalize = createNormalizer(options.normalize);
    const wordCounts = new Map<string, number>();
    for (const text of texts) {
      for (const word of normalize(text).split(/\s+/u)) {
        if (word.length > 0) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
      }
    }
    // Rare characters leave the alphabet before training, so no merge can involve them.
    if (minCharFrequency > 1) {
      const charCounts = new Map<string, number>();
      for (const [w, c] of wordCounts) {
        for (const ch of Array.from(w)) charCounts.set(ch, (charCounts.get(ch) ?? 0) + c);
      }
      for (const w of [...wordCounts.keys()]) {
        if (Array.from(w).some((ch) => charCounts.get(ch)! < minCharFrequency)) wordCounts.delete(w);
      }
    }

    const fixed = SPECIAL_TOKENS.length + 1; // specials and the bare marker
    const alphabetSize = new Set([...wordCounts.keys()].flatMap((w) => wordSymbols(w, endOfWord))).size;
    const vocabSize = options.vocabSize ?? Infinity;
    if (vocabSize !== Infinity && !(Number.isInteger(vocabSize) && vocabSize >= fixed + alphabetSize)) {
      fail(
        op,
        `vocabSize must be an integer of at least ${fixed + alphabetSize} (${SPECIAL_TOKENS.length} specials, ` +
          `the marker and ${alphabetSize} alphabet symbols), got ${vocabSize}`,
      );
    }
    const { merges, alphabet } = trainBpe(wordCounts, endOfWord, {
      numMerges,
      maxSymbols: vocabSize - fixed,
      minPairFrequency,
    });
    const tokens = [
      endOfWord,
      ...[...alphabet.entries()].sort(byCountThenToken).map(([s]) => s),
      ...merges.map(([l, r]) => l + r),
    ];
    return new BpeTokenizer(Vocabulary.fromTokens(tokens), merges, options.normalize, endOfWord);
  }

  normalize(text: string): string {
    return this.normalizer(text);
  }

  /** The subword tokens of the normalised text; symbols outside the vocabulary appear as `<unk>`. */
  tokens(text: string): string[] {
    const out: string[] = [];
    for (const word of this.normalizer(text).split(/\s+/u)) {
      if (word.length > 0) out.push(...this.wordTokens(word));
    }
    return out;
  }

  encode(text: string, options?: TokenizerEncodeOptions): number[] {
    return withSpecials(this.vocabulary.encode(this.tokens(text)), options);
  }

  decode(ids: ArrayLike<number>, options?: TokenizerDecodeOptions): string {
    const text = tokensForDecoding(this.vocabulary, ids, options).join('');
    return text.split(this.endOfWord).join(' ').replace(/ +/g, ' ').trim();
  }

  toJSON(): BpeTokenizerJSON {
    return {
      type: 'bpe',
      normalize: { ...this.normalization },
      endOfWord: this.endOfWord,
      merges: this.merges.map(([l, r]) => [l, r]),
      vocabulary: this.vocabulary.toJSON(),
    };
  }

  static fromJSON(json: unknown): BpeTokenizer {
    const op = 'BpeTokenizer.fromJSON';
    const obj = expectRecord(op, parseJSONInput(op, json), 'tokenizer');
    if (obj.type !== 'bpe') fail(op, `type must be "bpe", got ${JSON.stringify(obj.type ?? null)}`);
    const normalize = normalizeOptionsFromJSON(op, obj.normalize, 'normalize');
    const endOfWord = expectString(op, obj.endOfWord, 'endOfWord');
    if (endOfWord.length === 0) fail(op, 'endOfWord must be a non-empty string');
    const vocabulary = Vocabulary.fromJSON(obj.vocabulary, 'vocabulary');
    if (!Array.isArray(obj.merges)) fail(op, 'merges must be an array of [left, right] string pairs');
    const merges = obj.merges.map((m: unknown, i): [string, string] => {
      if (!Array.isArray(m) || m.length !== 2 || typeof m[0] !== 'string' || typeof m[1] !== 'string') {
        fail(op, `merges[${i}] must be a pair of strings [left, right]`);
      }
      const [l, r] = m as [string, string];
      if (!vocabulary.has(l + r)) {
        fail(op, `merges[${i}] makes ${JSON.stringify(l + r)}, which is not in vocabulary.tokens`);
      }
      return [l, r];
    });
    return new BpeTokenizer(vocabulary, merges, normalize, endOfWord);
  }

  /** One word's tokens: merges applied by rank, then unknown symbols replaced (see the file comment). */
  private wordTokens(word: string): string[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const symbols = this.applyMerges(wordSymbols(word, this.endOfWord));
    const out: string[] = [];
    for (const s of symbols) {
      if (this.vocabulary.has(s)) out.push(s);
      else if (s.endsWith(this.endOfWord) && s.length > this.endOfWord.length) {
        const bare = s.slice(0, -this.endOfWord.length);
        out.push(this.vocabulary.has(bare) ? bare : UNK_TOKEN, this.endOfWord);
      } else out.push(UNK_TOKEN);
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, out);
    return out;
  }

  private applyMerges(symbols: string[]): string[] {
    let s = symbols;
    while (s.length > 1) {
      let best = Infinity;
      for (let i = 0; i + 1 < s.length; i++) {
        const rank = this.ranks.get(pairKey(s[i]!, s[i + 1]!));
        if (rank !== undefined && rank < best) best = rank;
      }
      if (best === Infinity) break;
      const [left, right] = this.merges[best]!;
      const next: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === left && s[i + 1] === right) {
          next.push(left + right);
          i++;
        } else next.push(s[i]!);
      }
      s = next;
    }
    return s;
  }
}
