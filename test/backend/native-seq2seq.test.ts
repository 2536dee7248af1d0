// The native kernels of the fused seq2seq recurrences against the JavaScript reference on awkward sizes (1,
// primes, sizes that are not multiples of the SIMD width), on the kernels the CPU detection picks and on the
// portable ones: additive attention (padding masks, a fully masked row among them, with and without a gradient
// on the weights) and the GRU cell with row-layout gates. Skipped only when
// the addon is unavailable and ATTN_BACKEND=js (a deliberate JavaScript-only run).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backend/js/index.js';
import type { Backend } from '../../src/backend/kernels.js';
import { createNativeBackend } from '../../src/backend/native/backend.js';
import { loadAddon } from '../../src/backend/native/load.js';
import { loadWasm } from '../../src/backend/wasm/load.js';

const loaded = loadAddon();
const nativeLoaded = loaded;
const skip = !loaded.ok && process.env.ATTN_BACKEND === 'js';

function randomF32(n: number, seed: number, scale = 2): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * scale;
  });
}

function expectClose(
  actual: Float32Array,
  expected: Float32Array,
  label: string,
  rtol = 1e-4,
  atol = 1e-5,
): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)))
      expect(`${label}: ${a} at ${i}`).toBe(`${label}: ${e} at ${i}`);
  }
}

/** A mask with row 0 unmasked, row 1 (if any) fully masked, later rows padded after a length that varies. */
function paddingMask(batch: number, length: number): Uint8Array {
  const mask = new Uint8Array(batch * length);
  for (let b = 1; b < batch; b++) {
    const real = b === 1 ? 0 : 1 + ((b * 5) % length);
    mask.fill(1, b * length + real, (b + 1) * length);
  }
  return mask;
}

/** `loaded`: the addon, or the WebAssembly module that presents the same functions (backend 'wasm'). */
function agrees(
  path: 'detected' | 'portable',
  loaded: ReturnType<typeof loadAddon> | ReturnType<typeof loadWasm> = nativeLoaded,
  backendName: 'native' | 'wasm' = 'native',
): void {
  const native: Backend = loaded.ok ? createNativeBackend(loaded.addon, backendName) : jsBackend;
  beforeAll(() => {
    if (loaded.ok) loaded.addon.setPortableOnly(path === 'portable');
  });
  afterAll(() => {
    if (loaded.ok) loaded.addon.setPortableOnly(false);
  });

  it('additiveAttention and additiveAttentionGrad over awkward B, S, U, E, masked or not', () => {
    expect(loaded.ok).toBe(true);
    let seed = 7;
    for (const [batch, length, units, width] of [
      [1, 1, 1, 1],
      [3, 5, 7, 9],
      [4, 16, 17, 8],
      [17, 3, 33, 13],
      [64, 16, 64, 40],
    ] as const) {
      for (const masked of [false, true]) {
        for (const withWeightsGrad of [false, true]) {
          const args = { batch, length, units, width, vBias: 0.25 };
          const keys = randomF32(batch * length * units, seed++, 3);
          const query = randomF32(batch * units, seed++, 3);
          const v = randomF32(units, seed++);
          const memory = randomF32(batch * length * width, seed++);
          const mask = masked ? paddingMask(batch, length) : null;
          const dContext = randomF32(batch * width, seed++);
          const dWeights = withWeightsGrad ? randomF32(batch * length, seed++) : null;
          const start = (n: number) => randomF32(n, seed++);
          const dKeys0 = start(batch * length * units);
          const dV0 = start(units);
          const dMemory0 = start(batch * length * width);
          // withMemory false: dMemory null (a decoder that forms it for all steps at once).
          const run = (be: Backend, withMemory = true) => {
            const weights = new Float32Array(batch * length).fill(NaN);
            const context = new Float32Array(batch * width).fill(NaN);
            be.additiveAttention({ keys, query, v, memory, mask, ...args, weights, context });
            const dScores = new Float32Array(batch * length).fill(NaN);
            const dQuery = new Float32Array(batch * units).fill(NaN);
            // The accumulated gradients start from non-zero values: the kernels add into them.
            const dKeys = dKeys0.slice();
            const dV = dV0.slice();
            const dMemory = withMemory ? dMemory0.slice() : null;
            be.additiveAttentionGrad({
              keys,
              query,
              v,
              memory,
              mask,
              ...args,
              weights,
              dContext,
              dWeights,
              dScores,
              dQuery,
              dKeys,
              dV,
              dMemory,
            });
            return { weights, context, dScores, dQuery, dKeys, dV, dMemory };
          };
          const want = run(jsBackend);
          const got = run(native);
          for (const key of Object.keys(want) as (keyof typeof want)[])
            expectClose(got[key]!, want[key]!, `${key} B=${batch} S=${length} U=${units} E=${width}`);
          // Without dMemory the rest is unchanged.
          for (const [be, ref] of [
            [jsBackend, want],
            [native, got],
          ] as const) {
            const { dMemory, ...rest } = run(be, false);
            expect(dMemory).toBeNull();
            expect({ ...rest, dMemory: ref.dMemory }).toEqual(ref);
          }
          if (mask && batch > 1) {
            // The fully masked row attends nothing.
            expect(Array.from(got.weights.subarray(length, 2 * length))).toEqual(new Array(length).fill(0));
            expect(Array.from(got.context.subarray(width, 2 * width))).toEqual(new Array(width).fill(0));
          }
        }
      }
    }
  });

  it('additive attention where tanh saturates or its argument is near zero', () => {
    // The AVX2 kernel evaluates tanh as 1 − 2/(e^{2x} + 1) (absolute, not relative, accuracy): arguments of
    // ±60 must give ±1 exactly, ones of ±1e-4 must not lose the scores or gradients to cancellation.
    const [batch, length, units, width] = [3, 5, 37, 9];
    const args = { batch, length, units, width, vBias: -0.5 };
    const mix = randomF32(batch * length * units, 11, 2);
    const keys = mix.map((x, i) => (i % 3 === 0 ? x * 60 : i % 3 === 1 ? x * 1e-4 : x));
    const query = new Float32Array(batch * units);
    const v = randomF32(units, 12, 2);
    const memory = randomF32(batch * length * width, 13, 2);
    const dContext = randomF32(batch * width, 14, 2);
    const run = (be: Backend) => {
      const weights = new Float32Array(batch * length);
      const context = new Float32Array(batch * width);
      be.additiveAttention({ keys, query, v, memory, mask: null, ...args, weights, context });
      const dScores = new Float32Array(batch * length);
      const dQuery = new Float32Array(batch * units);
      const dKeys = new Float32Array(batch * length * units);
      const dV = new Float32Array(units);
      const dMemory = new Float32Array(batch * length * width);
      be.additiveAttentionGrad({
        keys,
        query,
        v,
        memory,
        mask: null,
        ...args,
        weights,
        dContext,
        dWeights: null,
        dScores,
        dQuery,
        dKeys,
        dV,
        dMemory,
      });
      return { weights, context, dScores, dQuery, dKeys, dV, dMemory };
    };
    const want = run(jsBackend);
    const got = run(native);
    for (const key of Object.keys(want) as (keyof typeof want)[])
      expectClose(got[key], want[key], `${key} with saturated and tiny tanh arguments`);
    // Saturated units contribute no key gradient: 1 − tanh² is 0 there on both.
    for (let i = 0; i < keys.length; i += 3) if (Math.abs(keys[i]!) > 20) expect(got.dKeys[i]).toBe(0);
  });

  it('gruCell and gruCellGrad with row-layout gates ([B, 3H]) over awkward B, H', () => {
    let seed = 500;
    for (const batch of [1, 3, 17, 64])
      for (const hidden of [1, 7, 17, 64])
        for (const withBias of [false, true]) {
          const n = batch * hidden;
          const args = { batch, hidden, rows: true };
          const xg = randomF32(3 * n, seed++, 6);
          const hg = randomF32(3 * n, seed++, 6);
          const h = randomF32(n, seed++);
          const bias = withBias ? randomF32(hidden, seed++) : null;
          const dhNew = randomF32(n, seed++);
          const run = (be: Backend) => {
            const hNew = new Float32Array(n).fill(NaN);
            const gates = new Float32Array(3 * n).fill(NaN);
            be.gruCell({ xg, hg, h, biasHn: bias, ...args, hNew, gates });
            const dxg = new Float32Array(3 * n).fill(NaN);
            const dhg = new Float32Array(3 * n).fill(NaN);
            const dh = new Float32Array(n).fill(NaN);
            be.gruCellGrad({ hg, h, biasHn: bias, gates, dhNew, ...args, dxg, dhg, dh });
            return { hNew, gates, dxg, dhg, dh };
          };
          const want = run(jsBackend);
          const got = run(native);
          for (const key of Object.keys(want) as (keyof typeof want)[])
            expectClose(got[key], want[key], `${key} B=${batch} H=${hidden}`, 1e-5, 1e-6);
          // The same cell in gate-major layout gives the same state.
          const gateMajor = (rows: Float32Array) => {
            const out = new Float32Array(3 * n);
            for (let b = 0; b < batch; b++)
              for (let g = 0; g < 3; g++)
                for (let j = 0; j < hidden; j++)
                  out[g * n + b * hidden + j] = rows[b * 3 * hidden + g * hidden + j]!;
            return out;
          };
          const hMajor = new Float32Array(n);
          native.gruCell({
            xg: gateMajor(xg),
            hg: gateMajor(hg),
            h,
            biasHn: bias,
            batch,
            hidden,
            hNew: hMajor,
            gates: new Float32Array(3 * n),
          });
          expectClose(hMajor, got.hNew, 'gate-major hNew', 0, 0);
        }
  });
}

describe.skipIf(skip)('native seq2seq kernels vs the JavaScript reference (detected SIMD path)', () => {
  agrees('detected');
});

describe.skipIf(skip)('native seq2seq kernels vs the JavaScript reference (portable path)', () => {
  agrees('portable');
});

// The WebAssembly module is committed: its run is never skipped.
describe('wasm seq2seq kernels vs the JavaScript reference (SIMD128 path)', () => {
  agrees('detected', loadWasm(), 'wasm');
});

describe('wasm seq2seq kernels vs the JavaScript reference (portable path)', () => {
  agrees('portable', loadWasm(), 'wasm');
});
