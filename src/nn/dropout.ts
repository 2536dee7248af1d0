import { dropout } from '../tensor/ops/index.js';
import { fail } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** Zeroes elements with probability p and scales the rest by 1/(1−p), in training mode only (torch.nn.Dropout). */
export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    private readonly generator?: Generator,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) fail('Dropout', `p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}
