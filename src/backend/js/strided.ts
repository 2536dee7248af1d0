/**
 * Walking N-dimensional strided operands with tight inner loops. Axes of size 1 are dropped and adjacent axes
 * that are contiguous in every operand are merged, so that the common cases (same shape, scalar broadcast, a
 * broadcast bias row) become one or two long inner loops.
 */

export interface Collapsed {
  shape: number[];
  strides: number[][];
}

export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): Collapsed {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    let mergeable = last >= 0;
    if (mergeable) {
      for (let o = 0; o < strides.length; o++) {
        const s = strides[o]![d]!;
        if (outStrides[o]![last] !== s * size) {
          mergeable = false;
          break;
        }
      }
    }
    if (mergeable) {
      outShape[last] = outShape[last]! * size;
      for (let o = 0; o < strides.length; o++) outStrides[o]![last] = strides[o]![d]!;
    } else {
      outShape.push(size);
      for (let o = 0; o < strides.length; o++) outStrides[o]!.push(strides[o]![d]!);
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (const s of outStrides) s.push(0);
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Offsets of the first element of each row (all axes but the last) for every operand. Rows are visited in
 * row-major order; the caller runs its inner loop over the last axis with the last stride.
 */
export class RowWalker {
  readonly rows: number;
  readonly length: number;
  readonly innerStrides: number[];
  private readonly outerShape: number[];
  private readonly outerStrides: number[][];
  private readonly index: number[];
  readonly offsets: number[];

  constructor(collapsed: Collapsed, baseOffsets: readonly number[]) {
    const nd = collapsed.shape.length;
    this.length = collapsed.shape[nd - 1]!;
    this.outerShape = collapsed.shape.slice(0, nd - 1);
    this.outerStrides = collapsed.strides.map((s) => s.slice(0, nd - 1));
    this.innerStrides = collapsed.strides.map((s) => s[nd - 1]!);
    let rows = 1;
    for (const d of this.outerShape) rows *= d;
    this.rows = rows;
    this.index = new Array<number>(this.outerShape.length).fill(0);
    this.offsets = baseOffsets.slice();
  }

  /** Advances to the next row (odometer order). */
  next(): void {
    for (let d = this.outerShape.length - 1; d >= 0; d--) {
      this.index[d]!++;
      for (let o = 0; o < this.offsets.length; o++) this.offsets[o]! += this.outerStrides[o]![d]!;
      if (this.index[d]! < this.outerShape[d]!) return;
      for (let o = 0; o < this.offsets.length; o++)
        this.offsets[o]! -= this.outerStrides[o]![d]! * this.outerShape[d]!;
      this.index[d] = 0;
    }
  }
}
