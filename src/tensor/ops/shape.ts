/** Ops that move data without arithmetic: reshape, permute, slice, concat, expand and friends. */
import { allocate, allocateOverwritten, isDType, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import {
  formatShape,
  normalizeAxis,
  normalizeAxes,
  shapesEqual,
  sizeOf,
  stridesOf,
  broadcastStrides,
} from '../shape.js';
import { Tensor } from '../tensor.js';
import { isGradEnabled, noGrad } from '../autograd.js';
import { backend, checkTensor, newFloat, newFloatOverwritten, noGradOutput, record } from './common.js';
import { recordOutputs } from './multi-output.js';
import { sumTo } from './reduce.js';

/** Same storage, new shape (one size may be -1 and is inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', x, 'input');
  if (!Array.isArray(shape)) fail('reshape', `shape must be an array, got ${String(shape)}`);
  const inferred = shape.indexOf(-1);
  if (inferred !== shape.lastIndexOf(-1))
    fail('reshape', `only one size may be -1, got ${formatShape(shape)}`);
  const resolved = shape.slice();
  if (inferred >= 0) {
    const known = sizeOf(shape.filter((_, i) => i !== inferred));
    if (known === 0 || x.size % known !== 0) {
      fail('reshape', `cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
    }
    resolved[inferred] = x.size / known;
  }
  for (const d of resolved) {
    if (!Number.isInteger(d) || d < 0)
      fail('reshape', `sizes must be non-negative integers, got ${formatShape(shape)}`);
  }
  if (sizeOf(resolved) !== x.size) {
    fail('reshape', `cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
  }
  if (shapesEqual(resolved, x.shape)) return x;
  const out = new Tensor(x.data, resolved, x.dtype);
  return record('reshape', out, [x], (g) => [new Tensor(g.data, x.shape, 'float32')]);
}

/** Merges axes startAxis..endAxis into one. */
export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  checkTensor('flatten', x, 'input');
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', startAxis, x.ndim);
  const e = normalizeAxis('flatten', endAxis, x.ndim);
  if (s > e) fail('flatten', `startAxis ${startAxis} comes after endAxis ${endAxis}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Reorders the axes: out.shape[i] = x.shape[axes[i]]. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  checkTensor('permute', x, 'input');
  if (!Array.isArray(axes) || axes.length !== x.ndim) {
    fail(
      'permute',
      `needs ${x.ndim} axes for a tensor of shape ${formatShape(x.shape)}, got [${String(axes)}]`,
    );
  }
  const perm = axes.map((a) => normalizeAxis('permute', a, x.ndim));
  if (new Set(perm).size !== perm.length) fail('permute', `axes repeat: [${axes.join(',')}]`);
  if (perm.every((a, i) => a === i)) return x;
  const shape = perm.map((a) => x.shape[a]!);
  // When only axes of size 1 move, every element keeps its place in memory: the result is a reshape sharing
  // the storage (a decoder step's [B, 1, H, d] → [B, H, 1, d] head split, a dozen copies per layer).
  const kept = perm.filter((a) => x.shape[a]! > 1);
  if (kept.every((a, i) => i === 0 || kept[i - 1]! < a)) return reshape(x, shape);
  const strides = stridesOf(x.shape);
  const out = new Tensor(allocateOverwritten(x.dtype, x.size), shape, x.dtype);
  backend().copy({
    src: x.data,
    srcOffset: 0,
    srcStrides: perm.map((a) => strides[a]!),
    dst: out.data,
    dstOffset: 0,
    dstStrides: stridesOf(shape),
    shape,
  });
  const inverse = new Array<number>(perm.length);
  perm.forEach((a, i) => (inverse[a] = i));
  return record('permute', out, [x], (g) => [permute(g, inverse)]);
}

/** Swaps two axes (the last two by default). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  checkTensor('transpose', x, 'input');
  if (x.ndim < 2 && axis0 === -2 && axis1 === -1)
    fail('transpose', `needs at least 2 dimensions, got ${formatShape(x.shape)}`);
  const a = normalizeAxis('transpose', axis0, x.ndim);
  const b = normalizeAxis('transpose', axis1, x.ndim);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Removes axes of size 1 (the given ones, or all). */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  checkTensor('squeeze', x, 'input');
  const list =
    axes === undefined
      ? x.shape.map((_, i) => i).filter((i) => x.shape[i] === 1)
      : normalizeAxes('squeeze', axes, x.ndim);
  for (const a of list) {
    if (x.shape[a] !== 1)
      fail('squeeze', `axis ${a} has size ${x.shape[a]}, not 1, in shape ${formatShape(x.shape)}`);
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !list.includes(i)),
  );
}

/** Inserts an axis of size 1 at `axis` (which may be ndim, or negative counting from the end). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  checkTensor('unsqueeze', x, 'input');
  const a = normalizeAxis('unsqueeze', axis, x.ndim + 1);
  const shape = x.shape.slice();
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Broadcasts x to `shape` (-1 keeps a size), copying: the result owns its storage. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('expand', x, 'input');
  if (!Array.isArray(shape) || shape.length < x.ndim) {
    fail(
      'expand',
      `cannot expand ${formatShape(x.shape)} to ${Array.isArray(shape) ? formatShape(shape) : String(shape)}`,
    );
  }
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead]! : d));
  for (let i = 0; i < target.length; i++) {
    const d = target[i]!;
    const src = i < lead ? 1 : x.shape[i - lead]!;
    if (!Number.isInteger(d) || d < 0 || (src !== 1 && src !== d)) {
      fail('expand', `cannot expand ${formatShape(x.shape)} to ${formatShape(shape)}`);
    }
  }
  if (shapesEqual(target, x.shape)) return x;
  const out = new Tensor(allocateOverwritten(x.dtype, sizeOf(target)), target, x.dtype);
  backend().copy({
    src: x.data,
    srcOffset: 0,
    srcStrides: broadcastStrides(x.shape, target),
    dst: out.data,
    dstOffset: 0,
    dstStrides: stridesOf(target),
    shape: target,
  });
  return record('expand', out, [x], (g) => [sumTo(g, x.shape)]);
}

/**
 * Elements start ≤ i < end along `axis` (negative indices count from the end; end defaults to the size and is
 * clipped to it, as Python slicing is).
 */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  checkTensor('slice', x, 'input');
  const a = normalizeAxis('slice', axis, x.ndim);
  const size = x.shape[a]!;
  if (!Number.isInteger(start) || (end !== undefined && !Number.isInteger(end))) {
    fail('slice', `start and end must be integers, got ${start} and ${end}`);
  }
  const resolve = (i: number) => Math.min(size, Math.max(0, i < 0 ? i + size : i));
  const s = resolve(start);
  const e = Math.max(s, end === undefined ? size : resolve(end));
  if (s === 0 && e === size) return x;
  const shape = x.shape.slice();
  shape[a] = e - s;
  const strides = stridesOf(x.shape);
  const out = new Tensor(allocateOverwritten(x.dtype, sizeOf(shape)), shape, x.dtype);
  backend().copy({
    src: x.data,
    srcOffset: s * strides[a]!,
    srcStrides: strides,
    dst: out.data,
    dstOffset: 0,
    dstStrides: stridesOf(shape),
    shape,
  });
  return record('slice', out, [x], (g) => {
    const { data, tensor } = newFloat(x.shape);
    backend().copy({
      src: g.data,
      srcOffset: 0,
      srcStrides: stridesOf(shape),
      dst: data,
      dstOffset: s * strides[a]!,
      dstStrides: strides,
      shape,
    });
    return [tensor];
  });
}

/** Joins tensors along an existing axis; all other sizes must agree. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) fail('concat', 'needs a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor('concat', t, `tensors[${i}]`));
  const first = tensors[0]!;
  const a = normalizeAxis('concat', axis, first.ndim);
  let total = 0;
  for (const [i, t] of tensors.entries()) {
    if (t.dtype !== first.dtype) fail('concat', `tensors[${i}] is ${t.dtype}, tensors[0] is ${first.dtype}`);
    const same =
      t.ndim === first.ndim && t.shape.every((d: number, j: number) => j === a || d === first.shape[j]);
    if (!same) {
      fail(
        'concat',
        `tensors[${i}] has shape ${formatShape(t.shape)}, incompatible with ${formatShape(first.shape)} along axis ${a}`,
      );
    }
    total += t.shape[a]!;
  }
  if (tensors.length === 1) return first;
  const shape = first.shape.slice();
  shape[a] = total;
  const outStrides = stridesOf(shape);
  const out = new Tensor(allocateOverwritten(first.dtype, sizeOf(shape)), shape, first.dtype);
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    offsets.push(offset);
    backend().copy({
      src: t.data,
      srcOffset: 0,
      srcStrides: stridesOf(t.shape),
      dst: out.data,
      dstOffset: offset * outStrides[a]!,
      dstStrides: outStrides,
      shape: t.shape,
    });
    offset += t.shape[a]!;
  }
  return record('concat', out, tensors, (g) =>
    tensors.map((t, i) => (t.requiresGrad ? slice(g, a, offsets[i]!, offsets[i]! + t.shape[a]!) : null)),
  );
}

/** Joins tensors of equal shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) fail('stack', 'needs a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor('stack', t, `tensors[${i}]`));
  const first = tensors[0]!;
  for (const [i, t] of tensors.entries()) {
    if (!shapesEqual(t.shape, first.shape)) {
      fail(
        'stack',
        `tensors[${i}] has shape ${formatShape(t.shape)}, tensors[0] has ${formatShape(first.shape)}`,
      );
    }
  }
  const a = normalizeAxis('stack', axis, first.ndim + 1);
  return concat(
    tensors.map((t) => unsqueeze(t, a)),
    a,
  );
}

/**
 * Splits along `axis` into pieces of `sizes` (an array that sums to the size) or into equal pieces of a given
 * size (the last one may be smaller), as torch.split.
 */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  checkTensor('split', x, 'input');
  const a = normalizeAxis('split', axis, x.ndim);
  const total = x.shape[a]!;
  let pieces: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes <= 0)
      fail('split', `piece size must be a positive integer, got ${sizes}`);
    pieces = [];
    for (let s = 0; s < total; s += sizes) pieces.push(Math.min(sizes, total - s));
  } else {
    pieces = [...sizes];
    const sumSizes = pieces.reduce((p, q) => p + q, 0);
    if (pieces.some((p) => !Number.isInteger(p) || p < 0) || sumSizes !== total) {
      fail(
        'split',
        `sizes [${pieces.join(',')}] do not add up to ${total}, the size of axis ${a} of ${formatShape(x.shape)}`,
      );
    }
  }
  const starts: number[] = [];
  let start = 0;
  for (const p of pieces) {
    starts.push(start);
    start += p;
  }
  const pieceCopies = () => pieces.map((p, i) => slice(x, a, starts[i]!, starts[i]! + p));
  if (pieces.length === 1 || !isGradEnabled() || !x.requiresGrad) return pieceCopies();
  // Recorded as one op with several outputs (the pieces are slice's copies, made outside the graph): the pieces'
  // gradients go into one buffer of x's shape, where slices would each make a zero-filled gradient of x's full
  // shape for the engine to add up.
  const outs = noGrad(pieceCopies);
  const strides = stridesOf(x.shape);
  return recordOutputs('split', outs, [x], (grads) => {
    const dx = grads.every((g) => g !== null) ? newFloatOverwritten(x.shape) : newFloat(x.shape);
    grads.forEach((g, i) => {
      if (g)
        backend().copy({
          src: g.data,
          srcOffset: 0,
          srcStrides: stridesOf(g.shape),
          dst: dx.data,
          dstOffset: starts[i]! * strides[a]!,
          dstStrides: strides,
          shape: g.shape,
        });
    });
    return [dx.tensor];
  });
}

/** Converts the dtype (float → int truncates toward zero; anything → bool is "≠ 0"). */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor('cast', x, 'input');
  if (!isDType(dtype)) fail('cast', `unknown dtype ${String(dtype)}`);
  if (x.dtype === dtype) return x;
  const out = allocate(dtype, x.size);
  const src = x.data;
  if (dtype === 'bool') for (let i = 0; i < src.length; i++) out[i] = src[i] !== 0 ? 1 : 0;
  else if (dtype === 'int32') for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]!);
  else out.set(src);
  // Casting leaves the graph: integer and bool tensors carry no gradient.
  return noGradOutput('cast', new Tensor(out, x.shape, dtype), [x]);
}
