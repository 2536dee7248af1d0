import { layerNorm } from '../tensor/ops/index.js';
import { fail } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

export interface LayerNormOptions {
  eps?: number;
  /** Learned `weight` (γ, ones) and `bias` (β, zeros); default true. */
  elementwiseAffine?: boolean;
}

/** y = (x − E[x]) / √(Var[x] + eps) · γ + β over the trailing `normalizedShape` axes (torch.nn.LayerNorm). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (
      this.normalizedShape.length === 0 ||
      this.normalizedShape.some((d) => !Number.isInteger(d) || d <= 0)
    ) {
      fail(
        'LayerNorm',
        `normalizedShape must hold positive integers, got [${this.normalizedShape.join(',')}]`,
      );
    }
    this.eps = options.eps ?? 1e-5;
    const size = this.normalizedShape.reduce((a, b) => a * b, 1);
    const affine = options.elementwiseAffine ?? true;
    this.weight = this.registerParameter(
      'weight',
      affine ? new Tensor(new Float32Array(size).fill(1), this.normalizedShape) : null,
    );
    this.bias = this.registerParameter(
      'bias',
      affine ? new Tensor(new Float32Array(size), this.normalizedShape) : null,
    );
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}
