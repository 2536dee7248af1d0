/** The colour legend beside a heatmap: a vertical gradient bar from 0 (bottom) to the domain's max (top), with ticks. */
import { colorAt, rgbToHex, type ColorScale } from './color-scale.js';
import { baselineShift, num, textElement, textWidth } from './svg.js';
import { formatNumber, legendTicks } from './ticks.js';

export interface ColorLegend {
  /** The `<linearGradient>` to put in `<defs>`. */
  readonly def: string;
  /** The bar, ticks and labels. */
  readonly body: string;
  readonly width: number;
}

/** Gradient stops per legend: enough that linear interpolation between them matches the scale closely. */
const STOPS = 21;

/** FNV-1a: a short stable hash, so the gradient's id is the same for the same colours and differs otherwise. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * A legend whose bar's top-left corner is at (x, y), `height` tall, labelled 0 … `max`. The gradient id is
 * derived from its colours, so several pictures inlined in one HTML page never pick up each other's gradient.
 */
export function colorLegend(
  x: number,
  y: number,
  height: number,
  max: number,
  scale: ColorScale,
  fontSize: number,
): ColorLegend {
  const barWidth = 14;
  const colors = Array.from({ length: STOPS }, (_, i) => rgbToHex(colorAt(scale, i / (STOPS - 1))));
  const id = `attn-legend-${hash(colors.join(''))}`;
  const stops = colors.map((c, i) => `<stop offset="${num(i / (STOPS - 1))}" stop-color="${c}"/>`);
  const def = [`<linearGradient id="${id}" x1="0" y1="1" x2="0" y2="0">`, ...stops, '</linearGradient>'].join(
    '',
  );
  const parts = [
    `<g class="legend">`,
    `<rect x="${num(x)}" y="${num(y)}" width="${barWidth}" height="${num(height)}" fill="url(#${id})" ` +
      `stroke="#555555" stroke-width="0.5"/>`,
  ];
  let labelWidth = 0;
  for (const tick of legendTicks(max)) {
    const ty = y + height - (tick / max) * height;
    const label = formatNumber(tick);
    labelWidth = Math.max(labelWidth, textWidth(label, fontSize));
    parts.push(
      `<line x1="${num(x + barWidth)}" y1="${num(ty)}" x2="${num(x + barWidth + 4)}" y2="${num(ty)}" ` +
        `stroke="#555555" stroke-width="1"/>`,
      textElement(
        x + barWidth + 6,
        ty + baselineShift(fontSize),
        label,
        `font-size="${fontSize}" fill="#333333"`,
      ),
    );
  }
  parts.push('</g>');
  return { def, body: parts.join('\n'), width: barWidth + 6 + Math.ceil(labelWidth) };
}
