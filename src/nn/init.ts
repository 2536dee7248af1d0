/**
 * Parameter initialisers, in place, drawing from a Generator (the global seeded one by default), with PyTorch's
 * formulas (torch.nn.init).
 */
import { fail } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

function floats(op: string, t: Tensor): Float32Array {
  if (t.dtype !== 'float32') fail(op, `needs a float32 tensor, got ${t.dtype}`);
  return t.data as Float32Array;
}

/** fan_in = size of axis 1 × receptive field; fan_out = size of axis 0 × receptive field (as torch). */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) fail('init', `fan in/out need at least 2 dimensions, got ${t.ndim}`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

export function uniform(
  t: Tensor,
  low: number,
  high: number,
  generator: Generator = defaultGenerator(),
): Tensor {
  generator.fillUniform(floats('uniform', t), low, high);
  return t;
}

export function normal(t: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator()): Tensor {
  generator.fillNormal(floats('normal', t), mean, std);
  return t;
}

export function constant(t: Tensor, value: number): Tensor {
  floats('constant', t).fill(value);
  return t;
}

/** U(-a, a) with a = gain·√(6 / (fan_in + fan_out)). */
export function xavierUniform(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = fans(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -a, a, generator);
}

/**
 * U(-b, b) with b = √(6 / ((1 + a²)·fan_in)): torch's kaiming_uniform_ for leaky_relu with slope a. With
 * a = √5 (what torch.nn.Linear uses) this is b = 1/√fan_in.
 */
export function kaimingUniform(t: Tensor, a = 0, generator?: Generator): Tensor {
  const { fanIn } = fans(t);
  const bound = Math.sqrt(6 / ((1 + a * a) * fanIn));
  return uniform(t, -bound, bound, generator);
}
