/** A classifier's answer: its label, a bar per label's probability, and its tokens shaded by pooling weight. */
import { colorAt, contrastingText, rgbToHex } from '../../viz/color-scale.js';
import type { ClassificationResult } from '../../inference/types.js';
import { element, formatWeight } from './dom.js';

/** The same scale as attn's token highlighting pictures: light for low weights, so the text stays readable. */
const SCALE = 'oranges';

export function renderClassification(
  parts: { label: HTMLElement; probabilities: HTMLElement; tokens: HTMLElement; readout: HTMLElement },
  result: ClassificationResult,
): void {
  const best = result.labels.indexOf(result.label);
  parts.label.textContent = `${result.label} (${formatPercent(result.probabilities[best] ?? NaN)})`;

  parts.probabilities.replaceChildren(
    ...result.labels.flatMap((label, i) => {
      const p = result.probabilities[i] ?? 0;
      const track = element('div', 'track');
      const bar = element('div', 'bar');
      bar.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
      track.append(bar);
      return [element('span', undefined, label), track, element('span', 'score', formatPercent(p))];
    }),
  );

  let max = 0;
  for (const w of result.weights) if (Number.isFinite(w) && w > max) max = w;
  if (max <= 0) max = 1;
  parts.tokens.replaceChildren(
    ...result.tokens.map((token, i) => {
      const weight = result.weights[i] ?? NaN;
      const color = colorAt(SCALE, weight / max);
      const span = element('span', 'token', token);
      span.dataset.weight = String(weight);
      span.title = `${token}: ${formatWeight(weight)}`;
      span.style.backgroundColor = rgbToHex(color);
      span.style.color = contrastingText(color);
      return span;
    }),
  );
  parts.readout.textContent = ' ';
  parts.tokens.onmouseover = (event) => {
    const span = (event.target as HTMLElement).closest<HTMLElement>('.token');
    if (span)
      parts.readout.textContent = `“${span.textContent}”: weight ${formatWeight(Number(span.dataset.weight))}`;
  };
}

function formatPercent(p: number): string {
  return `${(p * 100).toFixed(1)}%`;
}
