// The native Adam/AdamW kernel against the JavaScript reference: the same bits (both round every operation to
// float32, in the same order), on awkward sizes and every variant (L2, decoupled decay, AMSGrad, maximise),
// over several steps so that the moments feed back. Skipped only when the addon is unavailable and
// ATTN_BACKEND=js (a deliberate JavaScript-only run).
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backend/js/index.js';
import type { AdamArgs } from '../../src/backend/kernels.js';
import { createNativeBackend } from '../../src/backend/native/backend.js';
import { loadAddon } from '../../src/backend/native/load.js';
import { loadWasm } from '../../src/backend/wasm/load.js';

const loaded = loadAddon();
const skip = !loaded.ok && process.env.ATTN_BACKEND === 'js';

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2;
  });
}

function args(step: number, variant: { l2: number; decoupled: number; maximize: boolean }): AdamArgs {
  const lr = 1e-2;
  return {
    beta1: 0.9,
    beta2: 0.999,
    stepSize: lr / (1 - 0.9 ** step),
    biasCorrection2Sqrt: Math.sqrt(1 - 0.999 ** step),
    eps: 1e-8,
    l2: variant.l2,
    decay: 1 - lr * variant.decoupled,
    sign: variant.maximize ? -1 : 1,
  };
}

const wasm = loadWasm();
const targets = [
  { name: 'native', skip, backend: () => (loaded.ok ? createNativeBackend(loaded.addon) : null) },
  // The WebAssembly module is committed: its run is never skipped.
  { name: 'wasm', skip: false, backend: () => (wasm.ok ? createNativeBackend(wasm.addon, 'wasm') : null) },
] as const;

for (const target of targets)
  describe.skipIf(target.skip)(`${target.name} adam kernel`, () => {
    const native = target.backend();
    const variants = [
      { l2: 0, decoupled: 0, maximize: false, amsgrad: false },
      { l2: 0.1, decoupled: 0, maximize: false, amsgrad: true },
      { l2: 0, decoupled: 0.01, maximize: true, amsgrad: false },
      { l2: 0, decoupled: 0.01, maximize: false, amsgrad: true },
    ];
    for (const n of [1, 7, 8, 13, 1031, 70001]) {
      for (const variant of variants) {
        it(`n=${n}, ${JSON.stringify(variant)}: same bits as the reference over 3 steps`, () => {
          const state = () => ({
            p: random(n, 1),
            m: new Float32Array(n),
            v: new Float32Array(n),
            vMax: variant.amsgrad ? new Float32Array(n) : null,
          });
          const ref = state();
          const got = state();
          for (let step = 1; step <= 3; step++) {
            const g = random(n, 10 + step);
            jsBackend.adam({ p: ref.p, g, m: ref.m, v: ref.v, vMax: ref.vMax, ...args(step, variant) });
            native!.adam({ p: got.p, g, m: got.m, v: got.v, vMax: got.vMax, ...args(step, variant) });
          }
          expect(Buffer.from(got.p.buffer).equals(Buffer.from(ref.p.buffer))).toBe(true);
          expect(Buffer.from(got.m.buffer).equals(Buffer.from(ref.m.buffer))).toBe(true);
          expect(Buffer.from(got.v.buffer).equals(Buffer.from(ref.v.buffer))).toBe(true);
          if (ref.vMax) expect(Buffer.from(got.vMax!.buffer).equals(Buffer.from(ref.vMax.buffer))).toBe(true);
          // The update did something (a stale or no-op kernel would also agree with itself).
          expect(got.p.some((x, i) => x !== random(n, 1)[i])).toBe(true);
        });
      }
    }

    it('rejects moments shorter than the parameter', () => {
      expect(() =>
        native!.adam({
          p: new Float32Array(4),
          g: new Float32Array(4),
          m: new Float32Array(3),
          v: new Float32Array(4),
          vMax: null,
          ...args(1, variants[0]!),
        }),
      ).toThrow(/m has 3 elements, needs 4/);
    });
  });
