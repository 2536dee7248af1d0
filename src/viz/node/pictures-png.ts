/** PNG versions of the SVG pictures: each draws the SVG and renders it with `svgToPng`. Node-only. */
import { attentionGridSvg, type AttentionGridOptions, type AttentionLayers } from '../attention-grid-svg.js';
import { curvesSvg, type CurveSeries, type CurvesOptions } from '../curves-svg.js';
import { heatmapSvg, type HeatmapOptions } from '../heatmap-svg.js';
import { highlightTokensSvg, type HighlightSvgOptions } from '../highlight-svg.js';
import type { AttentionMatrix, WeightVector } from '../weights.js';
import { svgToPng, type PngOptions } from './png.js';

/** `heatmapSvg` as PNG bytes. */
export function heatmapPng(weights: AttentionMatrix, options: HeatmapOptions & PngOptions = {}): Uint8Array {
  return svgToPng(heatmapSvg(weights, options), options);
}

/** `attentionGridSvg` as PNG bytes. */
export function attentionGridPng(
  weights: AttentionLayers,
  options: AttentionGridOptions & PngOptions = {},
): Uint8Array {
  return svgToPng(attentionGridSvg(weights, options), options);
}

/** `curvesSvg` as PNG bytes. */
export function curvesPng(
  series: readonly CurveSeries[],
  options: CurvesOptions & PngOptions = {},
): Uint8Array {
  return svgToPng(curvesSvg(series, options), options);
}

/** `highlightTokensSvg` as PNG bytes. */
export function highlightTokensPng(
  tokens: readonly string[],
  weights: WeightVector,
  options: HighlightSvgOptions & PngOptions = {},
): Uint8Array {
  return svgToPng(highlightTokensSvg(tokens, weights, options), options);
}
