/**
 * Writing pictures to files, atomically (a crash never leaves half a picture): the format follows the path's
 * extension, `.svg` or `.png`. Node-only.
 */
import { extname } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { fail } from '../../tensor/errors.js';
import { attentionGridSvg, type AttentionGridOptions, type AttentionLayers } from '../attention-grid-svg.js';
import { curvesSvg, type CurveSeries, type CurvesOptions } from '../curves-svg.js';
import { heatmapSvg, type HeatmapOptions } from '../heatmap-svg.js';
import { highlightTokensSvg, type HighlightSvgOptions } from '../highlight-svg.js';
import type { AttentionMatrix, WeightVector } from '../weights.js';
import { svgToPng, type PngOptions } from './png.js';

/** 'svg' or 'png' from a path's extension (case-insensitive); anything else is an error naming `op`. */
export function pictureFormat(op: string, path: string): 'svg' | 'png' {
  const ext = extname(path).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.png') return 'png';
  return fail(op, `cannot tell the picture format of ${JSON.stringify(path)}: use a .svg or .png file name`);
}

/** Writes an SVG document to `path` as SVG or PNG by its extension. */
export async function writeSvgPicture(
  op: string,
  path: string,
  svg: () => string,
  options: PngOptions = {},
): Promise<void> {
  const format = pictureFormat(op, path);
  const bytes = format === 'png' ? svgToPng(svg(), options) : new TextEncoder().encode(svg());
  await writeFileAtomic(path, bytes);
}

/** Writes `heatmapSvg(weights, options)` to `path` (.svg or .png). */
export function writeHeatmap(
  path: string,
  weights: AttentionMatrix,
  options: HeatmapOptions & PngOptions = {},
): Promise<void> {
  return writeSvgPicture('writeHeatmap', path, () => heatmapSvg(weights, options), options);
}

/** Writes `attentionGridSvg(weights, options)` to `path` (.svg or .png). */
export function writeAttentionGrid(
  path: string,
  weights: AttentionLayers,
  options: AttentionGridOptions & PngOptions = {},
): Promise<void> {
  return writeSvgPicture('writeAttentionGrid', path, () => attentionGridSvg(weights, options), options);
}

/** Writes `curvesSvg(series, options)` to `path` (.svg or .png). */
export function writeCurves(
  path: string,
  series: readonly CurveSeries[],
  options: CurvesOptions & PngOptions = {},
): Promise<void> {
  return writeSvgPicture('writeCurves', path, () => curvesSvg(series, options), options);
}

/** Writes `highlightTokensSvg(tokens, weights, options)` to `path` (.svg or .png). */
export function writeHighlight(
  path: string,
  tokens: readonly string[],
  weights: WeightVector,
  options: HighlightSvgOptions & PngOptions = {},
): Promise<void> {
  return writeSvgPicture('writeHighlight', path, () => highlightTokensSvg(tokens, weights, options), options);
}
