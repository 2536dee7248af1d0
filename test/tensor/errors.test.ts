import { afterEach, describe, expect, it } from 'vitest';
import {
  add,
  argmax,
  argmin,
  AttnError,
  cast,
  clamp,
  concat,
  crossEntropy,
  div,
  dropout,
  embedding,
  eq,
  exp,
  expand,
  full,
  gather,
  indexSelect,
  isCheckFiniteEnabled,
  layerNorm,
  log,
  logSoftmax,
  lt,
  maskedFill,
  matmul,
  max,
  mean,
  mul,
  NonFiniteError,
  ones,
  oneHot,
  permute,
  relu,
  reshape,
  setCheckFinite,
  slice,
  softmax,
  split,
  sqrt,
  squeeze,
  stack,
  sub,
  sum,
  tensor,
  transpose,
  unsqueeze,
  variance,
  where,
  zeros,
  type Tensor,
} from '../../src/index.js';

/** Runs fn and checks that it throws an AttnError with exactly `message` (a string) or matching it (a RegExp). */
function expectError(fn: () => unknown, message: string | RegExp): AttnError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, `expected an error matching ${String(message)}`).toBeInstanceOf(AttnError);
  const err = error as AttnError;
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
  expect(err.message.startsWith(`${err.op}: `)).toBe(true);
  return err;
}

const f = (...shape: number[]): Tensor => zeros(shape);
const i32 = (...shape: number[]): Tensor => zeros(shape, { dtype: 'int32' });
const mask = (...shape: number[]): Tensor => zeros(shape, { dtype: 'bool' });
const ids = (values: number[]): Tensor => tensor(values, { dtype: 'int32' });
/** A value of the wrong type, as an untyped caller could pass it. */
const bad = <T>(value: unknown): T => value as T;

describe('matmul errors', () => {
  it('names the shapes when inner dimensions differ', () => {
    const err = expectError(() => matmul(f(2, 3), f(4, 5)), 'matmul: inner dimensions differ: [2,3] @ [4,5]');
    expect(err.op).toBe('matmul');
    expect(err.name).toBe('AttnError');
    expect(err).toBeInstanceOf(Error);
    expectError(
      () => matmul(f(2, 3), f(4, 5), { transB: true }),
      'matmul: inner dimensions differ: [2,3] @ [4,5]ᵀ',
    );
    expectError(
      () => matmul(f(2, 3), f(2, 5), { transA: true, transB: true }),
      'matmul: inner dimensions differ: [2,3]ᵀ @ [2,5]ᵀ',
    );
    expectError(() => matmul(f(3), f(4)), 'matmul: inner dimensions differ: [3] @ [4]');
    expectError(() => f(2, 3).matmul(f(2)), 'matmul: inner dimensions differ: [2,3] @ [2]');
  });

  it('rejects batch axes that do not broadcast, scalars, other dtypes and non-tensors', () => {
    expectError(
      () => matmul(f(2, 2, 3), f(3, 3, 4)),
      /^matmul: shapes cannot be broadcast together: \[2\] and \[3\]/,
    );
    expectError(() => matmul(f(), f(2)), 'matmul: operands must have at least 1 dimension, got [] @ [2]');
    expectError(
      () => matmul(i32(2, 2), f(2, 2)),
      'matmul: first operand must be float32, got int32 of shape [2,2]',
    );
    expectError(
      () => matmul(f(2, 2), mask(2, 2)),
      'matmul: second operand must be float32, got bool of shape [2,2]',
    );
    expectError(
      () => matmul(f(2, 2), bad([[1, 2]])),
      'matmul: second operand must be a Tensor, got an array',
    );
  });
});

describe('elementwise errors', () => {
  it('broadcasting failures name both shapes', () => {
    expectError(() => add(f(2, 3), f(4)), 'add: shapes cannot be broadcast together: [2,3] and [4]');
    expectError(() => sub(f(3, 1), f(2, 2)), 'sub: shapes cannot be broadcast together: [3,1] and [2,2]');
    expectError(
      () => mul(f(2, 3, 4), f(3, 5)),
      'mul: shapes cannot be broadcast together: [2,3,4] and [3,5]',
    );
    expectError(() => div(f(2), f(3)), 'div: shapes cannot be broadcast together: [2] and [3]');
    expectError(() => lt(f(2), f(3)), 'lt: shapes cannot be broadcast together: [2] and [3]');
    expectError(() => f(2).add(f(3)), 'add: shapes cannot be broadcast together: [2] and [3]');
  });

  it('float32 is required for arithmetic', () => {
    expectError(() => add(i32(3), f(3)), 'add: first operand must be float32, got int32 of shape [3]');
    expectError(() => mul(f(3), mask(3)), 'mul: second operand must be float32, got bool of shape [3]');
    expectError(() => add(i32(3), 1), 'add: first operand must be float32, got int32 of shape [3]');
    expectError(() => exp(i32(2)), 'exp: input must be float32, got int32 of shape [2]');
    expectError(() => relu(mask(1)), 'relu: input must be float32, got bool of shape [1]');
    expectError(() => clamp(i32(1), 0, 1), 'clamp: input must be float32, got int32 of shape [1]');
  });

  it('non-tensor arguments are named', () => {
    expectError(() => exp(bad(3)), 'exp: input must be a Tensor, got number');
    expectError(() => relu(bad(null)), 'relu: input must be a Tensor, got null');
    expectError(() => add(f(1), bad('1')), 'add: second operand must be a Tensor or a number, got string');
    expectError(() => sub(bad([1]), f(1)), 'sub: first operand must be a Tensor or a number, got an array');
    expectError(() => eq(bad({}), f(1)), 'eq: first operand must be a Tensor or a number, got Object');
  });

  it('clamp needs a bound', () => {
    expectError(() => clamp(f(1)), 'clamp: needs at least one of min and max');
    expectError(() => clamp(f(1), NaN), /^clamp: bounds must be numbers/);
  });

  it('comparisons need equal dtypes', () => {
    expectError(() => eq(f(2), i32(2)), 'eq: operands must have the same dtype, got float32 and int32');
  });

  it('where and maskedFill need bool masks that broadcast', () => {
    expectError(
      () => where(f(2), f(2), f(2)),
      'where: condition must be a bool mask, got float32 of shape [2]',
    );
    expectError(() => where(i32(2), 1, 0), 'where: condition must be a bool mask, got int32 of shape [2]');
    expectError(
      () => where(mask(2), f(2), i32(2)),
      'where: choices must have the same dtype, got float32 and int32',
    );
    expectError(() => where(mask(2), f(3), 0), 'where: shapes cannot be broadcast together: [2] and [3]');
    expectError(
      () => maskedFill(f(2, 3), f(2, 3), 0),
      'maskedFill: mask must be a bool mask, got float32 of shape [2,3]',
    );
    expectError(
      () => maskedFill(f(2, 3), mask(4), 0),
      'maskedFill: shapes cannot be broadcast together: [2,3] and [4]',
    );
    expectError(
      () => maskedFill(f(3), mask(2, 3), 0),
      'maskedFill: mask of shape [2,3] does not broadcast to input [3]',
    );
    expectError(() => maskedFill(bad(1), mask(1), 0), 'maskedFill: input must be a Tensor, got number');
  });
});

describe('reduction errors', () => {
  it('bad axes', () => {
    expectError(() => sum(f(2, 3), 2), 'sum: axis 2 is out of range for a tensor with 2 dimensions');
    expectError(() => max(f(2, 3), -3), 'max: axis -3 is out of range for a tensor with 2 dimensions');
    expectError(() => mean(f(2, 3), 0.5), 'mean: axis must be an integer, got 0.5');
    expectError(() => sum(f(2, 3), [0, -2]), 'sum: axes repeat: [0,-2]');
    expectError(
      () => variance(f(2, 3), [1, 3]),
      'variance: axis 3 is out of range for a tensor with 2 dimensions',
    );
    expectError(() => argmax(f(2, 3), 2), 'argmax: axis 2 is out of range for a tensor with 2 dimensions');
    expectError(() => softmax(f(2, 3), 2), 'softmax: axis 2 is out of range for a tensor with 2 dimensions');
    expectError(
      () => logSoftmax(f(2, 3), -3),
      'logSoftmax: axis -3 is out of range for a tensor with 2 dimensions',
    );
  });

  it('float32 input, named by the op that was called', () => {
    expectError(() => sum(i32(2)), 'sum: input must be float32, got int32 of shape [2]');
    expectError(() => max(mask(2)), 'max: input must be float32, got bool of shape [2]');
    expectError(() => mean(i32(2, 2)), 'mean: input must be float32, got int32 of shape [2,2]');
    expectError(() => variance(i32(3)), 'variance: input must be float32, got int32 of shape [3]');
    expectError(() => softmax(i32(3)), 'softmax: input must be float32, got int32 of shape [3]');
    expectError(() => argmin(mask(3)), 'argmin: input must be float32 or int32, got bool');
  });

  it('empty reductions without an identity', () => {
    expectError(() => max(f(0, 3), 0), 'max: cannot reduce an empty axis of shape [0,3]');
    expectError(() => argmax(f(0)), 'argmax: cannot take argmax of an empty tensor of shape [0]');
  });
});

describe('shape op errors', () => {
  it('reshape', () => {
    expectError(() => reshape(f(2, 3), [4]), 'reshape: cannot reshape [2,3] (6 elements) to [4]');
    expectError(() => reshape(f(2, 3), [4, -1]), 'reshape: cannot reshape [2,3] (6 elements) to [4,-1]');
    expectError(() => reshape(f(2, 3), [-1, -1]), 'reshape: only one size may be -1, got [-1,-1]');
    expectError(
      () => reshape(f(2, 3), [-2, -3]),
      'reshape: sizes must be non-negative integers, got [-2,-3]',
    );
    expectError(() => reshape(f(6), bad(6)), 'reshape: shape must be an array, got 6');
  });

  it('permute, transpose, squeeze, unsqueeze', () => {
    expectError(
      () => permute(f(2, 3, 4), [0, 1]),
      'permute: needs 3 axes for a tensor of shape [2,3,4], got [0,1]',
    );
    expectError(() => permute(f(2, 3, 4), [0, 0, 1]), 'permute: axes repeat: [0,0,1]');
    expectError(
      () => permute(f(2, 3), [0, 2]),
      'permute: axis 2 is out of range for a tensor with 2 dimensions',
    );
    expectError(() => transpose(f(3)), 'transpose: needs at least 2 dimensions, got [3]');
    expectError(
      () => transpose(f(2, 3), 0, 2),
      'transpose: axis 2 is out of range for a tensor with 2 dimensions',
    );
    expectError(() => squeeze(f(2, 1), 0), 'squeeze: axis 0 has size 2, not 1, in shape [2,1]');
    expectError(
      () => unsqueeze(f(2, 3), 4),
      'unsqueeze: axis 4 is out of range for a tensor with 3 dimensions',
    );
  });

  it('expand and slice', () => {
    expectError(() => expand(f(2, 3), [4, 3]), 'expand: cannot expand [2,3] to [4,3]');
    expectError(() => expand(f(2, 3), [3]), 'expand: cannot expand [2,3] to [3]');
    expectError(() => expand(f(3), [-1, 3]), 'expand: cannot expand [3] to [-1,3]');
    expectError(() => expand(f(3), bad(3)), 'expand: cannot expand [3] to 3');
    expectError(() => slice(f(2, 3), 2, 0), 'slice: axis 2 is out of range for a tensor with 2 dimensions');
    expectError(() => slice(f(2, 3), 0, 0.5), 'slice: start and end must be integers, got 0.5 and undefined');
  });

  it('concat, stack, split and cast', () => {
    expectError(
      () => concat([f(2, 3), f(2, 2)]),
      'concat: tensors[1] has shape [2,2], incompatible with [2,3] along axis 0',
    );
    expectError(
      () => concat([f(2, 3), f(2, 3, 1)], 1),
      'concat: tensors[1] has shape [2,3,1], incompatible with [2,3] along axis 1',
    );
    expectError(() => concat([f(2), i32(2)]), 'concat: tensors[1] is int32, tensors[0] is float32');
    expectError(() => concat([]), 'concat: needs a non-empty array of tensors');
    expectError(() => concat([f(2), bad(3)]), 'concat: tensors[1] must be a Tensor, got number');
    expectError(
      () => concat([f(2), f(2)], 1),
      'concat: axis 1 is out of range for a tensor with 1 dimensions',
    );
    expectError(() => stack([f(2), f(3)]), 'stack: tensors[1] has shape [3], tensors[0] has [2]');
    expectError(() => stack([f(2)], 2), 'stack: axis 2 is out of range for a tensor with 2 dimensions');
    expectError(
      () => split(f(3), [1, 1]),
      'split: sizes [1,1] do not add up to 3, the size of axis 0 of [3]',
    );
    expectError(() => split(f(3), 0), 'split: piece size must be a positive integer, got 0');
    expectError(() => cast(f(1), bad('float64')), 'cast: unknown dtype float64');
  });
});

describe('indexing errors', () => {
  it('out-of-range indices name the position and the valid range', () => {
    expectError(
      () => gather(f(2, 3), 1, ids([0, 3]).reshape([2, 1])),
      'gather: index holds 3 at position 1, outside [0, 3)',
    );
    expectError(
      () => gather(f(2, 3), 0, ids([-1, 0, 0]).reshape([1, 3])),
      'gather: index holds -1 at position 0, outside [0, 2)',
    );
    expectError(
      () => indexSelect(f(2, 3), 0, ids([1, 2])),
      'indexSelect: index holds 2 at position 1, outside [0, 2)',
    );
    expectError(
      () => indexSelect(f(2, 3), 1, ids([-1])),
      'indexSelect: index holds -1 at position 0, outside [0, 3)',
    );
    expectError(
      () => embedding(f(3, 4), ids([0, 5])),
      'embedding: ids holds 5 at position 1, outside [0, 3)',
    );
    expectError(() => embedding(f(3, 4), ids([-1])), 'embedding: ids holds -1 at position 0, outside [0, 3)');
    expectError(() => oneHot(ids([1, 3]), 3), 'oneHot: ids holds 3 at position 1, outside [0, 3)');
    expectError(() => oneHot(ids([-2]), 3), 'oneHot: ids holds -2 at position 0, outside [0, 3)');
  });

  it('indices must be int32 and of the right shape', () => {
    expectError(() => gather(f(2, 3), 1, f(2, 1)), 'gather: index must be int32, got float32 of shape [2,1]');
    expectError(
      () => gather(f(2, 3), 1, i32(3, 1)),
      'gather: index of shape [3,1] must match input [2,3] on every axis but 1',
    );
    expectError(
      () => gather(f(2, 3), 1, i32(2)),
      'gather: index of shape [2] must match input [2,3] on every axis but 1',
    );
    expectError(() => indexSelect(f(2, 3), 0, i32(1, 1)), 'indexSelect: index must be 1-D, got shape [1,1]');
    expectError(
      () => indexSelect(f(2, 3), 0, f(1)),
      'indexSelect: index must be int32, got float32 of shape [1]',
    );
    expectError(() => embedding(f(3, 4), f(2)), 'embedding: ids must be int32, got float32 of shape [2]');
    expectError(() => embedding(f(3), i32(2)), 'embedding: weight must be [numEmbeddings, dim], got [3]');
    expectError(() => embedding(i32(3, 2), i32(2)), 'embedding: weight must be float32, got int32');
    expectError(() => embedding(f(3, 2), i32(2), 3), 'embedding: paddingIdx 3 is outside [-3, 3)');
    expectError(() => oneHot(f(2), 3), 'oneHot: ids must be int32, got float32 of shape [2]');
    expectError(() => oneHot(i32(2), 0), 'oneHot: numClasses must be a positive integer, got 0');
  });
});

describe('loss, normalisation and dropout errors', () => {
  it('crossEntropy checks targets and options', () => {
    expectError(
      () => crossEntropy(f(2, 3), ids([0, 3])),
      'crossEntropy: target 3 at row 1 is outside [0, 3)',
    );
    expectError(
      () => crossEntropy(f(2, 3), ids([-1, 0])),
      'crossEntropy: target -1 at row 0 is outside [0, 3)',
    );
    expectError(
      () => crossEntropy(f(2, 3), ids([-100, 0]), { ignoreIndex: 0 }),
      'crossEntropy: target -100 at row 0 is outside [0, 3)',
    );
    expectError(() => crossEntropy(f(3), ids([0])), 'crossEntropy: logits must be [N, C], got [3]');
    expectError(
      () => crossEntropy(f(2, 3), ids([0, 1, 2])),
      'crossEntropy: targets must be [2] for logits [2,3], got [3]',
    );
    expectError(
      () => crossEntropy(f(2, 3), f(2)),
      'crossEntropy: targets must be int32, got float32 of shape [2]',
    );
    expectError(
      () => crossEntropy(i32(2, 3), ids([0, 0])),
      'crossEntropy: logits must be float32, got int32 of shape [2,3]',
    );
    expectError(
      () => crossEntropy(f(2, 3), ids([0, 0]), { labelSmoothing: 2 }),
      'crossEntropy: labelSmoothing must be in [0, 1], got 2',
    );
    expectError(
      () => crossEntropy(f(2, 3), ids([0, 0]), { reduction: bad('avg') }),
      "crossEntropy: reduction must be 'mean', 'sum' or 'none', got avg",
    );
  });

  it('layerNorm checks the normalised shape, weight and bias', () => {
    expectError(
      () => layerNorm(f(2, 3), 4),
      'layerNorm: normalizedShape [4] does not match the trailing axes of input [2,3]',
    );
    expectError(
      () => layerNorm(f(2, 3), [2, 3, 1]),
      'layerNorm: normalizedShape [2,3,1] does not match the trailing axes of input [2,3]',
    );
    expectError(
      () => layerNorm(f(2, 3), []),
      'layerNorm: normalizedShape [] does not match the trailing axes of input [2,3]',
    );
    expectError(() => layerNorm(f(2, 3), 3, f(4)), 'layerNorm: weight must be [3], got [4]');
    expectError(() => layerNorm(f(2, 3), 3, null, f(3, 1)), 'layerNorm: bias must be [3], got [3,1]');
    expectError(
      () => layerNorm(f(2, 3), 3, i32(3)),
      'layerNorm: weight must be float32, got int32 of shape [3]',
    );
    expectError(() => layerNorm(i32(2, 3), 3), 'layerNorm: input must be float32, got int32 of shape [2,3]');
    expectError(
      () => layerNorm(f(2, 3), 3, null, null, -1),
      'layerNorm: eps must be a non-negative number, got -1',
    );
  });

  it('dropout checks p and the dtype', () => {
    expectError(() => dropout(f(2), 1.5), 'dropout: p must be in [0, 1], got 1.5');
    expectError(() => dropout(f(2), -0.1), 'dropout: p must be in [0, 1], got -0.1');
    expectError(() => dropout(i32(2), 0.5), 'dropout: input must be float32, got int32 of shape [2]');
  });
});

describe('tensor and creation errors', () => {
  it('Tensor methods', () => {
    expectError(() => f(2).item(), 'item: needs a tensor with one element, got shape [2]');
    expectError(
      () => i32(2).requireGrad(),
      'requireGrad: only float32 tensors can require gradients, got int32',
    );
    expectError(
      () => f(2).requireGrad().mul(2).backward(),
      'backward: an upstream gradient is needed for a non-scalar output of shape [2]',
    );
    expectError(
      () => f(1).backward(),
      'backward: the tensor does not require gradients (no input had requiresGrad set)',
    );
  });

  it('creation functions name themselves', () => {
    expectError(() => zeros([-1]), 'zeros: shape must hold non-negative integers, got [-1]');
    expectError(() => ones([2.5]), 'ones: shape must hold non-negative integers, got [2.5]');
    expectError(() => full([2], 1, { dtype: bad('float64') }), 'full: unknown dtype float64');
    expectError(() => full(bad(3), 1), 'full: shape must be an array of sizes, got 3');
    expectError(() => tensor([1], { dtype: bad('int8') }), 'tensor: unknown dtype int8');
  });
});

describe('the opt-in finite check', () => {
  afterEach(() => setCheckFinite(false));

  it('is off by default: non-finite values flow through', () => {
    expect(isCheckFiniteEnabled()).toBe(false);
    expect(log(tensor([1, 0])).data[1]).toBe(-Infinity);
    expect(Number.isNaN(sqrt(tensor([-1])).data[0])).toBe(true);
    const x = tensor([0], { requiresGrad: true });
    sum(mul(sqrt(x), 0)).backward();
    expect(Number.isNaN(x.grad!.data[0])).toBe(true);
  });

  it('names the op whose output is not finite', () => {
    setCheckFinite(true);
    expect(isCheckFiniteEnabled()).toBe(true);
    const err = expectError(
      () => log(tensor([1, 0])),
      'log: produced -Infinity at flat index 1 of its output of shape [2]; all its inputs were finite',
    );
    expect(err).toBeInstanceOf(NonFiniteError);
    expect(err.name).toBe('NonFiniteError');
    expect(err.op).toBe('log');
    expectError(() => div(tensor([0, 1]), tensor([1, 0])), /^div: produced Infinity at flat index 1 /);
    expectError(() => sqrt(tensor([4, -1])), /^sqrt: produced NaN at flat index 1 /);
    expectError(
      () => mul(tensor([[Infinity]]), 0),
      'mul: produced NaN at flat index 0 of its output of shape [1,1]; no input held a NaN',
    );
    // Infinities that flow through on purpose are not blamed on the op carrying them: a -∞ mask into a softmax.
    expect(exp(tensor([[Infinity]])).data[0]).toBe(Infinity);
    const masked = maskedFill(tensor([1, 2, 3]), tensor([0, 1, 0], { dtype: 'bool' }), -Infinity);
    expect(softmax(masked).data[1]).toBe(0);
    // Finite results and non-float outputs pass.
    expect(log(tensor([1, 2])).data[0]).toBe(0);
    expect(argmax(tensor([1, 2])).item()).toBe(1);
  });

  it('names the op with "(backward)" when a gradient is not finite', () => {
    setCheckFinite(true);
    const x = tensor([0, 1], { requiresGrad: true });
    const loss = sum(mul(sqrt(x), 0)); // forward is finite; d sqrt(x)/dx at 0 is 0/0
    let error: unknown;
    try {
      loss.backward();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NonFiniteError);
    const err = error as NonFiniteError;
    expect(err.op).toBe('sqrt (backward)');
    expect(err.message).toBe('sqrt (backward): produced NaN at flat index 0 of a gradient of shape [2]');
  });

  it('can be switched off again', () => {
    setCheckFinite(true);
    setCheckFinite(false);
    expect(() => log(tensor([0]))).not.toThrow();
  });
});
