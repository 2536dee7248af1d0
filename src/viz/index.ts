/**
 * Pictures of attention, browser-safe: heatmaps and layer × head grids as SVG, token highlighting (SVG, HTML,
 * terminal), text heatmaps for terminals, and training curves from the metrics log. PNG output and file writing
 * are in `./node/` (reached from `attn/node`).
 */
export { heatmapSvg, type HeatmapOptions } from './heatmap-svg.js';
export { attentionGridSvg, type AttentionGridOptions, type AttentionLayers } from './attention-grid-svg.js';
export { heatmapText, type HeatmapTextOptions } from './heatmap-text.js';
export { highlightTokensSvg, type HighlightSvgOptions } from './highlight-svg.js';
export { highlightTokensHtml, type HighlightHtmlOptions } from './highlight-html.js';
export { highlightTokensText, type HighlightTextOptions } from './highlight-text.js';
export type { HighlightOptions } from './highlight-colors.js';
export { curvesSvg, type CurveSeries, type CurvesOptions } from './curves-svg.js';
export { readMetricsLog, type MetricsLogOptions } from './metrics-log.js';
export {
  colorAt,
  rgbToHex,
  COLOR_SCALE_NAMES,
  type ColorScale,
  type ColorScaleName,
  type Rgb,
} from './color-scale.js';
export { escapeXml } from './escape.js';
export type { AttentionMatrix, WeightVector } from './weights.js';
