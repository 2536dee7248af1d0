/**
 * `highlightTokensSvg`: a sentence with each token on a background coloured by its weight — how a classifier's
 * attention pooling read the text. Tokens wrap into lines like words in a paragraph.
 */
import { numberOption } from '../tensor/errors.js';
import { contrastingText, rgbToHex } from './color-scale.js';
import { escapeXml } from './escape.js';
import { tokenColors, type HighlightOptions } from './highlight-colors.js';
import { colorLegend } from './legend.js';
import { baselineShift, drawTitle, MARGIN, num, svgDocument, textElement, textWidth } from './svg.js';
import { formatNumber } from './ticks.js';
import type { WeightVector } from './weights.js';

export interface HighlightSvgOptions extends HighlightOptions {
  title?: string;
  /** Width in pixels the tokens wrap within (default 640). */
  width?: number;
  /** Font size in pixels (default 14). */
  fontSize?: number;
  /** A `<title>` per token with its weight (default true). */
  tooltips?: boolean;
  /** Draw the colour legend (default true). */
  legend?: boolean;
  background?: string;
}

/** An SVG document of `tokens` highlighted by `weights` (number[] or Tensor [T], one weight per token). */
export function highlightTokensSvg(
  tokens: readonly string[],
  weights: WeightVector,
  options: HighlightSvgOptions = {},
): string {
  const op = 'highlightTokensSvg';
  const colored = tokenColors(op, tokens, weights, options);
  const fontSize = numberOption(op, 'fontSize', options.fontSize, 14, { min: 4, max: 200 });
  const wrapWidth = numberOption(op, 'width', options.width, 640, { min: 50, max: 100_000 });
  const padX = Math.round(fontSize * 0.3);
  const boxHeight = Math.round(fontSize * 1.6);
  const lineHeight = boxHeight + 6;
  const gap = Math.round(fontSize * 0.35);

  const body: string[] = [];
  const titleSize = Math.round(fontSize * 1.2);
  const top = drawTitle(body, options.title, titleSize);
  let x = MARGIN;
  let y = top;
  let right = MARGIN;
  body.push('<g class="tokens">');
  colored.tokens.forEach((token, i) => {
    const boxWidth = Math.ceil(textWidth(token, fontSize)) + 2 * padX;
    if (x > MARGIN && x + boxWidth > MARGIN + wrapWidth) {
      x = MARGIN;
      y += lineHeight;
    }
    const color = colored.colors[i]!;
    const tip =
      options.tooltips === false
        ? ''
        : `<title>${escapeXml(`${token}: ${formatNumber(colored.weights[i]!)}`)}</title>`;
    body.push(
      `<g data-index="${i}" data-weight="${colored.weights[i]}">`,
      `<rect x="${num(x)}" y="${num(y)}" width="${boxWidth}" height="${boxHeight}" rx="3" fill="${rgbToHex(color)}">${tip}</rect>`,
      textElement(
        x + boxWidth / 2,
        y + boxHeight / 2 + baselineShift(fontSize),
        token,
        `font-size="${fontSize}" text-anchor="middle" fill="${contrastingText(color)}" pointer-events="none"`,
      ),
      '</g>',
    );
    right = Math.max(right, x + boxWidth);
    x += boxWidth + gap;
  });
  body.push('</g>');
  let bottom = colored.tokens.length > 0 ? y + boxHeight : y;
  const defs: string[] = [];
  if (options.legend ?? true) {
    const height = Math.max(60, bottom - top);
    const legend = colorLegend(
      right + 20,
      top,
      height,
      colored.max,
      colored.scale,
      Math.max(9, Math.round(fontSize * 0.8)),
    );
    defs.push(legend.def);
    body.push(legend.body);
    right += 20 + legend.width;
    bottom = Math.max(bottom, top + height);
  }
  if (options.title) right = Math.max(right, MARGIN + textWidth(options.title, titleSize, true));
  return svgDocument(right + MARGIN, bottom + MARGIN, body, {
    title: options.title,
    background: options.background,
    defs,
  });
}
