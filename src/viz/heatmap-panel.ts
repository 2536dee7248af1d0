/**
 * One attention matrix drawn as a grid of coloured cells, with target tokens labelling the rows (left) and source
 * tokens the columns (above, rotated). Shared by the single heatmap and the layer × head grid, which lay panels
 * out with `panelGeometry` and draw them with `panelSvg`.
 */
import { colorAt, contrastingText, MISSING_COLOR, rgbToHex, type ColorScale } from './color-scale.js';
import { escapeXml } from './escape.js';
import { baselineShift, num, textElement, textWidth, truncate } from './svg.js';
import { formatNumber } from './ticks.js';
import type { Matrix } from './weights.js';

export interface PanelStyle {
  readonly cellSize: number;
  readonly fontSize: number;
  readonly scale: ColorScale;
  /** The weight drawn with the top colour of the scale. */
  readonly max: number;
  readonly showValues: boolean;
  readonly tooltips: boolean;
  readonly maxLabelChars: number;
  /** Column labels rotated 45° (reading up and right) or 90° (reading upwards; never overlap). */
  readonly columnLabelAngle: 45 | 90;
}

export interface PanelTokens {
  /** One per row (target) and per column (source); used for labels and tooltips. */
  readonly rows: readonly string[];
  readonly cols: readonly string[];
  readonly drawRowLabels: boolean;
  readonly drawColLabels: boolean;
}

export interface PanelGeometry {
  readonly gridWidth: number;
  readonly gridHeight: number;
  /** Room the row labels take left of the grid (0 when not drawn). */
  readonly rowLabelWidth: number;
  /** Room the column labels take above the grid (0 when not drawn). */
  readonly colLabelHeight: number;
  /** How far rotated column labels reach right of the grid. */
  readonly colLabelOverhang: number;
}

const LABEL_GAP = 6;
const SIN45 = Math.SQRT1_2;

export function panelGeometry(matrix: Matrix, tokens: PanelTokens, style: PanelStyle): PanelGeometry {
  const { cellSize, fontSize, maxLabelChars } = style;
  const gridWidth = matrix.cols * cellSize;
  const gridHeight = matrix.rows * cellSize;
  let rowLabelWidth = 0;
  if (tokens.drawRowLabels && matrix.rows > 0)
    rowLabelWidth =
      Math.ceil(Math.max(...tokens.rows.map((t) => textWidth(truncate(t, maxLabelChars), fontSize)))) +
      LABEL_GAP;
  let colLabelHeight = 0;
  let colLabelOverhang = 0;
  if (tokens.drawColLabels && matrix.cols > 0) {
    const widths = tokens.cols.map((t) => textWidth(truncate(t, maxLabelChars), fontSize));
    const longest = Math.max(...widths);
    if (style.columnLabelAngle === 90) {
      colLabelHeight = Math.ceil(longest) + LABEL_GAP;
      colLabelOverhang = 0;
    } else {
      colLabelHeight = Math.ceil(longest * SIN45 + fontSize) + LABEL_GAP;
      widths.forEach((w, j) => {
        const reach = (j + 0.5) * cellSize + w * SIN45 + fontSize * 0.5 - gridWidth;
        colLabelOverhang = Math.max(colLabelOverhang, Math.ceil(reach));
      });
    }
  }
  return { gridWidth, gridHeight, rowLabelWidth, colLabelHeight, colLabelOverhang };
}

/** Text for a cell's value: two decimals fit a cell and read well for weights in [0, 1]. */
function cellValueText(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : formatNumber(value);
}

/** The panel with its grid's top-left corner at (gridX, gridY); labels are drawn outside the grid. */
export function panelSvg(
  matrix: Matrix,
  tokens: PanelTokens,
  style: PanelStyle,
  gridX: number,
  gridY: number,
): string {
  const { cellSize, fontSize, maxLabelChars } = style;
  const parts: string[] = ['<g class="cells">'];
  const valueFont = Math.min(fontSize, Math.floor(cellSize * 0.36));
  for (let r = 0; r < matrix.rows; r++) {
    for (let c = 0; c < matrix.cols; c++) {
      const value = matrix.values[r * matrix.cols + c]!;
      const color = Number.isFinite(value) ? colorAt(style.scale, value / style.max) : MISSING_COLOR;
      const x = gridX + c * cellSize;
      const y = gridY + r * cellSize;
      const rect =
        `<rect x="${num(x)}" y="${num(y)}" width="${cellSize}" height="${cellSize}" ` +
        `fill="${rgbToHex(color)}" data-row="${r}" data-col="${c}" data-weight="${value}"`;
      if (style.tooltips) {
        const tip = `${tokens.rows[r]} → ${tokens.cols[c]}: ${formatNumber(value)}`;
        parts.push(`${rect}><title>${escapeXml(tip)}</title></rect>`);
      } else parts.push(`${rect}/>`);
      if (style.showValues && valueFont >= 5)
        parts.push(
          textElement(
            x + cellSize / 2,
            y + cellSize / 2 + baselineShift(valueFont),
            cellValueText(value),
            `font-size="${valueFont}" text-anchor="middle" fill="${contrastingText(color)}" pointer-events="none"`,
          ),
        );
    }
  }
  parts.push('</g>');
  if (tokens.drawRowLabels) {
    parts.push('<g class="row-labels">');
    tokens.rows.forEach((token, r) => {
      const y = gridY + (r + 0.5) * cellSize + baselineShift(fontSize);
      parts.push(
        textElement(
          gridX - LABEL_GAP,
          y,
          truncate(token, maxLabelChars),
          `font-size="${fontSize}" text-anchor="end"`,
        ),
      );
    });
    parts.push('</g>');
  }
  if (tokens.drawColLabels) {
    parts.push('<g class="column-labels">');
    const shift = baselineShift(fontSize);
    tokens.cols.forEach((token, c) => {
      const cx = gridX + (c + 0.5) * cellSize;
      // Shift the baseline so the glyphs, not their baseline, line up with the column's centre.
      const x = style.columnLabelAngle === 90 ? cx + shift : cx + shift * SIN45;
      const y = gridY - LABEL_GAP + (style.columnLabelAngle === 90 ? 0 : shift * SIN45 - 2);
      parts.push(
        textElement(
          x,
          y,
          truncate(token, maxLabelChars),
          `font-size="${fontSize}" transform="rotate(-${style.columnLabelAngle} ${num(x)} ${num(y)})"`,
        ),
      );
    });
    parts.push('</g>');
  }
  return parts.join('\n');
}
