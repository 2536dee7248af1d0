/**
 * `highlightTokensHtml`: tokens as `<span>`s on backgrounds coloured by their weights, an HTML snippet for a
 * web page or a notebook. Styles are inline so the snippet needs no stylesheet.
 */
import { contrastingText, rgbToHex } from './color-scale.js';
import { escapeXml } from './escape.js';
import { tokenColors, type HighlightOptions } from './highlight-colors.js';
import { formatNumber } from './ticks.js';
import type { WeightVector } from './weights.js';

export interface HighlightHtmlOptions extends HighlightOptions {
  /** A `title` attribute per token with its weight, shown on hover (default true). */
  tooltips?: boolean;
  /** Put between tokens (default ' '; '' for subword pieces that join up). Inserted as text, escaped. */
  separator?: string;
}

/** `<div class="attn-highlight">` holding one `<span>` per token, each with its weight in `data-weight`. */
export function highlightTokensHtml(
  tokens: readonly string[],
  weights: WeightVector,
  options: HighlightHtmlOptions = {},
): string {
  const colored = tokenColors('highlightTokensHtml', tokens, weights, options);
  const spans = colored.tokens.map((token, i) => {
    const color = colored.colors[i]!;
    const weight = colored.weights[i]!;
    const title =
      options.tooltips === false ? '' : ` title="${escapeXml(`${token}: ${formatNumber(weight)}`)}"`;
    const style = `background-color:${rgbToHex(color)};color:${contrastingText(color)};padding:0.1em 0.25em;border-radius:0.2em`;
    return `<span style="${style}" data-weight="${weight}"${title}>${escapeXml(token)}</span>`;
  });
  return `<div class="attn-highlight" style="line-height:2">${spans.join(escapeXml(options.separator ?? ' '))}</div>`;
}
