import { describe, expect, it } from 'vitest';
import { CharTokenizer } from '../../src/data/char-tokenizer.js';
import { tokenizerFromJSON } from '../../src/data/load-tokenizer.js';
import { EOS_ID, PAD_ID, SOS_ID, UNK_ID } from '../../src/data/vocabulary.js';
import { WordTokenizer } from '../../src/data/word-tokenizer.js';

const corpus = [
  'The cat sat on the mat.',
  'The dog sat on the log!',
  'Où est le chat ? Il est là.',
  'Is the cat on the mat?',
];

describe('WordTokenizer', () => {
  const tok = WordTokenizer.train(corpus);

  it('splits normalised text into words and punctuation', () => {
    expect(tok.tokens('The cat,  the MAT!')).toEqual(['the', 'cat', ',', 'the', 'mat', '!']);
  });

  it('round-trips in-vocabulary text to its normalised form', () => {
    for (const text of [...corpus, 'the   dog sat on the cat ?']) {
      expect(tok.decode(tok.encode(text))).toBe(tok.normalize(text));
    }
  });

  it('encodes unknown words as <unk> and adds <sos>/<eos> on request', () => {
    const ids = tok.encode('the zebra', { sos: true, eos: true });
    expect(ids[0]).toBe(SOS_ID);
    expect(ids[2]).toBe(UNK_ID);
    expect(ids[3]).toBe(EOS_ID);
    expect(tok.decode(ids)).toBe('the <unk>');
  });

  it('drops <pad>/<sos> and stops at <eos> when decoding, unless keepSpecials', () => {
    const cat = tok.vocabulary.id('cat');
    expect(tok.decode([SOS_ID, cat, EOS_ID, cat, PAD_ID])).toBe('cat');
    expect(tok.decode([SOS_ID, cat, EOS_ID, PAD_ID], { keepSpecials: true })).toBe('<sos> cat <eos> <pad>');
    expect(tok.decode(new Int32Array([cat, PAD_ID, cat]))).toBe('cat cat');
  });

  it('applies minimum frequency and maximum size', () => {
    const small = WordTokenizer.train(corpus, { minFrequency: 2 });
    // the ×6, on ×3, then the words seen twice in code-unit order (punctuation before letters).
    expect(small.vocabulary.tokens.slice(4)).toEqual(['the', 'on', '.', '?', 'cat', 'est', 'mat', 'sat']);
    expect(WordTokenizer.train(corpus, { maxSize: 6 }).vocabulary.tokens.slice(4)).toEqual(['the', 'on']);
  });

  it('saves and loads identically', () => {
    const json = JSON.stringify(tok);
    const back = tokenizerFromJSON(json);
    expect(back).toBeInstanceOf(WordTokenizer);
    expect(back.toJSON()).toEqual(tok.toJSON());
    expect(back.encode(corpus[2]!)).toEqual(tok.encode(corpus[2]!));
  });

  it('names the bad field when loading', () => {
    const json = tok.toJSON();
    expect(() => WordTokenizer.fromJSON({ ...json, type: 'char' })).toThrow(
      'WordTokenizer.fromJSON: type must be "word", got "char"',
    );
    expect(() => WordTokenizer.fromJSON({ ...json, normalize: { ...json.normalize, lowercase: 1 } })).toThrow(
      'normalize.lowercase must be a boolean',
    );
    expect(() => WordTokenizer.fromJSON({ ...json, vocabulary: { tokens: 'x' } })).toThrow(
      'vocabulary.tokens must be an array of strings',
    );
    expect(() => tokenizerFromJSON({ type: 'sentencepiece' })).toThrow(
      'tokenizerFromJSON: type must be "word", "char" or "bpe", got "sentencepiece"',
    );
  });
});

describe('CharTokenizer', () => {
  const tok = CharTokenizer.train(corpus);

  it('makes one token per code point, spaces included, punctuation unspaced', () => {
    expect(tok.tokens('Le  chat.')).toEqual(['l', 'e', ' ', 'c', 'h', 'a', 't', '.']);
    expect(tok.normalization.spacePunctuation).toBe(false);
  });

  it('round-trips in-vocabulary text (accents as combining marks under NFD)', () => {
    for (const text of corpus) expect(tok.decode(tok.encode(text))).toBe(tok.normalize(text));
    expect(tok.tokens('là')).toEqual(['l', 'a', '\u0300']);
  });

  it('keeps accented letters whole under NFC and strips them when asked', () => {
    expect(CharTokenizer.train(corpus, { normalize: { unicode: 'NFC' } }).tokens('là')).toEqual(['l', 'à']);
    expect(CharTokenizer.train(corpus, { normalize: { stripAccents: true } }).tokens('là')).toEqual([
      'l',
      'a',
    ]);
  });

  it('encodes unknown characters as <unk>', () => {
    expect(tok.encode('x')).toEqual([UNK_ID]);
  });

  it('builds from a fixed alphabet and saves and loads identically', () => {
    const abc = CharTokenizer.fromAlphabet(['a', 'b', 'c']);
    expect(abc.encode('cab')).toEqual([6, 4, 5]);
    expect(() => CharTokenizer.fromAlphabet(['ab'])).toThrow(/one character/);
    const back = tokenizerFromJSON(JSON.parse(JSON.stringify(tok)));
    expect(back).toBeInstanceOf(CharTokenizer);
    expect(back.toJSON()).toEqual(tok.toJSON());
  });
});
