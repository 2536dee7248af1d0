/** Picking elements by integer index: gather, indexSelect, embedding lookup, oneHot. */
import { fail } from '../errors.js';
import { axisView, formatShape, normalizeAxis, sizeOf } from '../shape.js';
import { allocate, allocateOverwritten } from '../dtype.js';
import { Tensor } from '../tensor.js';
import {
  backend,
  checkTensor,
  intData,
  newFloat,
  newFloatOverwritten,
  noGradOutput,
  record,
} from './common.js';

function checkIndices(op: string, index: Int32Array, size: number, arg: string): void {
  for (let i = 0; i < index.length; i++) {
    const v = index[i]!;
    if (v < 0 || v >= size) fail(op, `${arg} holds ${v} at position ${i}, outside [0, ${size})`);
  }
}

/**
 * out[..., j, ...] = x[..., index[j], ...] along `axis`, with a 1-D int32 index (torch.index_select). Its
 * gradient adds each output row back onto the row it came from.
 */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  checkTensor('indexSelect', x, 'input');
  const idx = intData('indexSelect', index, 'index');
  if (index.ndim !== 1) fail('indexSelect', `index must be 1-D, got shape ${formatShape(index.shape)}`);
  const a = normalizeAxis('indexSelect', axis, x.ndim);
  const { outer, n, inner } = axisView(x.shape, a);
  checkIndices('indexSelect', idx, n, 'index');
  const shape = x.shape.slice();
  shape[a] = idx.length;
  const out = new Tensor(allocateOverwritten(x.dtype, sizeOf(shape)), shape, x.dtype);
  backend().indexSelect({ src: x.data, outer, n, inner, index: idx, out: out.data });
  if (x.dtype !== 'float32') return noGradOutput('indexSelect', out, [x]);
  return record('indexSelect', out, [x], (g) => {
    const { data, tensor } = newFloat(x.shape);
    backend().indexAdd({ dst: data, outer, n, inner, index: idx, src: g.data as Float32Array });
    return [tensor];
  });
}

/**
 * Embedding lookup: out[..., :] = weight[ids[...], :] for weight [numEmbeddings, dim] and int32 ids of any shape.
 * The gradient is a scatter-add into the rows that were read; rows equal to paddingIdx receive none (as
 * torch.nn.functional.embedding's padding_idx).
 */
export function embedding(weight: Tensor, ids: Tensor, paddingIdx?: number): Tensor {
  checkTensor('embedding', weight, 'weight');
  const idx = intData('embedding', ids, 'ids');
  if (weight.ndim !== 2)
    fail('embedding', `weight must be [numEmbeddings, dim], got ${formatShape(weight.shape)}`);
  if (weight.dtype !== 'float32') fail('embedding', `weight must be float32, got ${weight.dtype}`);
  const [rows, dim] = weight.shape as [number, number];
  checkIndices('embedding', idx, rows, 'ids');
  if (
    paddingIdx !== undefined &&
    (!Number.isInteger(paddingIdx) || paddingIdx < -rows || paddingIdx >= rows)
  ) {
    fail('embedding', `paddingIdx ${paddingIdx} is outside [${-rows}, ${rows})`);
  }
  const pad = paddingIdx === undefined ? -1 : paddingIdx < 0 ? paddingIdx + rows : paddingIdx;
  const { data, tensor } = newFloatOverwritten([...ids.shape, dim]);
  backend().indexSelect({ src: weight.data, outer: 1, n: rows, inner: dim, index: idx, out: data });
  return record('embedding', tensor, [weight], (g) => {
    const { data: dw, tensor: grad } = newFloat(weight.shape);
    backend().indexAdd({ dst: dw, outer: 1, n: rows, inner: dim, index: idx, src: g.data as Float32Array });
    if (pad >= 0) dw.fill(0, pad * dim, (pad + 1) * dim);
    return [grad];
  });
}

/**
 * out[i][j][k] = x[i][index[i][j][k]][k] for axis 1 (torch.gather): index has x's shape except along `axis`.
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  checkTensor('gather', x, 'input');
  const idx = intData('gather', index, 'index');
  const a = normalizeAxis('gather', axis, x.ndim);
  const fits = index.ndim === x.ndim && index.shape.every((d, i) => i === a || d === x.shape[i]);
  if (!fits) {
    fail(
      'gather',
      `index of shape ${formatShape(index.shape)} must match input ${formatShape(x.shape)} on every axis but ${a}`,
    );
  }
  const { outer, n, inner } = axisView(x.shape, a);
  checkIndices('gather', idx, n, 'index');
  const m = index.shape[a]!;
  const out = new Tensor(allocateOverwritten(x.dtype, index.size), index.shape, x.dtype);
  backend().gather({ src: x.data, outer, n, inner, index: idx, m, out: out.data });
  if (x.dtype !== 'float32') return noGradOutput('gather', out, [x]);
  return record('gather', out, [x], (g) => {
    const { data, tensor } = newFloat(x.shape);
    backend().scatterAdd({ dst: data, outer, n, inner, index: idx, m, src: g.data as Float32Array });
    return [tensor];
  });
}

/** One-hot encoding of int32 ids: shape [...ids.shape, numClasses], int32 like torch (or float32 on request). */
export function oneHot(ids: Tensor, numClasses: number, dtype: 'int32' | 'float32' = 'int32'): Tensor {
  const idx = intData('oneHot', ids, 'ids');
  if (!Number.isInteger(numClasses) || numClasses <= 0)
    fail('oneHot', `numClasses must be a positive integer, got ${numClasses}`);
  checkIndices('oneHot', idx, numClasses, 'ids');
  const out = allocate(dtype, idx.length * numClasses);
  for (let i = 0; i < idx.length; i++) out[i * numClasses + idx[i]!] = 1;
  return noGradOutput('oneHot', new Tensor(out, [...ids.shape, numClasses], dtype), [ids]);
}
