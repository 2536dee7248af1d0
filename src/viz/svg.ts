/** Small helpers for building SVG text: numbers for attributes, text width estimates, the document wrapper. */
import { escapeXml } from './escape.js';

/**
 * Fonts named in the SVG. PNG rendering loads DejaVu Sans, so layout widths are estimated for it; browsers
 * without it fall back to Verdana (similar widths) or their sans-serif.
 */
export const FONT_FAMILY = "'DejaVu Sans', Verdana, sans-serif";

/** A number for an attribute: at most two decimals, no trailing zeros. */
export function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Whether a code point is drawn about one em wide (CJK, Hangul, full-width forms, most emoji). */
export function isWide(codePoint: number): boolean {
  return (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1faff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  );
}

/**
 * An upper estimate of the drawn width of `text` in DejaVu Sans at `fontSize` pixels (its average advance is
 * about 0.6 em; capitals and wide glyphs take more). Layout only needs it to leave enough room.
 */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let ems = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x300 && cp <= 0x36f) continue; // combining marks take no advance
    if (isWide(cp)) ems += 1;
    else if (/[A-Z MW@%&]/.test(ch)) ems += 0.75;
    else if (/[il.,:;'|!]/.test(ch)) ems += 0.32;
    else ems += 0.62;
  }
  return ems * fontSize * (bold ? 1.1 : 1);
}

/** `text` cut to `maxChars` characters (code points), ending in an ellipsis when cut. */
export function truncate(text: string, maxChars: number): string {
  const chars = [...text];
  return chars.length <= maxChars ? text : chars.slice(0, Math.max(1, maxChars - 1)).join('') + '…';
}

/** A `<text>` element; `attributes` are raw (already escaped) attribute text. */
export function textElement(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${num(x)}" y="${num(y)}"${attributes ? ' ' + attributes : ''}>${escapeXml(content)}</text>`;
}

/** The space between a picture's edge and what it draws, in pixels. */
export const MARGIN = 12;

/**
 * Draws a picture's bold title (when it has one) at the top-left margin, in `size` pixels; returns the y below
 * it, where the picture's content starts.
 */
export function drawTitle(body: string[], title: string | undefined, size: number): number {
  if (!title) return MARGIN;
  body.push(textElement(MARGIN, MARGIN + size, title, `font-size="${size}" font-weight="bold"`));
  return MARGIN + size + 10;
}

/** The offset from a line's middle to its baseline, so text centres on a y without dominant-baseline. */
export function baselineShift(fontSize: number): number {
  return fontSize * 0.35;
}

/** Wraps drawing elements in a standalone SVG document with a background and an accessible title. */
export function svgDocument(
  width: number,
  height: number,
  body: readonly string[],
  options: { title?: string | undefined; background?: string | undefined; defs?: readonly string[] } = {},
): string {
  const w = Math.ceil(width);
  const h = Math.ceil(height);
  const label = options.title ? ` aria-label="${escapeXml(options.title)}"` : '';
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ` +
      `role="img"${label} font-family="${escapeXml(FONT_FAMILY)}">`,
  ];
  if (options.title) lines.push(`<title>${escapeXml(options.title)}</title>`);
  if (options.defs && options.defs.length > 0) lines.push('<defs>', ...options.defs, '</defs>');
  const background = options.background ?? '#ffffff';
  if (background !== 'none')
    lines.push(`<rect x="0" y="0" width="${w}" height="${h}" fill="${escapeXml(background)}"/>`);
  lines.push(...body, '</svg>');
  return lines.join('\n') + '\n';
}
