/** What every op shares: argument checks, wrapping numbers, recording the graph, reducing broadcast gradients. */
import { getBackend } from '../../backend/registry.js';
import type { Backend } from '../../backend/kernels.js';
import { isGradEnabled, type BackwardFn } from '../autograd.js';
import { checkFiniteOutput } from '../debug.js';
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { formatShape, sizeOf } from '../shape.js';
import { uninitialisedFloats, zeroedFloats } from '../storage.js';
import { checkLive, Tensor } from '../tensor.js';

export function backend(): Backend {
  return getBackend();
}

export function checkTensor(op: string, value: unknown, arg: string): asserts value is Tensor {
  if (!(value instanceof Tensor)) fail(op, `${arg} must be a Tensor, got ${describe(value)}`);
  checkLive(op, value, arg);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}

/** The storage of a float32 tensor, or an error naming the op and the argument. */
export function floatData(op: string, t: Tensor, arg: string): Float32Array {
  checkTensor(op, t, arg);
  if (t.dtype !== 'float32')
    fail(op, `${arg} must be float32, got ${t.dtype} of shape ${formatShape(t.shape)}`);
  return t.data as Float32Array;
}

export function intData(op: string, t: Tensor, arg: string): Int32Array {
  checkTensor(op, t, arg);
  if (t.dtype !== 'int32') fail(op, `${arg} must be int32, got ${t.dtype} of shape ${formatShape(t.shape)}`);
  return t.data as Int32Array;
}

export function boolData(op: string, t: Tensor, arg: string): Uint8Array {
  checkTensor(op, t, arg);
  if (t.dtype !== 'bool')
    fail(op, `${arg} must be a bool mask, got ${t.dtype} of shape ${formatShape(t.shape)}`);
  return t.data as Uint8Array;
}

/** Numbers stand for scalar tensors of the other operand's dtype (float32 by default). */
export function asTensor(op: string, value: Tensor | number, arg: string, dtype: DType = 'float32'): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value !== 'number') fail(op, `${arg} must be a Tensor or a number, got ${describe(value)}`);
  if (dtype === 'int32') return new Tensor(new Int32Array([value]), [], 'int32');
  if (dtype === 'bool') return new Tensor(new Uint8Array([value ? 1 : 0]), [], 'bool');
  return new Tensor(new Float32Array([value]), [], 'float32');
}

/** A zero-filled float32 output tensor and its storage. */
export function newFloat(shape: readonly number[]): { data: Float32Array; tensor: Tensor } {
  const data = zeroedFloats(sizeOf(shape));
  return { data, tensor: new Tensor(data, shape, 'float32') };
}

/**
 * A float32 output tensor whose storage starts unspecified (see ../storage.ts): only for ops whose kernel,
 * on every backend, writes each element of it.
 */
export function newFloatOverwritten(shape: readonly number[]): { data: Float32Array; tensor: Tensor } {
  const data = uninitialisedFloats(sizeOf(shape));
  return { data, tensor: new Tensor(data, shape, 'float32') };
}

/**
 * Finishes an op: checks its output when the finite check is on, and attaches the backward rule when gradients
 * are being recorded and some input requires them. `releasesGrad` (true unless the closure stores its gradient
 * argument for later) lets the engine recycle the gradient's storage once the closure has returned.
 */
export function record(
  op: string,
  out: Tensor,
  inputs: readonly Tensor[],
  backward: BackwardFn,
  releasesGrad = true,
): Tensor {
  checkFiniteOutput(op, out, inputs);
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { name: op, inputs, backward, releasesGrad };
  }
  return out;
}

/** Records an op that has no gradient (comparisons, argmax, integer results). */
export function noGradOutput(op: string, out: Tensor, inputs: readonly Tensor[]): Tensor {
  checkFiniteOutput(op, out, inputs);
  return out;
}
