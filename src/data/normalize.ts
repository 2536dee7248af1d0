/**
 * Text normalisation before tokenizing: Unicode normal form, optional accent stripping, lower-casing, spaces
 * around punctuation and collapsed whitespace. Each step is configurable; the resolved options are saved with a
 * tokenizer so that a loaded tokenizer normalises exactly as the trained one did.
 *
 * The order is fixed: lower case → accents (if stripped) → normal form → punctuation → whitespace.
 */
import { fail } from '../tensor/errors.js';
import { expectBoolean, expectRecord, expectString } from './json-fields.js';

export type UnicodeForm = 'NFD' | 'NFC' | 'NFKD' | 'NFKC' | 'none';

/** Characters that get spaces around them by default: sentence and clause punctuation, quotes, brackets. */
export const DEFAULT_PUNCTUATION = '.,!?;:"()[]{}¿¡«»…';

export interface TextNormalizeOptions {
  /** Unicode normal form applied to the text. Default `'NFD'` (accents become separate combining marks). */
  unicode?: UnicodeForm;
  /** Remove combining marks (Unicode category M) after canonical decomposition: "été" → "ete". Default false. */
  stripAccents?: boolean;
  /** Lower-case the text (locale-independent). Default true. */
  lowercase?: boolean;
  /** Put a space on both sides of each character of `punctuation`. Default true. */
  spacePunctuation?: boolean;
  /** The characters `spacePunctuation` separates. Default `DEFAULT_PUNCTUATION`. */
  punctuation?: string;
  /** Turn every run of whitespace into one space and trim both ends. Default true. */
  collapseWhitespace?: boolean;
}

export type ResolvedTextNormalizeOptions = Required<TextNormalizeOptions>;

const FORMS: readonly UnicodeForm[] = ['NFD', 'NFC', 'NFKD', 'NFKC', 'none'];

/** The options with every default filled in (what tokenizers save). */
export function resolveNormalizeOptions(options: TextNormalizeOptions = {}): ResolvedTextNormalizeOptions {
  const resolved: ResolvedTextNormalizeOptions = {
    unicode: options.unicode ?? 'NFD',
    stripAccents: options.stripAccents ?? false,
    lowercase: options.lowercase ?? true,
    spacePunctuation: options.spacePunctuation ?? true,
    punctuation: options.punctuation ?? DEFAULT_PUNCTUATION,
    collapseWhitespace: options.collapseWhitespace ?? true,
  };
  if (!FORMS.includes(resolved.unicode)) {
    fail('normalize', `unicode must be one of ${FORMS.join(', ')}, got ${String(resolved.unicode)}`);
  }
  return resolved;
}

/** Options that change nothing: for text that is already in its final form (the synthetic tasks). */
export const IDENTITY_NORMALIZATION: ResolvedTextNormalizeOptions = Object.freeze({
  unicode: 'none',
  stripAccents: false,
  lowercase: false,
  spacePunctuation: false,
  punctuation: '',
  collapseWhitespace: false,
});

function escapeForClass(chars: string): string {
  return Array.from(chars, (c) => (/[\\\]^-]/.test(c) ? `\\${c}` : c)).join('');
}

/** A normalising function with the regular expressions compiled once. */
export function createNormalizer(options: TextNormalizeOptions = {}): (text: string) => string {
  const o = resolveNormalizeOptions(options);
  const punctuation =
    o.spacePunctuation && o.punctuation.length > 0
      ? new RegExp(`([${escapeForClass(o.punctuation)}])`, 'gu')
      : null;
  return (text: string): string => {
    let s = text;
    // Lower-casing first: it can itself produce combining marks ("İ" → "i̇"), which stripping then removes.
    if (o.lowercase) s = s.toLowerCase();
    if (o.stripAccents) s = s.normalize('NFD').replace(/\p{M}/gu, '');
    if (o.unicode !== 'none') s = s.normalize(o.unicode);
    if (punctuation) s = s.replace(punctuation, ' $1 ');
    if (o.collapseWhitespace) s = s.replace(/\s+/gu, ' ').trim();
    return s;
  };
}

/** Normalises one text; for many texts, `createNormalizer` compiles the options once. */
export function normalizeText(text: string, options: TextNormalizeOptions = {}): string {
  return createNormalizer(options)(text);
}

/** Reads saved normalisation options, naming the field at fault. */
export function normalizeOptionsFromJSON(
  op: string,
  value: unknown,
  field: string,
): ResolvedTextNormalizeOptions {
  const obj = expectRecord(op, value, field);
  const unicode = expectString(op, obj.unicode, `${field}.unicode`);
  if (!FORMS.includes(unicode as UnicodeForm)) {
    fail(op, `${field}.unicode must be one of ${FORMS.join(', ')}, got ${JSON.stringify(unicode)}`);
  }
  return {
    unicode: unicode as UnicodeForm,
    stripAccents: expectBoolean(op, obj.stripAccents, `${field}.stripAccents`),
    lowercase: expectBoolean(op, obj.lowercase, `${field}.lowercase`),
    spacePunctuation: expectBoolean(op, obj.spacePunctuation, `${field}.spacePunctuation`),
    punctuation: expectString(op, obj.punctuation, `${field}.punctuation`),
    collapseWhitespace: expectBoolean(op, obj.collapseWhitespace, `${field}.collapseWhitespace`),
  };
}
