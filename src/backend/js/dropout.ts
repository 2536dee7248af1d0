/**
 * The dropout-mask kernel (see dropoutMask in ../kernel-table.ts): xoshiro128** on four int32 state words, the
 * step of Generator.nextUint32 (src/tensor/random.ts) written over an array so that the compiled kernels can
 * take the state in and hand it back.
 */
import type { KernelArgs } from '../kernels.js';

const TWO_POW_24_INV = 1 / 16777216;

export function dropoutMask(args: KernelArgs<'dropoutMask'>): void {
  const { state, keep, out } = args;
  const scale = Math.fround(args.scale);
  let s0 = state[0]! | 0;
  let s1 = state[1]! | 0;
  let s2 = state[2]! | 0;
  let s3 = state[3]! | 0;
  for (let i = 0; i < out.length; i++) {
    // result = rotl(s1 · 5, 7) · 9, then the state's linear step.
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    // u = top 24 bits · 2⁻²⁴, in [0, 1) and exact in float32 (Generator.uniform).
    const u = (result >>> 8) * TWO_POW_24_INV;
    out[i] = u < keep ? scale : 0;
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
}
