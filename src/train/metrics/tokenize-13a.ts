/**
 * The tokeniser of mteval-v13a.pl (WMT's official BLEU script), as sacrebleu's default `13a` tokeniser applies
 * it. In order:
 *
 * 1. remove `<skipped>`, join words hyphenated across lines (`-\n`), and turn the other line breaks into spaces;
 * 2. un-escape `&quot;` `&amp;` `&lt;` `&gt;` (each once, in that order);
 * 3. pad the line with a space on each side and split off every punctuation and symbol character of
 *    `{|}~ [\]^_` ` !"#$%& ()*+ :;<=>?@ /` — but not the apostrophe, `-`, `.` or `,`;
 * 4. split off `.` and `,` unless preceded by a digit, then unless followed by a digit (so `3.14` and `1,000`
 *    stay whole, `end.` and `.5` do not);
 * 5. split off `-` when preceded by a digit (`1990-2000` → `1990 - 2000`; `e-mail` stays whole);
 * 6. collapse whitespace.
 *
 * Each regular-expression step scans left to right without overlapping matches, as Perl and Python do.
 */

/** Python's `str.split()` whitespace (its notion of space differs from JavaScript's `\s` in a few code points). */
const PY_SPACE =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPLIT_SPACE = new RegExp(`[${PY_SPACE}]+`);
const TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`);

const SYMBOL = /([{-~[-` -&(-+:-@/])/g;
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/g;
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/g;
const DASH_AFTER_DIGIT = /([0-9])(-)/g;

/** Tokens of `line` under the 13a rules (see the module comment). */
export function tokenize13a(line: string): string[] {
  let s = line
    .replaceAll('<skipped>', '')
    .replaceAll('-\n', '')
    .replaceAll('\n', ' ')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
  s = ` ${s} `
    .replace(SYMBOL, ' $1 ')
    .replace(PERIOD_COMMA_AFTER_NON_DIGIT, '$1 $2 ')
    .replace(PERIOD_COMMA_BEFORE_NON_DIGIT, ' $1 $2')
    .replace(DASH_AFTER_DIGIT, '$1 $2 ');
  return splitWhitespace(s);
}

/** Python's `line.split()`: tokens between runs of whitespace, none empty. */
export function splitWhitespace(line: string): string[] {
  return line.split(SPLIT_SPACE).filter((t) => t.length > 0);
}

/** Python's `line.rstrip()`. */
export function trimEndPython(line: string): string {
  return line.replace(TRAILING_SPACE, '');
}
