/**
 * Escaping of untrusted text (tokens come from user data) for XML/SVG/HTML and for terminals. Token text can hold
 * anything a corpus holds: markup characters, control characters, lone surrogates from a split emoji.
 */

/** Characters XML 1.0 cannot hold at all, even escaped: C0 controls other than tab/LF/CR, U+FFFE/U+FFFF. */
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
/** A lone surrogate (half of a pair cut apart) is not a character; XML parsers reject it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const REPLACEMENT = '\uFFFD';

const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text safe inside an XML or HTML element or a quoted attribute: `& < > " '` become entities, and characters
 * that XML cannot represent become U+FFFD.
 */
export function escapeXml(text: string): string {
  return text
    .replace(XML_INVALID, REPLACEMENT)
    .replace(LONE_SURROGATE, REPLACEMENT)
    .replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!);
}

/** C0 and C1 controls and DEL: printed raw they move the cursor or start escape sequences in a terminal. */
// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROL = /[\u0000-\u001F\u007F-\u009F]/g;

/** Text safe to print in a terminal: control characters (ESC included) become U+FFFD. */
export function sanitizeTerminal(text: string): string {
  return text.replace(TERMINAL_CONTROL, REPLACEMENT).replace(LONE_SURROGATE, REPLACEMENT);
}
