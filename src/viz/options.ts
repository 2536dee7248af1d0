/** Choices of drawing options that follow from others. */

/** The column label angle that keeps neighbouring labels apart: 45° when cells are wide enough, else 90°. */
export function columnLabelAngle(cellSize: number, fontSize: number, requested?: 45 | 90): 45 | 90 {
  if (requested !== undefined) return requested;
  return cellSize * Math.SQRT1_2 >= fontSize * 1.15 ? 45 : 90;
}
