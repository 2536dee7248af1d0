/** What the matrix pictures (heatmap, grid of heads) can be asked for, and choices that follow from others. */
import type { ColorScale } from './color-scale.js';

/** Options every picture of attention matrices takes; each picture says its own defaults. */
export interface MatrixPictureOptions {
  /** Column labels, one per source position (default 0, 1, 2, …). */
  sourceTokens?: readonly string[];
  /** Row labels, one per target position (default 0, 1, 2, …). */
  targetTokens?: readonly string[];
  /** Drawn above the picture and used as its accessible name. */
  title?: string;
  /** Default 'viridis' (dark = low, yellow = high). */
  colorScale?: ColorScale;
  /** Side of a cell in pixels. */
  cellSize?: number;
  /** A `<title>` per cell ("target → source: weight"), shown on hover in browsers (default true). */
  tooltips?: boolean;
  /** The weight drawn with the top colour (default: the largest weight; 1 to compare pictures). */
  max?: number;
  /** Draw the colour legend (default true). */
  legend?: boolean;
  /** Label font size in pixels. */
  fontSize?: number;
  /** Tokens longer than this are cut with an ellipsis. */
  maxLabelChars?: number;
  /** Background colour (default '#ffffff'; 'none' for transparent). */
  background?: string;
}

/** The column label angle that keeps neighbouring labels apart: 45° when cells are wide enough, else 90°. */
export function columnLabelAngle(cellSize: number, fontSize: number, requested?: 45 | 90): 45 | 90 {
  if (requested !== undefined) return requested;
  return cellSize * Math.SQRT1_2 >= fontSize * 1.15 ? 45 : 90;
}
