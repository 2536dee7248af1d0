/** Colours of tokens by their weights (a classifier's pooling weights, one sequence's attention), for the highlighters. */
import { fail } from '../tensor/errors.js';
import { checkColorScale, colorAt, MISSING_COLOR, type ColorScale, type Rgb } from './color-scale.js';
import { colorDomainMax, toVector, type WeightVector } from './weights.js';

export interface HighlightOptions {
  /** Default 'oranges': light for low weights so text stays readable, dark orange for the highest. */
  colorScale?: ColorScale;
  /** The weight drawn with the top colour (default: the largest weight). */
  max?: number;
}

export interface TokenColors {
  readonly tokens: readonly string[];
  readonly weights: Float64Array;
  /** t = weight / max, in [0, 1] for weights in [0, max]. */
  readonly levels: Float64Array;
  readonly colors: readonly Rgb[];
  /** The weight drawn with the top colour. */
  readonly max: number;
  readonly scale: ColorScale;
}

export function tokenColors(
  op: string,
  tokens: readonly string[],
  weights: WeightVector,
  options: HighlightOptions,
): TokenColors {
  if (!Array.isArray(tokens)) fail(op, 'tokens must be an array of strings');
  const values = toVector(op, weights);
  if (values.length !== tokens.length)
    fail(op, `tokens has ${tokens.length} entries but weights has ${values.length}`);
  const scale = options.colorScale ?? 'oranges';
  checkColorScale(op, scale);
  const max = colorDomainMax(op, options.max, values);
  const levels = values.map((v) => v / max);
  const colors = Array.from(levels, (t) => (Number.isFinite(t) ? colorAt(scale, t) : MISSING_COLOR));
  return { tokens: tokens.map((t) => String(t)), weights: values, levels, colors, max, scale };
}
