/** Normalisation. */
import { fail } from '../errors.js';
import { formatShape, shapesEqual, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backend, floatData, newFloat, newFloatOverwritten, record } from './common.js';

/**
 * Layer normalisation over the trailing `normalizedShape` axes (torch.nn.functional.layer_norm):
 *   y = (x - E[x]) / √(Var[x] + eps) · weight + bias,  Var biased (divided by n).
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const xd = floatData('layerNorm', x, 'input');
  const norm = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  if (norm.length === 0 || norm.length > x.ndim || !shapesEqual(x.shape.slice(x.ndim - norm.length), norm)) {
    fail(
      'layerNorm',
      `normalizedShape ${formatShape(norm)} does not match the trailing axes of input ${formatShape(x.shape)}`,
    );
  }
  const gamma = weight ? floatData('layerNorm', weight, 'weight') : null;
  const beta = bias ? floatData('layerNorm', bias, 'bias') : null;
  if (weight && !shapesEqual(weight.shape, norm))
    fail('layerNorm', `weight must be ${formatShape(norm)}, got ${formatShape(weight.shape)}`);
  if (bias && !shapesEqual(bias.shape, norm))
    fail('layerNorm', `bias must be ${formatShape(norm)}, got ${formatShape(bias.shape)}`);
  if (!(eps >= 0)) fail('layerNorm', `eps must be a non-negative number, got ${eps}`);
  const n = sizeOf(norm);
  const rows = n === 0 ? 0 : x.size / n;
  // The kernels write every element of y and dx.
  const { data: yd, tensor: y } = newFloatOverwritten(x.shape);
  const mean = new Float32Array(rows);
  const rstd = new Float32Array(rows);
  backend().layerNorm({ x: xd, gamma, beta, rows, n, eps, out: yd, mean, rstd });
  const inputs: Tensor[] = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  return record('layerNorm', y, inputs, (g) => {
    const { data: dx, tensor: gx } = newFloatOverwritten(x.shape);
    const dGamma = weight ? newFloat(norm) : null;
    const dBeta = bias ? newFloat(norm) : null;
    backend().layerNormGrad({
      x: xd,
      gamma,
      mean,
      rstd,
      dy: g.data as Float32Array,
      rows,
      n,
      dx,
      dGamma: dGamma?.data ?? null,
      dBeta: dBeta?.data ?? null,
    });
    const grads: (Tensor | null)[] = [gx];
    if (dGamma) grads.push(dGamma.tensor);
    if (dBeta) grads.push(dBeta.tensor);
    return grads;
  });
}
