/** Making tensors: from values, filled, ranges and random. */
import { allocate, isDType, type DataArray, type DType } from './dtype.js';
import { fail } from './errors.js';
import { defaultGenerator, type Generator } from './random.js';
import { checkShape, formatShape, sizeOf, type Shape } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0]!;
  }
  return shape;
}

function finish(data: DataArray, shape: Shape, dtype: DType, options: TensorOptions): Tensor {
  const t = new Tensor(data, shape, dtype);
  if (options.requiresGrad) t.requireGrad();
  return t;
}

/** Bool storage holds only 0 and 1: anything non-zero (NaN included) is true, as in `cast`. */
function toBool(value: number): number {
  return value !== 0 ? 1 : 0;
}

function resolveDType(op: string, options: TensorOptions, fallback: DType): DType {
  const dtype = options.dtype ?? fallback;
  if (!isDType(dtype)) fail(op, `unknown dtype ${String(dtype)}`);
  return dtype;
}

/**
 * A tensor from nested arrays (shape inferred, ragged input rejected), or from a typed array with an explicit
 * shape. Typed arrays are copied; dtype defaults to float32 (int32 for an Int32Array).
 */
export function tensor(
  values: NestedArray | DataArray,
  options: TensorOptions & { shape?: Shape } = {},
): Tensor {
  if (ArrayBuffer.isView(values)) {
    const shape = options.shape ?? [values.length];
    checkShape('tensor', shape);
    const fallback: DType =
      values instanceof Int32Array ? 'int32' : values instanceof Uint8Array ? 'bool' : 'float32';
    const dtype = resolveDType('tensor', options, fallback);
    if (sizeOf(shape) !== values.length) {
      fail('tensor', `shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${values.length}`);
    }
    const data = allocate(dtype, values.length);
    if (dtype === 'bool') for (let i = 0; i < values.length; i++) data[i] = toBool(values[i]!);
    else data.set(values);
    return finish(data, shape, dtype, options);
  }
  const shape = inferShape(values);
  const dtype = resolveDType('tensor', options, 'float32');
  const data = allocate(dtype, sizeOf(shape));
  let k = 0;
  const walk = (v: NestedArray, axis: number): void => {
    if (axis === shape.length) {
      if (typeof v !== 'number') fail('tensor', `values are ragged or not numbers at depth ${axis}`);
      data[k++] = dtype === 'bool' ? toBool(v) : v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[axis]) {
      fail(
        'tensor',
        `values are ragged: expected ${shape[axis]} entries at depth ${axis} for shape ${formatShape(shape)}`,
      );
    }
    for (const item of v) walk(item, axis + 1);
  };
  walk(values, 0);
  if (options.shape) {
    checkShape('tensor', options.shape);
    if (sizeOf(options.shape) !== data.length) {
      fail(
        'tensor',
        `shape ${formatShape(options.shape)} needs ${sizeOf(options.shape)} values, got ${data.length}`,
      );
    }
    return finish(data, options.shape, dtype, options);
  }
  return finish(data, shape, dtype, options);
}

export function scalar(value: number, options: TensorOptions = {}): Tensor {
  return tensor(value, options);
}

/** A tensor filled with `value`; errors name `op`, the function the caller called. */
function filled(op: string, shape: Shape, value: number, options: TensorOptions): Tensor {
  checkShape(op, shape);
  const dtype = resolveDType(op, options, 'float32');
  const data = allocate(dtype, sizeOf(shape));
  data.fill(dtype === 'bool' ? toBool(value) : value);
  return finish(data, shape, dtype, options);
}

export function full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
  return filled('full', shape, value, options);
}

export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  return filled('zeros', shape, 0, options);
}

export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return filled('ones', shape, 1, options);
}

export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return filled('zerosLike', t.shape, 0, { dtype: t.dtype, ...options });
}

export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return filled('onesLike', t.shape, 1, { dtype: t.dtype, ...options });
}

/** start, start+step, ... below end (as torch.arange); int32 when all arguments are integers. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    fail('arange', `needs finite bounds and a non-zero step, got ${lo}, ${hi}, ${step}`);
  }
  const count = Math.max(0, Math.ceil((hi - lo) / step));
  const integral = Number.isInteger(lo) && Number.isInteger(hi) && Number.isInteger(step);
  const dtype = resolveDType('arange', options, integral ? 'int32' : 'float32');
  const data = allocate(dtype, count);
  for (let i = 0; i < count; i++) data[i] = lo + i * step;
  return finish(data, [count], dtype, options);
}

/** The n×n identity (float32). */
export function eye(n: number, options: TensorOptions = {}): Tensor {
  const t = filled('eye', [n, n], 0, options);
  for (let i = 0; i < n; i++) t.data[i * n + i] = 1;
  return t;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

/** Uniform in [0, 1). */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape('rand', shape);
  const data = new Float32Array(sizeOf(shape));
  (options.generator ?? defaultGenerator()).fillUniform(data);
  return finish(data, shape, 'float32', options);
}

/** Standard normal. */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape('randn', shape);
  const data = new Float32Array(sizeOf(shape));
  (options.generator ?? defaultGenerator()).fillNormal(data);
  return finish(data, shape, 'float32', options);
}

/** Integers uniform in [low, high), int32. */
export function randint(low: number, high: number, shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape('randint', shape);
  const g = options.generator ?? defaultGenerator();
  const data = new Int32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = g.randint(low, high);
  return finish(data, shape, 'int32', {});
}

/** A bool mask, true with probability p. */
export function bernoulli(p: number, shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape('bernoulli', shape);
  if (!(p >= 0 && p <= 1)) fail('bernoulli', `p must be in [0, 1], got ${p}`);
  const g = options.generator ?? defaultGenerator();
  const data = new Uint8Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = g.uniform() < p ? 1 : 0;
  return finish(data, shape, 'bool', {});
}

/** A random permutation of 0..n-1, int32. */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  const data = (options.generator ?? defaultGenerator()).permutation(n);
  return finish(data, [n], 'int32', {});
}
