/**
 * The interactive heatmap: a CSS grid with the source tokens along the top, the output tokens down the side and
 * one cell per weight, coloured with the same scale as attn's SVG and PNG pictures (viridis, top colour = the
 * largest weight). Hovering a cell, or moving over the cells with the arrow keys, prints its weight in the
 * readout and marks its row and column labels.
 */
import { colorAt, rgbToHex } from '../../viz/color-scale.js';
import { element, formatWeight } from './dom.js';

export interface HeatmapView {
  /** Output tokens, one per row. */
  rows: readonly string[];
  /** Source tokens, one per column. */
  cols: readonly string[];
  /** weights[row][col]. */
  weights: readonly (readonly number[])[];
}

const SCALE = 'viridis';
const LEGEND_STOPS = 11;

export function renderHeatmap(
  grid: HTMLElement,
  legend: HTMLElement,
  readout: HTMLElement,
  view: HeatmapView,
): void {
  const { rows, cols, weights } = view;
  let max = 0;
  for (const row of weights) for (const w of row) if (Number.isFinite(w) && w > max) max = w;
  if (max <= 0) max = 1;

  grid.replaceChildren();
  grid.style.gridTemplateColumns = `auto repeat(${cols.length}, var(--cell))`;
  grid.append(element('div'));
  const colLabels = cols.map((token, c) => {
    const label = element('div', 'col-label', token);
    label.title = `source ${c + 1}: ${token}`;
    return label;
  });
  grid.append(...colLabels);
  const rowLabels: HTMLElement[] = [];
  const cells: HTMLElement[][] = [];
  rows.forEach((token, r) => {
    const label = element('div', 'row-label', token);
    label.title = `output ${r + 1}: ${token}`;
    rowLabels.push(label);
    grid.append(label);
    cells.push(
      cols.map((source, c) => {
        const weight = weights[r]?.[c] ?? NaN;
        const cell = element('div', 'cell');
        cell.dataset.row = String(r);
        cell.dataset.col = String(c);
        cell.dataset.weight = String(weight);
        cell.title = `${token} ← ${source}: ${formatWeight(weight)}`;
        cell.style.backgroundColor = rgbToHex(colorAt(SCALE, weight / max));
        grid.append(cell);
        return cell;
      }),
    );
  });

  let active: { r: number; c: number } | undefined;
  const activate = (r: number, c: number): void => {
    if (active) {
      cells[active.r]?.[active.c]?.classList.remove('active');
      rowLabels[active.r]?.classList.remove('hot');
      colLabels[active.c]?.classList.remove('hot');
    }
    const cell = cells[r]?.[c];
    if (!cell) return;
    active = { r, c };
    cell.classList.add('active');
    rowLabels[r]?.classList.add('hot');
    colLabels[c]?.classList.add('hot');
    readout.textContent =
      `output “${rows[r]}” (row ${r + 1}) ← source “${cols[c]}” (column ${c + 1}): ` +
      `weight ${formatWeight(Number(cell.dataset.weight))}`;
  };
  grid.onmouseover = (event) => {
    const cell = (event.target as HTMLElement).closest<HTMLElement>('.cell');
    if (cell) activate(Number(cell.dataset.row), Number(cell.dataset.col));
  };
  grid.onfocus = () => {
    if (!active) activate(0, 0);
  };
  grid.onkeydown = (event) => {
    const moves: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const r = Math.min(rows.length - 1, Math.max(0, (active?.r ?? 0) + move[0]));
    const c = Math.min(cols.length - 1, Math.max(0, (active?.c ?? 0) + move[1]));
    activate(r, c);
  };
  readout.textContent = ' ';
  renderLegend(legend, max);
}

function renderLegend(legend: HTMLElement, max: number): void {
  const stops = Array.from({ length: LEGEND_STOPS }, (_, i) => {
    const t = i / (LEGEND_STOPS - 1);
    return `${rgbToHex(colorAt(SCALE, t))} ${(t * 100).toFixed(0)}%`;
  });
  const bar = element('span', 'bar');
  bar.style.background = `linear-gradient(to right, ${stops.join(', ')})`;
  legend.replaceChildren(element('span', undefined, '0'), bar, element('span', undefined, max.toFixed(3)));
}
