/**
 * `attentionGridSvg`: the attention of every layer and head at once, as small heatmaps in a grid (one row per
 * layer, one column per head) sharing one colour legend, so heads can be compared at a glance.
 */
import { fail, numberOption } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkColorScale } from './color-scale.js';
import { panelGeometry, panelSvg, type PanelStyle, type PanelTokens } from './heatmap-panel.js';
import { colorLegend } from './legend.js';
import { columnLabelAngle, type MatrixPictureOptions } from './options.js';
import { drawTitle, MARGIN, svgDocument, textElement, textWidth } from './svg.js';
import { colorDomainMax, toMatrix, tokenLabels, type AttentionMatrix, type Matrix } from './weights.js';

/**
 * Weights of every layer and head: `[layer][head]` matrices [Tt, Ts], one Tensor [heads, Tt, Ts] per layer
 * (as `MultiHeadAttention` returns with `averageAttnWeights: false` for a batch of one), or a Tensor
 * [layers, heads, Tt, Ts].
 */
export type AttentionLayers = Tensor | readonly (Tensor | readonly AttentionMatrix[])[];

/** Defaults: cells of 12 px, labels of 10 px cut at 12 characters; `max` is shared by all panels. */
export interface AttentionGridOptions extends MatrixPictureOptions {
  /**
   * Which panels carry token labels: 'edges' (default) labels rows on the first column of panels and columns on
   * the first row; 'all' labels every panel; 'none' draws no token labels.
   */
  tokenLabels?: 'edges' | 'all' | 'none';
  /** Panel captions (default `layer ${l} · head ${h}`, counting from 0 as the arrays and tensors do). */
  caption?: (layer: number, head: number) => string;
}

const GAP = 14;

/** Flattens the accepted layouts into panels[layer][head]. */
function toPanels(op: string, weights: AttentionLayers): Matrix[][] {
  const split = (t: Tensor, label: string): Matrix[] => {
    const heads = t.shape.length === 4 && t.shape[0] === 1 ? t.shape.slice(1) : t.shape;
    if (heads.length !== 3)
      fail(op, `${label} must be a Tensor [heads, target, source], got shape ${formatShape(t.shape)}`);
    const [h, rows, cols] = heads as [number, number, number];
    const size = rows * cols;
    return Array.from({ length: h }, (_, i) => ({
      rows,
      cols,
      values: Float64Array.from(t.data.subarray(i * size, (i + 1) * size)),
    }));
  };
  if (weights instanceof Tensor) {
    if (weights.shape.length !== 4)
      fail(
        op,
        `weights must be a Tensor [layers, heads, target, source], got shape ${formatShape(weights.shape)}`,
      );
    const [layers, heads, rows, cols] = weights.shape as [number, number, number, number];
    const size = heads * rows * cols;
    return Array.from({ length: layers }, (_, l) =>
      split(new Tensor(weights.data.slice(l * size, (l + 1) * size), [heads, rows, cols]), `layer ${l}`),
    );
  }
  if (!Array.isArray(weights)) fail(op, 'weights must be a Tensor or an array of layers');
  return weights.map((layer, l) =>
    layer instanceof Tensor
      ? split(layer, `weights[${l}]`)
      : Array.isArray(layer)
        ? layer.map((m) => toMatrix(op, m))
        : fail(op, `weights[${l}] must be a Tensor or an array of matrices`),
  );
}

/** An SVG document of attention weights for every layer (grid rows) and head (grid columns). */
export function attentionGridSvg(weights: AttentionLayers, options: AttentionGridOptions = {}): string {
  const op = 'attentionGridSvg';
  const panels = toPanels(op, weights);
  const all = panels.flat();
  if (all.length === 0) fail(op, 'weights hold no layer or head');
  const { rows, cols } = all[0]!;
  panels.forEach((layer, l) =>
    layer.forEach((m, h) => {
      if (m.rows !== rows || m.cols !== cols)
        fail(
          op,
          `every panel must have the same shape: layer 0 head 0 is [${rows},${cols}], layer ${l} head ${h} is [${m.rows},${m.cols}]`,
        );
    }),
  );
  const scale = options.colorScale ?? 'viridis';
  checkColorScale(op, scale);
  const cellSize = numberOption(op, 'cellSize', options.cellSize, 12, { min: 2, max: 1000 });
  const fontSize = numberOption(op, 'fontSize', options.fontSize, 10, { min: 4, max: 200 });
  const style: PanelStyle = {
    cellSize,
    fontSize,
    scale,
    max: colorDomainMax(op, options.max, ...all.map((m) => m.values)),
    showValues: false,
    tooltips: options.tooltips ?? true,
    maxLabelChars: numberOption(op, 'maxLabelChars', options.maxLabelChars, 12, { min: 2, max: 1000 }),
    // Labels of neighbouring panels must not run into each other: upright only.
    columnLabelAngle: columnLabelAngle(cellSize, fontSize, 90),
  };
  const rowTokens = tokenLabels(op, 'targetTokens', options.targetTokens, rows, 'rows (target positions)');
  const colTokens = tokenLabels(op, 'sourceTokens', options.sourceTokens, cols, 'columns (source positions)');
  const mode = options.tokenLabels ?? 'edges';
  if (!['edges', 'all', 'none'].includes(mode))
    fail(op, `tokenLabels must be 'edges', 'all' or 'none', got ${JSON.stringify(mode)}`);
  const tokensFor = (l: number, h: number): PanelTokens => ({
    rows: rowTokens,
    cols: colTokens,
    drawRowLabels: mode === 'all' || (mode === 'edges' && h === 0),
    drawColLabels: mode === 'all' || (mode === 'edges' && l === 0),
  });
  const caption = options.caption ?? ((l: number, h: number) => `layer ${l} · head ${h}`);

  // Every panel has the same grid; label room differs only between labelled and unlabelled panels.
  const labelled = panelGeometry(all[0]!, tokensFor(0, 0), style);
  const rowLabelWidth = mode === 'none' ? 0 : labelled.rowLabelWidth;
  const colLabelHeight = mode === 'none' ? 0 : labelled.colLabelHeight;
  const captionHeight = fontSize + 6;
  const maxHeads = Math.max(...panels.map((layer) => layer.length));
  const captionWidth = Math.max(
    ...panels.flatMap((layer, l) => layer.map((_, h) => textWidth(caption(l, h), fontSize))),
  );
  const innerRowLabel = mode === 'all' ? rowLabelWidth : 0;
  const innerColLabel = mode === 'all' ? colLabelHeight : 0;
  const pitchX = Math.ceil(Math.max(labelled.gridWidth, captionWidth)) + GAP + innerRowLabel;
  const pitchY = labelled.gridHeight + captionHeight + GAP + innerColLabel;

  const body: string[] = [];
  const titleSize = Math.round(fontSize * 1.4);
  const top = drawTitle(body, options.title, titleSize);
  const originX = MARGIN + rowLabelWidth;
  const originY = top + colLabelHeight;
  panels.forEach((layer, l) =>
    layer.forEach((matrix, h) => {
      const gridX = originX + h * pitchX;
      const gridY = originY + l * pitchY;
      body.push(`<g class="panel" data-layer="${l}" data-head="${h}">`);
      body.push(panelSvg(matrix, tokensFor(l, h), style, gridX, gridY));
      body.push(
        textElement(
          gridX,
          gridY + labelled.gridHeight + fontSize + 3,
          caption(l, h),
          `font-size="${fontSize}" fill="#333333"`,
        ),
      );
      body.push('</g>');
    }),
  );
  const gridRight = originX + (maxHeads - 1) * pitchX + Math.max(labelled.gridWidth, captionWidth);
  const gridBottom = originY + (panels.length - 1) * pitchY + labelled.gridHeight + captionHeight;
  let right = gridRight;
  let bottom = gridBottom;
  const defs: string[] = [];
  if (options.legend ?? true) {
    const height = Math.max(80, Math.min(240, gridBottom - originY - captionHeight));
    const legend = colorLegend(gridRight + 16, originY, height, style.max, scale, fontSize);
    defs.push(legend.def);
    body.push(legend.body);
    right = gridRight + 16 + legend.width;
    bottom = Math.max(bottom, originY + height);
  }
  if (options.title) right = Math.max(right, MARGIN + textWidth(options.title, titleSize, true));
  return svgDocument(right + MARGIN, bottom + MARGIN, body, {
    title: options.title,
    background: options.background,
    defs,
  });
}
