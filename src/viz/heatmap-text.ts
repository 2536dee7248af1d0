/**
 * `heatmapText`: an attention matrix for a terminal. Each cell is a shade block (' ░▒▓█', none to full ink) or,
 * with `color`, an ANSI 256-colour background from the colour scale. Target tokens label the rows; source tokens
 * head the columns, written across when they fit a cell and downwards (one character per line) when not.
 */
import { numberOption } from '../tensor/errors.js';
import { checkColorScale, colorAt, MISSING_COLOR, type ColorScale } from './color-scale.js';
import { sanitizeTerminal } from './escape.js';
import { ANSI_RESET, ansiColors, displayWidth, fitColumns, shadeOf, SHADES } from './terminal.js';
import { formatNumber } from './ticks.js';
import { colorDomainMax, toMatrix, tokenLabels, type AttentionMatrix } from './weights.js';

export interface HeatmapTextOptions {
  /** ANSI 256-colour cells (default false: shade blocks, which survive logs and pipes). */
  color?: boolean;
  /** Columns the picture should fit in (default 80); cells shrink to one column before it overflows. */
  width?: number;
  /** The weight drawn with full ink / the top colour (default: the largest weight). */
  max?: number;
  /** Colour scale for `color` (default 'viridis'). */
  colorScale?: ColorScale;
  /** A last line explaining the shades or colours (default true). */
  legend?: boolean;
  /** Longest vertical column label, in characters (default 8). */
  maxLabelChars?: number;
}

/**
 * Lines (joined by '\n', no trailing newline) of equal display width, so a caller can print them beside other
 * text. Rows are target tokens, columns source tokens.
 */
export function heatmapText(
  weights: AttentionMatrix,
  sourceTokens?: readonly string[],
  targetTokens?: readonly string[],
  options: HeatmapTextOptions = {},
): string {
  const op = 'heatmapText';
  const matrix = toMatrix(op, weights);
  const sources = tokenLabels(op, 'sourceTokens', sourceTokens, matrix.cols, 'columns (source positions)');
  const targets = tokenLabels(op, 'targetTokens', targetTokens, matrix.rows, 'rows (target positions)');
  const width = numberOption(op, 'width', options.width, 80, { min: 8, max: 100_000 });
  const maxLabelChars = numberOption(op, 'maxLabelChars', options.maxLabelChars, 8, { min: 1, max: 1000 });
  const scale = options.colorScale ?? 'viridis';
  checkColorScale(op, scale);
  const max = colorDomainMax(op, options.max, matrix.values);

  const displayWidths = (tokens: string[]) => tokens.map((t) => displayWidth(sanitizeTerminal(t)));
  const labelWidth = Math.min(Math.max(1, ...displayWidths(targets)), Math.max(4, Math.floor(width * 0.3)));
  const room = Math.max(1, Math.floor((width - labelWidth - 1) / Math.max(1, matrix.cols)));
  const longestSource = Math.max(1, ...displayWidths(sources));
  const across = longestSource + 1 <= Math.min(room, 7);
  const cellWidth = across ? longestSource + 1 : Math.min(2, room);
  const gridWidth = matrix.cols * cellWidth;
  const indent = ' '.repeat(labelWidth + 1);

  const lines: string[] = [];
  if (across) {
    lines.push(indent + sources.map((t) => fitColumns(t, cellWidth)).join(''));
  } else {
    const depth = Math.min(maxLabelChars, longestSource);
    const vertical = sources.map((t) => {
      const chars = [...t];
      return chars.length > depth ? [...chars.slice(0, depth - 1), '…'] : chars;
    });
    for (let k = 0; k < depth; k++)
      lines.push(indent + vertical.map((chars) => fitColumns(chars[k] ?? '', cellWidth)).join(''));
  }
  for (let r = 0; r < matrix.rows; r++) {
    let row = fitColumns(targets[r]!, labelWidth, 'right') + ' ';
    for (let c = 0; c < matrix.cols; c++) {
      const t = matrix.values[r * matrix.cols + c]! / max;
      if (options.color) {
        const rgb = Number.isFinite(t) ? colorAt(scale, t) : MISSING_COLOR;
        row += `${ansiColors(rgb)}${' '.repeat(cellWidth)}${ANSI_RESET}`;
      } else row += shadeOf(t).repeat(cellWidth);
    }
    lines.push(row);
  }
  if (options.legend ?? true) {
    if (options.color) {
      const ramp = Array.from({ length: 8 }, (_, i) => `${ansiColors(colorAt(scale, i / 7))}  ${ANSI_RESET}`);
      lines.push(`${indent}0 ${ramp.join('')} ${formatNumber(max, 2)}`);
    } else {
      // Level k of round(4 t) starts at t = (k − ½) / 4.
      const steps = [...SHADES].slice(1).map((s, i) => `${s} ≥${formatNumber(((i + 0.5) / 4) * max, 2)}`);
      lines.push(`${indent}${steps.join('  ')}`);
    }
  }
  // Pad the lines to one width (escape sequences take no columns) so callers can set text beside them.
  // eslint-disable-next-line no-control-regex
  const visible = (line: string) => displayWidth(line.replace(/\x1b\[[0-9;]*m/g, ''));
  const full = Math.max(labelWidth + 1 + gridWidth, ...lines.map(visible));
  return lines.map((line) => line + ' '.repeat(full - visible(line))).join('\n');
}
