/**
 * `heatmapSvg`: an attention matrix as an SVG picture. Rows are target tokens (the queries: what is being
 * produced), columns are source tokens (the keys: what is attended to); cell (i, j) is coloured by the weight
 * target i gives source j. Browser-safe: it only builds a string.
 */
import { numberOption } from '../tensor/errors.js';
import { checkColorScale } from './color-scale.js';
import { panelGeometry, panelSvg, type PanelStyle } from './heatmap-panel.js';
import { colorLegend } from './legend.js';
import { columnLabelAngle, type MatrixPictureOptions } from './options.js';
import { drawTitle, MARGIN, num, svgDocument, textElement, textWidth } from './svg.js';
import { colorDomainMax, toMatrix, tokenLabels, type AttentionMatrix } from './weights.js';

/** Defaults: cells of 28 px, labels of 12 px cut at 20 characters. */
export interface HeatmapOptions extends MatrixPictureOptions {
  /** Print each weight in its cell with two decimals (default false). */
  showValues?: boolean;
  /** Axis captions (default 'source' and 'target'; '' hides one). */
  xLabel?: string;
  yLabel?: string;
  /** Column label rotation (default 45°, or 90° when cells are too narrow for slanted labels). */
  columnLabelAngle?: 45 | 90;
}

const LEGEND_MIN_HEIGHT = 80;

/** The SVG document of an attention matrix [Tt, Ts] (number[][] or Tensor, leading size-1 axes dropped). */
export function heatmapSvg(weights: AttentionMatrix, options: HeatmapOptions = {}): string {
  const op = 'heatmapSvg';
  const matrix = toMatrix(op, weights);
  const scale = options.colorScale ?? 'viridis';
  checkColorScale(op, scale);
  const cellSize = numberOption(op, 'cellSize', options.cellSize, 28, { min: 2, max: 1000 });
  const fontSize = numberOption(op, 'fontSize', options.fontSize, 12, { min: 4, max: 200 });
  const style: PanelStyle = {
    cellSize,
    fontSize,
    scale,
    max: colorDomainMax(op, options.max, matrix.values),
    showValues: options.showValues ?? false,
    tooltips: options.tooltips ?? true,
    maxLabelChars: numberOption(op, 'maxLabelChars', options.maxLabelChars, 20, { min: 2, max: 1000 }),
    columnLabelAngle: columnLabelAngle(cellSize, fontSize, options.columnLabelAngle),
  };
  const tokens = {
    rows: tokenLabels(op, 'targetTokens', options.targetTokens, matrix.rows, 'rows (target positions)'),
    cols: tokenLabels(op, 'sourceTokens', options.sourceTokens, matrix.cols, 'columns (source positions)'),
    drawRowLabels: true,
    drawColLabels: true,
  };
  const geometry = panelGeometry(matrix, tokens, style);
  const xLabel = options.xLabel ?? 'source';
  const yLabel = options.yLabel ?? 'target';
  const titleSize = Math.round(fontSize * 1.3);

  const body: string[] = [];
  const top = drawTitle(body, options.title, titleSize);
  const xLabelHeight = xLabel ? fontSize + 6 : 0;
  const yLabelWidth = yLabel ? fontSize + 8 : 0;
  const gridX = MARGIN + yLabelWidth + geometry.rowLabelWidth;
  const gridY = top + xLabelHeight + geometry.colLabelHeight;
  const captionStyle = `font-size="${fontSize}" fill="#555555" font-style="italic" text-anchor="middle"`;
  if (xLabel) body.push(textElement(gridX + geometry.gridWidth / 2, top + fontSize, xLabel, captionStyle));
  if (yLabel) {
    const x = MARGIN + fontSize;
    const y = gridY + geometry.gridHeight / 2;
    body.push(textElement(x, y, yLabel, `${captionStyle} transform="rotate(-90 ${num(x)} ${num(y)})"`));
  }
  body.push(panelSvg(matrix, tokens, style, gridX, gridY));

  let right = gridX + geometry.gridWidth + geometry.colLabelOverhang;
  let bottom = gridY + geometry.gridHeight;
  const defs: string[] = [];
  if (options.legend ?? true) {
    const legendHeight = Math.max(geometry.gridHeight, LEGEND_MIN_HEIGHT);
    const legend = colorLegend(
      gridX + geometry.gridWidth + Math.max(16, geometry.colLabelOverhang + 8),
      gridY,
      legendHeight,
      style.max,
      scale,
      fontSize,
    );
    defs.push(legend.def);
    body.push(legend.body);
    right = gridX + geometry.gridWidth + Math.max(16, geometry.colLabelOverhang + 8) + legend.width;
    bottom = Math.max(bottom, gridY + legendHeight);
  }
  const titleRight = options.title ? MARGIN + textWidth(options.title, titleSize, true) : 0;
  const width = Math.max(right, titleRight) + MARGIN;
  return svgDocument(width, bottom + MARGIN, body, {
    title: options.title,
    background: options.background,
    defs,
  });
}
