import { describe, expect, it } from 'vitest';
import {
  createNormalizer,
  IDENTITY_NORMALIZATION,
  normalizeOptionsFromJSON,
  normalizeText,
  resolveNormalizeOptions,
} from '../../src/data/normalize.js';
import { AttnError } from '../../src/tensor/errors.js';

describe('normalizeText', () => {
  it('lower-cases, spaces punctuation and collapses whitespace by default', () => {
    expect(normalizeText('  Hello,   World!How are you?  ')).toBe('hello , world ! how are you ?');
    expect(normalizeText('Tom said: "Go (now)."')).toBe('tom said : " go ( now ) . "');
  });

  it('decomposes to NFD by default and keeps accents unless asked', () => {
    const out = normalizeText('Été');
    expect(out).toBe('e\u0301te\u0301');
    expect(out.normalize('NFC')).toBe('été');
    expect(normalizeText('Été', { unicode: 'NFC' })).toBe('été');
  });

  it('strips accents (combining marks) when asked', () => {
    expect(normalizeText('Élève, ÇA va?  Très «bien»!', { stripAccents: true })).toBe(
      'eleve , ca va ? tres « bien » !',
    );
    expect(normalizeText('naïve café İstanbul', { stripAccents: true })).toBe('naive cafe istanbul');
  });

  it('treats non-breaking spaces (French typography) as whitespace', () => {
    expect(normalizeText('Quand\u00a0?\u202fOui\u00a0!')).toBe('quand ? oui !');
  });

  it('keeps apostrophes and hyphens inside words by default', () => {
    expect(normalizeText("You're well-known.")).toBe("you're well-known .");
  });

  it('turns each step off independently', () => {
    expect(normalizeText(' A.b  C ', { lowercase: false })).toBe('A . b C');
    expect(normalizeText(' A.b  C ', { spacePunctuation: false })).toBe('a.b c');
    expect(normalizeText(' A.b  C ', { collapseWhitespace: false })).toBe(' a . b  c ');
    expect(normalizeText('a-b.c', { punctuation: '-' })).toBe('a - b.c');
    expect(normalizeText(' É.b ', IDENTITY_NORMALIZATION)).toBe(' É.b ');
  });

  it('escapes regular-expression characters in the punctuation set', () => {
    const n = createNormalizer({ punctuation: ']^\\-' });
    expect(n('a]b^c\\d-e')).toBe('a ] b ^ c \\ d - e');
  });

  it('resolves defaults and rejects an unknown normal form', () => {
    expect(resolveNormalizeOptions()).toMatchObject({ unicode: 'NFD', lowercase: true, stripAccents: false });
    expect(() => resolveNormalizeOptions({ unicode: 'NFX' as 'NFD' })).toThrow(AttnError);
  });

  it('reads saved options back, naming the bad field', () => {
    const saved = resolveNormalizeOptions({ stripAccents: true });
    expect(normalizeOptionsFromJSON('load', JSON.parse(JSON.stringify(saved)), 'normalize')).toEqual(saved);
    expect(() => normalizeOptionsFromJSON('load', { ...saved, lowercase: 'yes' }, 'normalize')).toThrow(
      'load: normalize.lowercase must be a boolean',
    );
    expect(() => normalizeOptionsFromJSON('load', { ...saved, unicode: 'X' }, 'normalize')).toThrow(
      /normalize\.unicode must be one of/,
    );
  });
});
