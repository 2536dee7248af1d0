import { describe, expect, it } from 'vitest';
import {
  EOS_ID,
  PAD_ID,
  SOS_ID,
  SPECIAL_TOKENS,
  tokenCounts,
  UNK_ID,
  Vocabulary,
} from '../../src/data/vocabulary.js';

describe('Vocabulary', () => {
  it('puts the specials at fixed ids 0..3', () => {
    expect([PAD_ID, SOS_ID, EOS_ID, UNK_ID]).toEqual([0, 1, 2, 3]);
    expect(SPECIAL_TOKENS).toEqual(['<pad>', '<sos>', '<eos>', '<unk>']);
    const v = Vocabulary.fromTokens(['a', 'b']);
    expect(v.tokens).toEqual(['<pad>', '<sos>', '<eos>', '<unk>', 'a', 'b']);
    expect(v.id('<pad>')).toBe(0);
    expect(v.id('<eos>')).toBe(2);
    expect(v.isSpecial(3)).toBe(true);
    expect(v.isSpecial(4)).toBe(false);
  });

  it('orders by count, ties by token, and applies the minimum frequency', () => {
    const counts = tokenCounts([
      ['b', 'a', 'c', 'a'],
      ['d', 'b', 'c', 'e'],
      ['a', 'z'],
    ]);
    // a:3, b:2, c:2, d:1, e:1, z:1
    expect(Vocabulary.fromCounts(counts).tokens.slice(4)).toEqual(['a', 'b', 'c', 'd', 'e', 'z']);
    expect(Vocabulary.fromCounts(counts, { minFrequency: 2 }).tokens.slice(4)).toEqual(['a', 'b', 'c']);
    expect(Vocabulary.fromCounts(counts, { maxSize: 6 }).tokens.slice(4)).toEqual(['a', 'b']);
    // The same counts in another insertion order give the same vocabulary.
    const shuffled = new Map([...counts.entries()].reverse());
    expect(Vocabulary.fromCounts(shuffled).tokens).toEqual(Vocabulary.fromCounts(counts).tokens);
  });

  it('never counts the specials as ordinary tokens', () => {
    const v = Vocabulary.build([['<pad>', 'x', '<unk>', 'x']]);
    expect(v.tokens).toEqual(['<pad>', '<sos>', '<eos>', '<unk>', 'x']);
  });

  it('maps unknown tokens to <unk> and decodes ids', () => {
    const v = Vocabulary.fromTokens(['hello', 'world']);
    expect(v.encode(['hello', 'there', 'world'])).toEqual([4, UNK_ID, 5]);
    expect(v.decode([4, 3, 5])).toEqual(['hello', '<unk>', 'world']);
    expect(v.has('there')).toBe(false);
    expect(() => v.token(6)).toThrow('Vocabulary.token: id 6 is outside the vocabulary [0, 6)');
  });

  it('validates its options', () => {
    expect(() => Vocabulary.fromCounts({}, { maxSize: 2 })).toThrow(/maxSize must be an integer >= 4/);
    expect(() => Vocabulary.fromCounts({}, { minFrequency: -1 })).toThrow(/minFrequency/);
  });

  it('round-trips through JSON', () => {
    const v = Vocabulary.fromCounts({ x: 3, y: 2, é: 1 });
    const back = Vocabulary.fromJSON(JSON.stringify(v));
    expect(back.tokens).toEqual(v.tokens);
    expect(Vocabulary.fromJSON(v.toJSON()).id('é')).toBe(v.id('é'));
  });

  it('names the bad field when loading', () => {
    expect(() => Vocabulary.fromJSON({})).toThrow('Vocabulary.fromJSON: vocabulary.tokens must be an array');
    expect(() => Vocabulary.fromJSON({ tokens: ['<pad>', '<sos>', '<eos>', '<unk>', 1] })).toThrow(
      'vocabulary.tokens[4] must be a string',
    );
    expect(() => Vocabulary.fromJSON({ tokens: ['<pad>', '<eos>'] })).toThrow(
      'vocabulary.tokens[1] must be the special <sos>',
    );
    expect(() => Vocabulary.fromJSON({ tokens: [...SPECIAL_TOKENS, 'a', 'a'] })).toThrow(
      'vocabulary.tokens[5] repeats "a" (first at 4)',
    );
    expect(() => Vocabulary.fromJSON('{oops')).toThrow(/not valid JSON/);
  });
});
