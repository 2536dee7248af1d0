/** Terminal output helpers: display widths of text, ANSI 256-colour escapes and the shade-block ramp. */
import type { Rgb } from './color-scale.js';
import { sanitizeTerminal } from './escape.js';
import { isWide } from './svg.js';

/** Five levels of ink, from none to full: a weight in [0, 1] picks `SHADES[round(4 t)]`. */
export const SHADES = ' ░▒▓█';

/** The shade character for t in [0, 1] (NaN shows as '?'). */
export function shadeOf(t: number): string {
  if (Number.isNaN(t)) return '?';
  return SHADES[Math.round(Math.min(1, Math.max(0, t)) * 4)]!;
}

export const ANSI_RESET = '\x1b[0m';

const CUBE_LEVELS = [0, 95, 135, 175, 215, 255];

function nearestCubeLevel(c: number): number {
  let best = 0;
  for (let i = 1; i < CUBE_LEVELS.length; i++)
    if (Math.abs(CUBE_LEVELS[i]! - c) < Math.abs(CUBE_LEVELS[best]! - c)) best = i;
  return best;
}

/** The xterm 256-colour palette index nearest to `rgb`: the 6×6×6 cube (16–231) or the grey ramp (232–255). */
export function ansi256(rgb: Rgb): number {
  const [r, g, b] = rgb;
  const [ri, gi, bi] = [nearestCubeLevel(r), nearestCubeLevel(g), nearestCubeLevel(b)];
  const cube: Rgb = [CUBE_LEVELS[ri]!, CUBE_LEVELS[gi]!, CUBE_LEVELS[bi]!];
  const greyIndex = Math.min(23, Math.max(0, Math.round(((r + g + b) / 3 - 8) / 10)));
  const grey = 8 + 10 * greyIndex;
  const distance = (c: Rgb) => (c[0] - r) ** 2 + (c[1] - g) ** 2 + (c[2] - b) ** 2;
  return distance([grey, grey, grey]) < distance(cube) ? 232 + greyIndex : 16 + 36 * ri + 6 * gi + bi;
}

/** Starts a background colour (and a foreground for text on it). */
export function ansiColors(background: Rgb, foreground?: Rgb): string {
  const bg = `\x1b[48;5;${ansi256(background)}m`;
  return foreground ? `${bg}\x1b[38;5;${ansi256(foreground)}m` : bg;
}

/** Columns a code point takes in a terminal: 2 for wide (CJK, emoji), 0 for combining marks, else 1. */
function columnsOf(codePoint: number): number {
  if ((codePoint >= 0x300 && codePoint <= 0x36f) || codePoint === 0x200d) return 0;
  return isWide(codePoint) ? 2 : 1;
}

/** Terminal columns `text` takes. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += columnsOf(ch.codePointAt(0)!);
  return width;
}

/** `text` made safe to print and cut to at most `columns` columns (ending in '…' when cut), then padded to it. */
export function fitColumns(text: string, columns: number, align: 'left' | 'right' = 'left'): string {
  let safe = sanitizeTerminal(text);
  if (displayWidth(safe) > columns) {
    let out = '';
    let width = 0;
    for (const ch of safe) {
      const w = columnsOf(ch.codePointAt(0)!);
      if (width + w > columns - 1) break;
      out += ch;
      width += w;
    }
    safe = columns >= 1 ? out + '…' : '';
  }
  const pad = ' '.repeat(Math.max(0, columns - displayWidth(safe)));
  return align === 'left' ? safe + pad : pad + safe;
}
