import { linear } from '../tensor/ops/index.js';
import { fail, requirePositiveIntegers } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { fans, kaimingUniform, uniform } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  bias?: boolean;
  generator?: Generator;
}

/**
 * y = x·Wᵀ + b (torch.nn.Linear). x: [..., inFeatures] → y: [..., outFeatures]. Parameters `weight`
 * [outFeatures, inFeatures] and `bias` [outFeatures], initialised as torch does: U(-1/√in, 1/√in).
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    requirePositiveIntegers('Linear', { inFeatures, outFeatures });
    const weight = new Tensor(new Float32Array(outFeatures * inFeatures), [outFeatures, inFeatures]);
    kaimingUniform(weight, Math.sqrt(5), options.generator);
    this.weight = this.registerParameter('weight', weight)!;
    let bias: Tensor | null = null;
    if (options.bias ?? true) {
      const bound = 1 / Math.sqrt(fans(weight).fanIn);
      bias = uniform(
        new Tensor(new Float32Array(outFeatures), [outFeatures]),
        -bound,
        bound,
        options.generator,
      );
    }
    this.bias = this.registerParameter('bias', bias);
  }

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor) || x.shape.at(-1) !== this.inFeatures) {
      fail(
        'Linear',
        `input must be [..., ${this.inFeatures}], got ${x instanceof Tensor ? formatShape(x.shape) : String(x)}`,
      );
    }
    return linear(x, this.weight, this.bias);
  }
}
