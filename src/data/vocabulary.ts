/**
 * Vocabulary: a two-way map between tokens and integer ids. The first four ids are fixed specials in every
 * vocabulary, so models, batching and decoding can rely on them:
 *
 *   0 `<pad>`  padding (masked out; the `paddingIdx` of an Embedding)
 *   1 `<sos>`  start of sequence (the first decoder input)
 *   2 `<eos>`  end of sequence (the last decoder target; decoding stops there)
 *   3 `<unk>`  any token not in the vocabulary
 *
 * Ordinary tokens follow from id 4, most frequent first; equal counts are ordered by the tokens' UTF-16 code
 * units (JavaScript's default string order), so the same counts always give the same ids.
 */
import { fail } from '../tensor/errors.js';
import { expectRecord, expectStringArray, parseJSONInput } from './json-fields.js';

export const PAD_ID = 0;
export const SOS_ID = 1;
export const EOS_ID = 2;
export const UNK_ID = 3;
export const PAD_TOKEN = '<pad>';
export const SOS_TOKEN = '<sos>';
export const EOS_TOKEN = '<eos>';
export const UNK_TOKEN = '<unk>';
/** The specials in id order: `SPECIAL_TOKENS[PAD_ID] === '<pad>'`, and so on. */
export const SPECIAL_TOKENS: readonly string[] = Object.freeze([PAD_TOKEN, SOS_TOKEN, EOS_TOKEN, UNK_TOKEN]);

export interface VocabularyOptions {
  /** Tokens seen fewer times than this are left out (they encode as `<unk>`). Default 1. */
  minFrequency?: number;
  /** The largest vocabulary, specials included; the least frequent tokens are dropped first. */
  maxSize?: number;
}

/** The saved form: every token in id order, specials first. */
export interface VocabularyJSON {
  tokens: string[];
}

/** Token counts over sequences of tokens. */
export function tokenCounts(sequences: Iterable<Iterable<string>>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const sequence of sequences) for (const t of sequence) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

/** Orders [token, count] entries by count (descending), then token (ascending code units). */
export function byCountThenToken(a: readonly [string, number], b: readonly [string, number]): number {
  if (a[1] !== b[1]) return b[1] - a[1];
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

export class Vocabulary {
  private readonly list: readonly string[];
  private readonly ids: Map<string, number>;

  private constructor(tokens: readonly string[]) {
    this.list = Object.freeze([...tokens]);
    this.ids = new Map(tokens.map((t, i) => [t, i]));
  }

  /**
   * A vocabulary of the specials followed by `tokens` in the order given. Repeats and the specials themselves
   * are skipped.
   */
  static fromTokens(tokens: Iterable<string>): Vocabulary {
    const list = [...SPECIAL_TOKENS];
    const seen = new Set(list);
    for (const t of tokens) {
      if (typeof t !== 'string') fail('Vocabulary.fromTokens', `tokens must be strings, got ${typeof t}`);
      if (!seen.has(t)) {
        seen.add(t);
        list.push(t);
      }
    }
    return new Vocabulary(list);
  }

  /** A vocabulary from token counts, most frequent first (see the file comment for the order). */
  static fromCounts(
    counts: ReadonlyMap<string, number> | Readonly<Record<string, number>>,
    options: VocabularyOptions = {},
  ): Vocabulary {
    const minFrequency = options.minFrequency ?? 1;
    if (!(Number.isFinite(minFrequency) && minFrequency >= 0)) {
      fail('Vocabulary.fromCounts', `minFrequency must be a non-negative number, got ${minFrequency}`);
    }
    const maxSize = options.maxSize ?? Infinity;
    if (!(maxSize === Infinity || (Number.isInteger(maxSize) && maxSize >= SPECIAL_TOKENS.length))) {
      fail(
        'Vocabulary.fromCounts',
        `maxSize must be an integer >= ${SPECIAL_TOKENS.length} (the specials count), got ${maxSize}`,
      );
    }
    const entries: [string, number][] =
      counts instanceof Map ? [...counts.entries()] : Object.entries(counts as Record<string, number>);
    const specials = new Set(SPECIAL_TOKENS);
    const kept = entries.filter(([t, c]) => c >= minFrequency && c > 0 && !specials.has(t));
    kept.sort(byCountThenToken);
    return Vocabulary.fromTokens(kept.slice(0, maxSize - SPECIAL_TOKENS.length).map(([t]) => t));
  }

  /** Counts the tokens of `sequences` and builds a vocabulary from the counts. */
  static build(sequences: Iterable<Iterable<string>>, options: VocabularyOptions = {}): Vocabulary {
    return Vocabulary.fromCounts(tokenCounts(sequences), options);
  }

  /** Number of tokens, specials included. */
  get size(): number {
    return this.list.length;
  }

  /** All tokens in id order. */
  get tokens(): readonly string[] {
    return this.list;
  }

  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** The id of `token`, or `UNK_ID` when it is not in the vocabulary. */
  id(token: string): number {
    return this.ids.get(token) ?? UNK_ID;
  }

  /** The token with id `id`. */
  token(id: number): string {
    const t = Number.isInteger(id) ? this.list[id] : undefined;
    if (t === undefined) fail('Vocabulary.token', `id ${id} is outside the vocabulary [0, ${this.size})`);
    return t;
  }

  /** Whether `id` is one of the four specials. */
  isSpecial(id: number): boolean {
    return id >= 0 && id < SPECIAL_TOKENS.length && Number.isInteger(id);
  }

  encode(tokens: Iterable<string>): number[] {
    const out: number[] = [];
    for (const t of tokens) out.push(this.id(t));
    return out;
  }

  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => this.token(id));
  }

  toJSON(): VocabularyJSON {
    return { tokens: [...this.list] };
  }

  /**
   * Reads what `toJSON` wrote (an object or its JSON text). `field` names the vocabulary in errors when it is
   * part of a larger object (a tokenizer's `vocabulary`).
   */
  static fromJSON(json: unknown, field = 'vocabulary'): Vocabulary {
    const op = 'Vocabulary.fromJSON';
    const obj = expectRecord(op, parseJSONInput(op, json), field);
    const tokens = expectStringArray(op, obj.tokens, `${field}.tokens`);
    SPECIAL_TOKENS.forEach((s, i) => {
      if (tokens[i] !== s) {
        fail(op, `${field}.tokens[${i}] must be the special ${s}, got ${JSON.stringify(tokens[i] ?? null)}`);
      }
    });
    const seen = new Map<string, number>();
    tokens.forEach((t, i) => {
      const first = seen.get(t);
      if (first !== undefined) {
        fail(op, `${field}.tokens[${i}] repeats ${JSON.stringify(t)} (first at ${first})`);
      }
      seen.set(t, i);
    });
    return new Vocabulary(tokens);
  }
}
