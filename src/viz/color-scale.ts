/**
 * Colour scales mapping a normalised weight t in [0, 1] to a colour. The sequential scales are sampled from
 * matplotlib (viridis, magma) and ColorBrewer (blues, greys, oranges, reds) and interpolated linearly in sRGB.
 */
import { fail } from '../tensor/errors.js';

/** A colour as 0–255 red, green, blue. */
export type Rgb = readonly [number, number, number];

export type ColorScaleName = 'viridis' | 'magma' | 'blues' | 'greys' | 'oranges' | 'reds';

/** A named scale, or a function from t in [0, 1] to a colour. */
export type ColorScale = ColorScaleName | ((t: number) => Rgb);

const STOPS: Record<ColorScaleName, readonly string[]> = {
  viridis: [
    '#440154',
    '#482475',
    '#414487',
    '#355f8d',
    '#2a788e',
    '#21918c',
    '#22a884',
    '#44bf70',
    '#7ad151',
    '#bddf26',
    '#fde725',
  ],
  magma: [
    '#000004',
    '#140e36',
    '#3b0f70',
    '#641a80',
    '#8c2981',
    '#b73779',
    '#de4968',
    '#f7705c',
    '#fe9f6d',
    '#fecf92',
    '#fcfdbf',
  ],
  blues: ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'],
  greys: ['#ffffff', '#f0f0f0', '#d9d9d9', '#bdbdbd', '#969696', '#737373', '#525252', '#252525', '#000000'],
  oranges: [
    '#fff5eb',
    '#fee6ce',
    '#fdd0a2',
    '#fdae6b',
    '#fd8d3c',
    '#f16913',
    '#d94801',
    '#a63603',
    '#7f2704',
  ],
  reds: ['#fff5f0', '#fee0d2', '#fcbba1', '#fc9272', '#fb6a4a', '#ef3b2c', '#cb181d', '#a50f15', '#67000d'],
};

/** The names `colorAt` accepts. */
export const COLOR_SCALE_NAMES = Object.keys(STOPS) as readonly ColorScaleName[];

/** Colour of cells whose weight is not a number (NaN, ±Infinity): a neutral grey no scale above uses. */
export const MISSING_COLOR: Rgb = [208, 208, 208];

const parsedStops = new Map<ColorScaleName, Rgb[]>();

function stopsOf(name: ColorScaleName): Rgb[] {
  let stops = parsedStops.get(name);
  if (!stops) {
    stops = STOPS[name].map(hexToRgb);
    parsedStops.set(name, stops);
  }
  return stops;
}

/** Parses `#rrggbb`. */
export function hexToRgb(hex: string): Rgb {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!match) fail('hexToRgb', `expected a colour like #1f77b4, got ${JSON.stringify(hex)}`);
  return [parseInt(match[1]!, 16), parseInt(match[2]!, 16), parseInt(match[3]!, 16)];
}

/** `#rrggbb` of a colour. */
export function rgbToHex(rgb: Rgb): string {
  return '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join('');
}

/** Checks a colour scale option early, so a typo fails with the op's name rather than deep in drawing. */
export function checkColorScale(op: string, scale: ColorScale): void {
  if (typeof scale === 'function') return;
  if (!(scale in STOPS))
    fail(op, `unknown colorScale ${JSON.stringify(scale)}; expected one of ${COLOR_SCALE_NAMES.join(', ')}`);
}

/**
 * The colour of `t` (clamped to [0, 1]) on `scale`, as integers 0–255. A custom scale's output is rounded and
 * clamped; a non-finite component is an error.
 */
export function colorAt(scale: ColorScale, t: number): Rgb {
  const u = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t));
  if (typeof scale === 'function') {
    const rgb = scale(u);
    if (!Array.isArray(rgb) || rgb.length !== 3 || !rgb.every((c) => Number.isFinite(c)))
      fail('colorAt', `a custom colorScale must return [r, g, b] with finite numbers, got ${String(rgb)}`);
    return rgb.map((c) => Math.min(255, Math.max(0, Math.round(c)))) as unknown as Rgb;
  }
  checkColorScale('colorAt', scale);
  const stops = stopsOf(scale);
  const position = u * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(position));
  const f = position - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * f)) as unknown as Rgb;
}

/** WCAG relative luminance in [0, 1]. */
export function relativeLuminance(rgb: Rgb): number {
  const linear = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * linear[0]! + 0.7152 * linear[1]! + 0.0722 * linear[2]!;
}

/** Black or white, whichever reads better on `background`. */
export function contrastingText(background: Rgb): string {
  // Black text wins when its contrast ratio (L+0.05)/0.05 beats white's 1.05/(L+0.05): L above ~0.179.
  return relativeLuminance(background) > 0.179 ? '#000000' : '#ffffff';
}
