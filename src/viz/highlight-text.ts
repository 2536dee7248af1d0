/**
 * `highlightTokensText`: tokens highlighted by weight for a terminal — on ANSI 256-colour backgrounds, or, without
 * colour, with a bar of shade blocks (' ░▒▓█') under each token.
 */
import { numberOption } from '../tensor/errors.js';
import { contrastingText, hexToRgb } from './color-scale.js';
import { sanitizeTerminal } from './escape.js';
import { tokenColors, type HighlightOptions } from './highlight-colors.js';
import { ANSI_RESET, ansiColors, displayWidth, shadeOf } from './terminal.js';
import type { WeightVector } from './weights.js';

export interface HighlightTextOptions extends HighlightOptions {
  /** ANSI colours (default false: plain text with shade bars, safe for logs and pipes). */
  color?: boolean;
  /** Columns to wrap within (default 80). */
  width?: number;
}

/** Lines of text (joined by '\n', no trailing newline) showing each token's weight. */
export function highlightTokensText(
  tokens: readonly string[],
  weights: WeightVector,
  options: HighlightTextOptions = {},
): string {
  const op = 'highlightTokensText';
  const colored = tokenColors(op, tokens, weights, options);
  const width = numberOption(op, 'width', options.width, 80, { min: 1, max: 100_000 });
  const pieces = colored.tokens.map((t) => sanitizeTerminal(t));
  // Wrap tokens into lines of at most `width` columns (a token wider than that gets a line of its own).
  const lines: number[][] = [];
  let line: number[] = [];
  let used = 0;
  pieces.forEach((piece, i) => {
    const w = displayWidth(piece);
    if (line.length > 0 && used + 1 + w > width) {
      lines.push(line);
      line = [];
      used = 0;
    }
    used += (line.length > 0 ? 1 : 0) + w;
    line.push(i);
  });
  if (line.length > 0) lines.push(line);

  const out: string[] = [];
  for (const indices of lines) {
    if (options.color) {
      const spans = indices.map((i) => {
        const bg = colored.colors[i]!;
        return `${ansiColors(bg, hexToRgb(contrastingText(bg)))}${pieces[i]}${ANSI_RESET}`;
      });
      out.push(spans.join(' '));
    } else {
      out.push(indices.map((i) => pieces[i]).join(' '));
      out.push(indices.map((i) => shadeOf(colored.levels[i]!).repeat(displayWidth(pieces[i]!))).join(' '));
    }
  }
  return out.join('\n');
}
