// The threaded WebAssembly module (wasm/attn-threads.wasm): its workers start, take tasks, and give the bits of the
// single-threaded module wherever the kernel's arithmetic order does not depend on the thread count (the GEMM's
// does not); the rest to float32 tolerance. A process that used it exits on its own (the workers sleep, unref'd).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createNativeBackend } from '../../src/backend/native/backend.js';
import { instantiateWasmAddon } from '../../src/backend/wasm/addon.js';
import { spawnNodeWorker } from '../../src/backend/wasm/load.js';
import { instantiateThreadedWasmAddon, type WorkerReply } from '../../src/backend/wasm/threads.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const single = instantiateWasmAddon(readFileSync(`${root}wasm/attn.wasm`));

const replies: WorkerReply[] = [];
const threaded = instantiateThreadedWasmAddon(
  new WebAssembly.Module(readFileSync(`${root}wasm/attn-threads.wasm`)),
  3,
  spawnNodeWorker,
  (reply) => replies.push(reply),
);

const backends = [createNativeBackend(single, 'wasm'), createNativeBackend(threaded, 'wasm')];

function random(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = (s / 2 ** 32) * 2 - 1;
  }
  return x;
}

describe('the threaded wasm module', () => {
  it('starts its workers and reports the threads', async () => {
    expect(threaded.info()).toMatchObject({ threads: 3, simd: 'simd128' });
    for (let i = 0; i < 200 && replies.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(replies).toEqual([{ ready: true }, { ready: true }]);
  });

  it('gives the single-threaded bits on products of every path (short, large, transposed, a vector)', () => {
    for (const [m, n, k, transA, transB] of [
      [64, 384, 256, false, false],
      [300, 257, 129, false, true],
      [129, 300, 520, true, false],
      [1, 1000, 64, false, true],
    ] as const) {
      const a = random(m * k, 1);
      const b = random(k * n, 2);
      const outs = backends.map((backend) => {
        const out = new Float32Array(m * n);
        backend.matmul({ a, b, out, batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0 });
        return out;
      });
      expect(Buffer.from(outs[1]!.buffer).equals(Buffer.from(outs[0]!.buffer))).toBe(true);
    }
  });

  it('runs the fused attention with its tasks on the workers, equal to one thread to float32 tolerance', () => {
    const [B, H, T, d] = [2, 4, 96, 32];
    const q = random(B * H * T * d, 4);
    const k = random(B * H * T * d, 5);
    const v = random(B * H * T * d, 6);
    const outs = backends.map((backend) => {
      const out = new Float32Array(B * H * T * d);
      const lse = new Float32Array(B * H * T);
      backend.attention({
        q,
        k,
        v,
        keyPadding: null,
        batch: B,
        heads: H,
        tq: T,
        tk: T,
        d,
        dv: d,
        scale: 1 / Math.sqrt(d),
        causal: true,
        out,
        lse,
        weights: null,
      });
      return out;
    });
    for (let i = 0; i < outs[0]!.length; i++)
      expect(Math.abs(outs[1]![i]! - outs[0]![i]!)).toBeLessThan(1e-5);
  });

  it('lets a process that used it exit by itself', () => {
    const script = `import('${root}src/backend/wasm/load.ts').then(({ loadWasm }) => {
      const loaded = loadWasm();
      if (!loaded.ok) throw new Error(loaded.reason);
      const a = new Float32Array(256 * 256).fill(1);
      const out = new Float32Array(256 * 256);
      loaded.addon.matmul(a, a, out, 1, 256, 256, 256, false, false, 0, 0);
      console.log(loaded.path.split('/').at(-1), loaded.addon.info().threads, out[0]);
    });`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ATTN_THREADS: '2' },
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('attn-threads.wasm 2 256');
    expect(result.status).toBe(0);
  });
});
