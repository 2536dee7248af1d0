/** The JavaScript reference backend: runs anywhere, and is the oracle the native kernels are tested against. */
import type { Backend } from '../kernels.js';
import { additiveAttention, additiveAttentionGrad } from './additive-attention.js';
import { attention, attentionGrad } from './attention.js';
import { copy, copyAdd } from './copy.js';
import { binary, clamp, compare, unary, unaryGrad, where } from './elementwise.js';
import { gather, indexAdd, indexSelect, scatterAdd } from './indexing.js';
import { layerNorm, layerNormGrad } from './layernorm.js';
import { linearActGrad, linearBiasAct } from './linear-epilogue.js';
import { matmul, matmulPacked, packMatmulB } from './matmul.js';
import { adam } from './optim.js';
import { argReduce, reduce } from './reduce.js';
import { gruCell, gruCellGrad, lstmCell, lstmCellGrad } from './recurrent.js';
import { crossEntropy, crossEntropyGrad, softmax, softmaxGrad } from './softmax.js';
import { sparsemax, sparsemaxGrad } from './sparsemax.js';

export const jsBackend: Backend = {
  name: 'js',
  unary,
  unaryGrad,
  clamp,
  binary,
  compare,
  where,
  copy,
  copyAdd,
  reduce,
  argReduce,
  matmul,
  packMatmulB,
  matmulPacked,
  softmax,
  softmaxGrad,
  sparsemax,
  sparsemaxGrad,
  crossEntropy,
  crossEntropyGrad,
  layerNorm,
  layerNormGrad,
  linearBiasAct,
  matmulBiasAct(a, b, out, args, bias, activation) {
    matmul(a, b, out, args);
    if (bias || activation) linearBiasAct(out, bias, args.m, args.n, activation);
  },
  linearActGrad,
  indexSelect,
  indexAdd,
  gather,
  scatterAdd,
  attention,
  attentionGrad,
  gruCell,
  gruCellGrad,
  lstmCell,
  lstmCellGrad,
  additiveAttention,
  additiveAttentionGrad,
  adam,
};
