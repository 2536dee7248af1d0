/**
 * `curvesSvg`: training curves — one line per series (loss, an evaluation metric, the learning rate) against
 * the step, with axes at round ticks, light grid lines and a legend. Browser-safe string building.
 */
import { fail, numberOption } from '../tensor/errors.js';
import { escapeXml } from './escape.js';
import { baselineShift, drawTitle, MARGIN, num, svgDocument, textElement, textWidth } from './svg.js';
import { formatNumber, logTicks, niceTicks } from './ticks.js';

/** A named line: [step, value] points in drawing order. */
export interface CurveSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface CurvesOptions {
  title?: string;
  /** Caption of the x axis (default 'step'). */
  xLabel?: string;
  /** Caption of the y axis (default none). */
  yLabel?: string;
  /** Logarithmic y axis (default false); values ≤ 0 are left out. */
  logY?: boolean;
  /** Picture size in pixels (default 640 × 400). */
  width?: number;
  height?: number;
  /** Font size in pixels (default 12). */
  fontSize?: number;
  /** Line colours, used in turn (default: the Tableau 10 palette). */
  colors?: readonly string[];
  /** Mark each point with a dot (default: when a series has at most 40 points, as evaluations usually do). */
  markers?: boolean;
  background?: string;
}

/** Tableau 10: distinct, colour-blind-aware categorical colours. */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
const TICK = 5;
const GRID = '#e6e6e6';
const AXIS = '#555555';

interface Axis {
  readonly ticks: number[];
  readonly min: number;
  readonly max: number;
  readonly log: boolean;
}

function linearAxis(values: number[], pad: boolean): Axis {
  if (values.length === 0) return { ticks: [0, 0.5, 1], min: 0, max: 1, log: false };
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (min === max) {
    const ticks = niceTicks(min, max, 4);
    return { ticks, min: ticks[0]!, max: ticks[ticks.length - 1]!, log: false };
  }
  const ticks = niceTicks(min, max, pad ? 5 : 6);
  if (pad) {
    min = ticks[0]!;
    max = ticks[ticks.length - 1]!;
  }
  return { ticks: ticks.filter((t) => t >= min - 1e-12 && t <= max + 1e-12), min, max, log: false };
}

function logAxis(values: number[]): Axis {
  if (values.length === 0) return { ticks: [1, 10], min: 1, max: 10, log: true };
  const ticks = logTicks(Math.min(...values), Math.max(...values));
  return { ticks, min: ticks[0]!, max: ticks[ticks.length - 1]!, log: true };
}

/** Position of `v` along an axis as a fraction from its min (0) to its max (1). */
function fraction(axis: Axis, v: number): number {
  if (axis.log) return (Math.log10(v) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min));
  return (v - axis.min) / (axis.max - axis.min);
}

/** An SVG document of `series` against their steps. */
export function curvesSvg(series: readonly CurveSeries[], options: CurvesOptions = {}): string {
  const op = 'curvesSvg';
  if (!Array.isArray(series)) fail(op, 'series must be an array of { name, points }');
  series.forEach((s, i) => {
    if (typeof s?.name !== 'string' || !Array.isArray(s.points))
      fail(op, `series[${i}] must be { name: string, points: [step, value][] }`);
  });
  const width = numberOption(op, 'width', options.width, 640, { min: 200, max: 20_000 });
  const height = numberOption(op, 'height', options.height, 400, { min: 150, max: 20_000 });
  const fontSize = numberOption(op, 'fontSize', options.fontSize, 12, { min: 4, max: 100 });
  const logY = options.logY ?? false;
  const colors = options.colors && options.colors.length > 0 ? options.colors : PALETTE;
  const usable = (p: readonly [number, number]) =>
    Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!logY || p[1] > 0);
  const valid = series.flatMap((s) => s.points.filter(usable));
  const xAxis = linearAxis(
    valid.map((p) => p[0]),
    false,
  );
  const yAxis = logY
    ? logAxis(valid.map((p) => p[1]))
    : linearAxis(
        valid.map((p) => p[1]),
        true,
      );
  const yLabels = yAxis.ticks.map((t) => formatNumber(t));

  const body: string[] = [];
  const titleSize = Math.round(fontSize * 1.3);
  let top = drawTitle(body, options.title, titleSize);
  top += Math.ceil(fontSize / 2); // room for the top tick label's upper half
  const yLabelRoom = options.yLabel ? fontSize + 10 : 0;
  const left =
    MARGIN + yLabelRoom + Math.ceil(Math.max(...yLabels.map((l) => textWidth(l, fontSize)))) + TICK + 4;
  const legendWidth =
    series.length > 0 ? 34 + Math.ceil(Math.max(...series.map((s) => textWidth(s.name, fontSize)))) : 0;
  const right = width - MARGIN - legendWidth;
  const xLabel = options.xLabel ?? 'step';
  const bottom = height - MARGIN - (xLabel ? fontSize + 8 : 0) - fontSize - TICK - 4;
  if (right - left < 40 || bottom - top < 40)
    fail(op, `width ${width} × height ${height} leave no room for the plot; make the picture larger`);
  const px = (x: number) => left + fraction(xAxis, x) * (right - left);
  const py = (y: number) => bottom - fraction(yAxis, y) * (bottom - top);

  // Grid lines and ticks.
  const axisText = `font-size="${fontSize}" fill="#333333"`;
  body.push('<g class="grid">');
  for (const [i, t] of yAxis.ticks.entries()) {
    const y = py(t);
    body.push(
      `<line x1="${num(left)}" y1="${num(y)}" x2="${num(right)}" y2="${num(y)}" stroke="${GRID}" stroke-width="1"/>`,
      `<line x1="${num(left - TICK)}" y1="${num(y)}" x2="${num(left)}" y2="${num(y)}" stroke="${AXIS}" stroke-width="1"/>`,
      textElement(left - TICK - 3, y + baselineShift(fontSize), yLabels[i]!, `${axisText} text-anchor="end"`),
    );
  }
  for (const t of xAxis.ticks) {
    const x = px(t);
    body.push(
      `<line x1="${num(x)}" y1="${num(top)}" x2="${num(x)}" y2="${num(bottom)}" stroke="${GRID}" stroke-width="1"/>`,
      `<line x1="${num(x)}" y1="${num(bottom)}" x2="${num(x)}" y2="${num(bottom + TICK)}" stroke="${AXIS}" stroke-width="1"/>`,
      textElement(x, bottom + TICK + 3 + fontSize, formatNumber(t), `${axisText} text-anchor="middle"`),
    );
  }
  body.push(
    `<path d="M${num(left)} ${num(top)}V${num(bottom)}H${num(right)}" fill="none" stroke="${AXIS}" stroke-width="1"/>`,
    '</g>',
  );
  const captionStyle = `font-size="${fontSize}" fill="#555555" font-style="italic" text-anchor="middle"`;
  if (xLabel) body.push(textElement((left + right) / 2, height - MARGIN - 2, xLabel, captionStyle));
  if (options.yLabel) {
    const x = MARGIN + fontSize;
    const y = (top + bottom) / 2;
    body.push(
      textElement(x, y, options.yLabel, `${captionStyle} transform="rotate(-90 ${num(x)} ${num(y)})"`),
    );
  }
  if (valid.length === 0)
    body.push(textElement((left + right) / 2, (top + bottom) / 2, 'no data', `${captionStyle}`));

  // One path per series, broken where a point is missing (NaN, or ≤ 0 on a log axis).
  series.forEach((s, i) => {
    const color = escapeXml(colors[i % colors.length]!);
    let d = '';
    let pen = false;
    const dots: string[] = [];
    const markers = options.markers ?? s.points.length <= 40;
    for (const p of s.points) {
      if (!usable(p)) {
        pen = false;
        continue;
      }
      const [x, y] = [px(p[0]), py(p[1])];
      d += `${pen ? 'L' : 'M'}${num(x)} ${num(y)}`;
      pen = true;
      if (markers || s.points.length === 1)
        dots.push(
          `<circle cx="${num(x)}" cy="${num(y)}" r="2.5" fill="${color}">` +
            `<title>${escapeXml(`${s.name}: ${formatNumber(p[1])} at ${formatNumber(p[0])}`)}</title></circle>`,
        );
    }
    body.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (d)
      body.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8" stroke-linejoin="round"/>`);
    body.push(...dots, '</g>');
  });

  // Legend, right of the plot.
  if (series.length > 0) {
    const x = right + 14;
    body.push('<g class="legend">');
    series.forEach((s, i) => {
      const y = top + i * (fontSize + 8) + fontSize / 2;
      const color = escapeXml(colors[i % colors.length]!);
      body.push(
        `<line x1="${num(x)}" y1="${num(y)}" x2="${num(x + 16)}" y2="${num(y)}" stroke="${color}" stroke-width="2.5"/>`,
        textElement(x + 20, y + baselineShift(fontSize), s.name, axisText),
      );
    });
    body.push('</g>');
  }
  return svgDocument(width, height, body, { title: options.title, background: options.background });
}
