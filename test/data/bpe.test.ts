import { describe, expect, it } from 'vitest';
import { BpeTokenizer } from '../../src/data/bpe-tokenizer.js';
import { tokenizerFromJSON } from '../../src/data/load-tokenizer.js';
import { UNK_ID } from '../../src/data/vocabulary.js';

// The example of Sennrich et al. (2016): low ×5, lower ×2, newest ×6, widest ×3.
const corpus = [
  'low low low low low',
  'lower lower',
  'newest newest newest newest newest newest',
  'widest widest widest',
];

describe('BpeTokenizer.train', () => {
  it('learns the expected merges, ties broken by symbol order', () => {
    const bpe = BpeTokenizer.train(corpus, { numMerges: 10 });
    expect(bpe.merges).toEqual([
      ['e', 's'], // 9, tied with (s, t</w>): "e" < "s"
      ['es', 't</w>'], // 9
      ['l', 'o'], // 7
      ['e', 'w'], // 6, tied with (n, e) and (w, est</w>)
      ['ew', 'est</w>'], // 6, tied with (n, ew)
      ['n', 'ewest</w>'], // 6
      ['lo', 'w</w>'], // 5
      ['d', 'est</w>'], // 3, tied with (i, d), (w, i)
      ['i', 'dest</w>'],
      ['w', 'idest</w>'],
    ]);
  });

  it('builds a stable vocabulary: specials, marker, alphabet by frequency, then merges', () => {
    const bpe = BpeTokenizer.train(corpus, { numMerges: 7 });
    expect(bpe.vocabulary.tokens).toEqual([
      '<pad>',
      '<sos>',
      '<eos>',
      '<unk>',
      '</w>',
      'e', // 17
      'w', // 16
      's', // 9
      't</w>', // 9
      'l', // 7
      'o', // 7
      'n', // 6
      'w</w>', // 5
      'd', // 3
      'i', // 3
      'r</w>', // 2
      'es',
      'est</w>',
      'lo',
      'ew',
      'ewest</w>',
      'newest</w>',
      'low</w>',
    ]);
  });

  it('gives the same vocabulary whatever the corpus order', () => {
    const a = BpeTokenizer.train(corpus, { vocabSize: 20 });
    const b = BpeTokenizer.train([...corpus].reverse(), { vocabSize: 20 });
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(a.vocabulary.size).toBe(20);
  });

  it('stops at the vocabulary size, the merge count or the minimum pair frequency', () => {
    expect(BpeTokenizer.train(corpus, { vocabSize: 18 }).merges).toHaveLength(2);
    expect(BpeTokenizer.train(corpus, { numMerges: 3 }).merges).toHaveLength(3);
    // Only pairs seen at least 5 times: the first 7 merges.
    expect(BpeTokenizer.train(corpus, { numMerges: 100, minPairFrequency: 5 }).merges).toHaveLength(7);
    // Without a limit on merges, every word becomes one symbol and merging stops.
    const all = BpeTokenizer.train(corpus, { vocabSize: 1000 });
    expect(all.tokens('low lower newest widest')).toEqual([
      'low</w>',
      'lower</w>',
      'newest</w>',
      'widest</w>',
    ]);
  });

  it('rejects a vocabulary smaller than its alphabet, and a missing limit', () => {
    expect(() => BpeTokenizer.train(corpus, { vocabSize: 10 })).toThrow(
      /vocabSize must be an integer of at least 16 \(4 specials, the marker and 11 alphabet symbols\), got 10/,
    );
    expect(() => BpeTokenizer.train(corpus)).toThrow(/give vocabSize or numMerges/);
  });
});

describe('BpeTokenizer encoding', () => {
  const bpe = BpeTokenizer.train(corpus, { numMerges: 10 });

  it('applies merges by rank to new words', () => {
    expect(bpe.tokens('lowest')).toEqual(['lo', 'w', 'est</w>']);
    expect(bpe.tokens('newer Widest')).toEqual(['n', 'ew', 'e', 'r</w>', 'widest</w>']);
  });

  it('round-trips in-alphabet text', () => {
    for (const text of [...corpus, 'lowest  newer wider', 'slow sled']) {
      expect(bpe.decode(bpe.encode(text))).toBe(bpe.normalize(text));
    }
  });

  it('replaces unknown characters with <unk> and keeps word boundaries', () => {
    expect(bpe.tokens('lox')).toEqual(['lo', '<unk>', '</w>']);
    expect(bpe.tokens('xe')).toEqual(['<unk>', 'e', '</w>']);
    expect(bpe.encode('x')).toEqual([UNK_ID, bpe.vocabulary.id('</w>')]);
    expect(bpe.decode(bpe.encode('lox low'))).toBe('lo<unk> low');
  });

  it('drops words with rare characters from training when minCharFrequency is set', () => {
    const t = BpeTokenizer.train([...corpus, 'quiz'], { numMerges: 0, minCharFrequency: 2 });
    expect(t.vocabulary.has('q')).toBe(false);
    expect(t.vocabulary.has('z</w>')).toBe(false);
  });

  it('uses a custom end-of-word marker', () => {
    const t = BpeTokenizer.train(corpus, { numMerges: 2, endOfWord: '_' });
    expect(t.merges).toEqual([
      ['e', 's'],
      ['es', 't_'],
    ]);
    expect(t.decode(t.encode('newest low'))).toBe('newest low');
  });

  it('saves and loads identically', () => {
    const back = tokenizerFromJSON(JSON.stringify(bpe));
    expect(back).toBeInstanceOf(BpeTokenizer);
    expect(back.toJSON()).toEqual(bpe.toJSON());
    expect(back.encode('lowest newer')).toEqual(bpe.encode('lowest newer'));
  });

  it('names the bad field when loading', () => {
    const json = bpe.toJSON();
    expect(() => BpeTokenizer.fromJSON({ ...json, merges: [['l', 'o'], ['x']] })).toThrow(
      'BpeTokenizer.fromJSON: merges[1] must be a pair of strings [left, right]',
    );
    expect(() => BpeTokenizer.fromJSON({ ...json, merges: [['q', 'q']] })).toThrow(
      'merges[0] makes "qq", which is not in vocabulary.tokens',
    );
    expect(() => BpeTokenizer.fromJSON({ ...json, endOfWord: 3 })).toThrow('endOfWord must be a string');
    expect(() => BpeTokenizer.fromJSON({ ...json, merges: 'x' })).toThrow('merges must be an array');
  });

  it('trains on a larger corpus quickly and deterministically', () => {
    const words = ['attention', 'is', 'all', 'you', 'need', 'transformer', 'encoder', 'decoder', 'attend'];
    const texts = Array.from({ length: 2000 }, (_, i) =>
      Array.from({ length: 8 }, (_, j) => words[(i * 7 + j * 3 + (i % 5)) % words.length]).join(' '),
    );
    const a = BpeTokenizer.train(texts, { vocabSize: 80 });
    const b = BpeTokenizer.train(texts, { vocabSize: 80 });
    expect(a.toJSON()).toEqual(b.toJSON());
    for (const t of texts.slice(0, 50)) expect(a.decode(a.encode(t))).toBe(t);
  });
});
