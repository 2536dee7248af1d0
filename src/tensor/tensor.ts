/**
 * Tensor: a shape, a dtype and contiguous row-major storage in a typed array owned by JavaScript. Tensors are
 * immutable in the API (ops return new tensors; reshape shares storage), so nothing needs disposing: the garbage
 * collector frees storage no one refers to.
 *
 * A tensor takes part in autograd when `requiresGrad` is set: ops on it record a graph, and `backward()` fills
 * the `.grad` of the leaves.
 */
import { runBackward, type GradFn } from './autograd.js';
import { dtypeOfArray, type DataArray, type DType } from './dtype.js';
import { AttnError, fail } from './errors.js';
import * as ops from './ops/index.js';
import { formatShape, sizeOf, shapesEqual, checkShape, type Shape } from './shape.js';
import { dropGradStorage, storageGeneration } from './storage.js';

/** Nested arrays of numbers, as `toArray()` returns and `tensor()` accepts. */
export type NestedArray = number | NestedArray[];

export class Tensor {
  readonly data: DataArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Whether gradients flow to this tensor. Set it on leaves with `requireGrad()`. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf after `backward()`, or null. */
  grad: Tensor | null = null;
  /** The op that computed this tensor (null for leaves). */
  gradFn: GradFn | null = null;
  /** The generation of the storage when this tensor was made; a later one means a tidy() released it. */
  readonly storageGeneration: number;

  constructor(data: DataArray, shape: Shape, dtype: DType = dtypeOfArray(data)) {
    checkShape('Tensor', shape);
    if (dtypeOfArray(data) !== dtype) {
      fail('Tensor', `storage is a ${data.constructor.name} but dtype is ${dtype}`);
    }
    if (data.length !== sizeOf(shape)) {
      fail(
        'Tensor',
        `shape ${formatShape(shape)} needs ${sizeOf(shape)} elements, storage has ${data.length}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.storageGeneration = storageGeneration(data.buffer);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of axes. */
  get ndim(): number {
    return this.shape.length;
  }

  /** A tensor without a gradFn: results of ops on leaves are recorded, leaves are where gradients land. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Marks a leaf as requiring gradients (in place) and returns it. */
  requireGrad(flag = true): this {
    if (this.gradFn !== null)
      fail('requireGrad', 'only leaf tensors can change requiresGrad; use detach() first');
    if (flag && this.dtype !== 'float32')
      fail('requireGrad', `only float32 tensors can require gradients, got ${this.dtype}`);
    this.requiresGrad = flag;
    return this;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    checkLive('item', this, 'the tensor');
    if (this.size !== 1)
      fail('item', `needs a tensor with one element, got shape ${formatShape(this.shape)}`);
    return this.data[0]!;
  }

  /** The values as nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    checkLive('toArray', this, 'the tensor');
    const build = (axis: number, offset: number): NestedArray => {
      if (axis === this.shape.length) return this.data[offset]!;
      const stride = sizeOf(this.shape.slice(axis + 1));
      return Array.from({ length: this.shape[axis]! }, (_, i) => build(axis + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** A new tensor with copied storage, outside the graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, this.dtype);
  }

  /** The same storage as a leaf that does not require gradients. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, this.dtype);
  }

  /**
   * Back-propagates from this tensor: the upstream gradient is 1 for a one-element tensor and must be given
   * otherwise. Gradients accumulate into `.grad` of every leaf that requires them; the graph is released.
   */
  backward(grad?: Tensor): void {
    let upstream: Tensor;
    if (grad === undefined) {
      if (this.size !== 1) {
        throw new AttnError(
          'backward',
          `an upstream gradient is needed for a non-scalar output of shape ${formatShape(this.shape)}`,
        );
      }
      upstream = new Tensor(new Float32Array([1]), this.shape, 'float32');
    } else {
      if (!shapesEqual(grad.shape, this.shape) || grad.dtype !== 'float32') {
        throw new AttnError(
          'backward',
          `gradient of shape ${formatShape(grad.shape)} (${grad.dtype}) does not match output ${formatShape(this.shape)} (float32)`,
        );
      }
      upstream = grad;
    }
    runBackward(this, upstream, ops.add);
  }

  /**
   * Clears the accumulated gradient (sets .grad to null). Inside tidy(), a gradient that backward() made is
   * released with the scope's storage when the scope ends (unless its result holds it): the next backward
   * reuses that memory. A reference kept to the old .grad then fails loudly if used after the scope.
   */
  zeroGrad(): void {
    if (this.grad) dropGradStorage(this.grad.data.buffer);
    this.grad = null;
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype})`;
  }

  // Method forms of the ops in ./ops, for chaining: x.matmul(w).add(b).relu().
  add(other: Tensor | number): Tensor {
    return ops.add(this, other);
  }
  sub(other: Tensor | number): Tensor {
    return ops.sub(this, other);
  }
  mul(other: Tensor | number): Tensor {
    return ops.mul(this, other);
  }
  div(other: Tensor | number): Tensor {
    return ops.div(this, other);
  }
  pow(exponent: Tensor | number): Tensor {
    return ops.pow(this, exponent);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  gelu(): Tensor {
    return ops.gelu(this);
  }
  clamp(min?: number, max?: number): Tensor {
    return ops.clamp(this, min, max);
  }
  eq(other: Tensor | number): Tensor {
    return ops.eq(this, other);
  }
  ne(other: Tensor | number): Tensor {
    return ops.ne(this, other);
  }
  lt(other: Tensor | number): Tensor {
    return ops.lt(this, other);
  }
  le(other: Tensor | number): Tensor {
    return ops.le(this, other);
  }
  gt(other: Tensor | number): Tensor {
    return ops.gt(this, other);
  }
  ge(other: Tensor | number): Tensor {
    return ops.ge(this, other);
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return ops.maskedFill(this, mask, value);
  }
  sum(axes?: number | readonly number[], keepdim = false): Tensor {
    return ops.sum(this, axes, keepdim);
  }
  mean(axes?: number | readonly number[], keepdim = false): Tensor {
    return ops.mean(this, axes, keepdim);
  }
  max(axes?: number | readonly number[], keepdim = false): Tensor {
    return ops.max(this, axes, keepdim);
  }
  min(axes?: number | readonly number[], keepdim = false): Tensor {
    return ops.min(this, axes, keepdim);
  }
  argmax(axis?: number, keepdim = false): Tensor {
    return ops.argmax(this, axis, keepdim);
  }
  logsumexp(axes: number | readonly number[], keepdim = false): Tensor {
    return ops.logsumexp(this, axes, keepdim);
  }
  softmax(axis = -1): Tensor {
    return ops.softmax(this, axis);
  }
  logSoftmax(axis = -1): Tensor {
    return ops.logSoftmax(this, axis);
  }
  matmul(other: Tensor, options?: ops.MatmulOptions): Tensor {
    return ops.matmul(this, other, options);
  }
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  flatten(startAxis = 0, endAxis = -1): Tensor {
    return ops.flatten(this, startAxis, endAxis);
  }
  transpose(axis0 = -2, axis1 = -1): Tensor {
    return ops.transpose(this, axis0, axis1);
  }
  permute(axes: readonly number[]): Tensor {
    return ops.permute(this, axes);
  }
  squeeze(axes?: number | readonly number[]): Tensor {
    return ops.squeeze(this, axes);
  }
  unsqueeze(axis: number): Tensor {
    return ops.unsqueeze(this, axis);
  }
  expand(shape: readonly number[]): Tensor {
    return ops.expand(this, shape);
  }
  slice(axis: number, start: number, end?: number): Tensor {
    return ops.slice(this, axis, start, end);
  }
  toDType(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
}

/**
 * Fails when `t`'s storage was released by the tidy() that made it (its storage's generation has moved on, or, in
 * the checking mode that detaches released storage, its data is empty), so that a tensor used after its scope is
 * an error rather than a read of storage something else now owns.
 */
export function checkLive(op: string, t: Tensor, arg: string): void {
  if (
    (t.data.length === 0 && sizeOf(t.shape) > 0) ||
    t.storageGeneration !== storageGeneration(t.data.buffer)
  ) {
    fail(
      op,
      `${arg} (shape ${formatShape(t.shape)}) was made inside a tidy() that has returned, which released its storage; return it from the tidy callback to keep it`,
    );
  }
}
