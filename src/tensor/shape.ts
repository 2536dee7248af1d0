import { fail } from './errors.js';

/** A tensor shape: sizes of the axes, outermost first. A scalar has shape []. */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides of `shape`, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks that `shape` is a list of non-negative integers. */
export function checkShape(op: string, shape: Shape, arg = 'shape'): void {
  if (!Array.isArray(shape)) fail(op, `${arg} must be an array of sizes, got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      fail(op, `${arg} must hold non-negative integers, got ${formatShape(shape)}`);
  }
}

/** NumPy broadcasting: align trailing axes; each pair must be equal or contain a 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)]!;
    const db = i < n - b.length ? 1 : b[i - (n - b.length)]!;
    if (da !== db && da !== 1 && db !== 1) {
      fail(op, `shapes cannot be broadcast together: ${formatShape(a)} and ${formatShape(b)}`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides that read a tensor of shape `shape` as if it had the (broadcast) shape `target`: axes that are
 * broadcast get stride 0.
 */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const strides = stridesOf(shape);
  const out = new Array<number>(target.length).fill(0);
  const offset = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[i + offset] = shape[i] === 1 ? 0 : strides[i]!;
  return out;
}

/** Resolves a possibly negative axis against `ndim`, with an error naming the op. */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis)) fail(op, `axis must be an integer, got ${axis}`);
  const a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim) fail(op, `axis ${axis} is out of range for a tensor with ${ndim} dimensions`);
  return a;
}

/**
 * `shape` viewed as [outer, n, inner] around axis `a`: n = shape[a], and the products of the dimensions
 * before and after it (how the kernels walk one axis of a contiguous tensor).
 */
export function axisView(shape: Shape, a: number): { outer: number; n: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, a)), n: shape[a]!, inner: sizeOf(shape.slice(a + 1)) };
}

/** Resolves a list of axes (or all axes when undefined), sorted and without repeats. */
export function normalizeAxes(
  op: string,
  axes: number | readonly number[] | undefined,
  ndim: number,
): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normalizeAxis(op, a, ndim));
  const unique = [...new Set(out)].sort((x, y) => x - y);
  if (unique.length !== out.length) fail(op, `axes repeat: [${list.join(',')}]`);
  return unique;
}
