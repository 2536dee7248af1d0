/**
 * The JavaScript reference backend: runs anywhere, and is the oracle the native kernels are tested against. Each
 * module exports its kernels under their table names, so a kernel added to a module joins the backend here.
 */
import type { Backend } from '../kernels.js';
import * as additiveAttention from './additive-attention.js';
import * as attention from './attention.js';
import * as clip from './clip.js';
import * as copy from './copy.js';
import * as dropout from './dropout.js';
import * as elementwise from './elementwise.js';
import * as indexing from './indexing.js';
import * as layerNorm from './layernorm.js';
import * as linearEpilogue from './linear-epilogue.js';
import * as matmul from './matmul.js';
import * as optim from './optim.js';
import * as recurrent from './recurrent.js';
import * as reduce from './reduce.js';
import * as rotary from './rotary.js';
import * as softmax from './softmax.js';
import * as sparsemax from './sparsemax.js';

export const jsBackend: Backend = {
  name: 'js',
  ...additiveAttention,
  ...attention,
  ...clip,
  ...copy,
  ...dropout,
  ...elementwise,
  ...indexing,
  ...layerNorm,
  ...linearEpilogue,
  ...matmul,
  ...optim,
  ...recurrent,
  ...reduce,
  ...rotary,
  ...softmax,
  ...sparsemax,
};
