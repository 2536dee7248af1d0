/**
 * attn's GEMM against torch.mm on the products the end-to-end training benches run (issue 10), per shape:
 *   ATTN_THREADS=2 node --import tsx bench/gemm-shapes.ts [--rounds 3] [--seconds 0.05] [--only cls|nmt|step]
 * attn and PyTorch (bench/gemm_shapes.py, a child kept alive between rounds) alternate rounds; each side keeps
 * its best GFLOP/s per shape. Both write into a preallocated C and read a transposed operand in place, so the
 * figures are the products alone. PyTorch runs with OMP_WAIT_POLICY=PASSIVE, as `npm run bench` does. Rows
 * marked * are attn's matmulPacked on a right operand packed once beforehand (packMatmulB), as the fused GRU
 * loops run them, against the same torch.mm.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backendInfo, getBackend } from '../src/node.js';

/** m, n, k, transA, transB, the group it belongs to, and whether attn's side multiplies by a prepacked B. */
type Shape = [number, number, number, boolean, boolean, string, boolean?];

const SHAPES: Shape[] = [
  [1024, 1024, 1024, false, false, 'ref'],
  // Transformer classifier: weight gradients (transposed A, k = T·B), input gradients, forward products.
  [256, 1024, 4096, true, false, 'cls'],
  [1024, 256, 4096, true, false, 'cls'],
  [768, 256, 4096, true, false, 'cls'],
  [256, 256, 4096, true, false, 'cls'],
  [4096, 256, 1024, false, true, 'cls'],
  [4096, 256, 1024, false, false, 'cls'],
  [4096, 1024, 256, false, false, 'cls'],
  [4096, 1024, 256, false, true, 'cls'],
  [4096, 768, 256, false, true, 'cls'],
  [4096, 256, 768, false, false, 'cls'],
  [4096, 256, 256, false, true, 'cls'],
  [4096, 256, 256, false, false, 'cls'],
  // GRU + Bahdanau translation: the vocabulary projection and its gradients, the hoisted input projections.
  [1024, 512, 8000, false, false, 'nmt'],
  [1024, 8000, 512, false, true, 'nmt'],
  [8000, 512, 1024, true, false, 'nmt'],
  [1536, 512, 1024, true, false, 'nmt'],
  [1024, 1536, 256, false, true, 'nmt'],
  [1536, 256, 1024, true, false, 'nmt'],
  [1024, 256, 1536, false, false, 'nmt'],
  [512, 512, 1024, true, false, 'nmt'],
  [1024, 512, 512, false, false, 'nmt'],
  [1024, 512, 512, false, true, 'nmt'],
  // Per time step inside the fused GRU loops: the 64-row state times W_hh and friends.
  [64, 512, 1536, false, true, 'step'],
  [64, 1536, 512, false, true, 'step'],
  [64, 512, 512, false, true, 'step'],
  [64, 512, 1536, false, true, 'step', true],
  [64, 1536, 512, false, true, 'step', true],
  [64, 512, 512, false, true, 'step', true],
];

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '0.05' },
    only: { type: 'string' },
    threads: { type: 'string', default: process.env.ATTN_THREADS ?? '2' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const shapes = SHAPES.filter((s) => !values.only || s[5] === 'ref' || values.only.split(',').includes(s[5]));
const be = getBackend();

function randomFloats(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.random() * 2 - 1;
  return x;
}

const operands = shapes.map(([m, n, k, , transB, , prepacked]) => {
  const b = randomFloats(k * n);
  return {
    a: randomFloats(m * k),
    b,
    c: new Float32Array(m * n),
    packed: prepacked ? be.packMatmulB(b, k, n, transB) : null,
  };
});

/** Best GFLOP/s of about `seconds` worth of products at 100 GFLOP/s (the count PyTorch's side uses too). */
function attnRound(): number[] {
  return shapes.map(([m, n, k, transA, transB], i) => {
    const { a, b, c, packed } = operands[i]!;
    const args = { batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0 };
    const product = packed
      ? () => be.matmulPacked(a, packed, c, m, transA)
      : () => be.matmul({ a, b, out: c, ...args });
    const reps = Math.max(3, Math.floor((seconds * 1e11) / (2 * m * n * k)));
    product();
    let best = Infinity;
    for (let r = 0; r < reps; r++) {
      const t = performance.now();
      product();
      best = Math.min(best, performance.now() - t);
    }
    return (2 * m * n * k) / (best / 1000) / 1e9;
  });
}

const python = process.env.ATTN_BENCH_PYTHON ?? '/usr/bin/python3';
const torch = spawn(python, [fileURLToPath(new URL('./gemm_shapes.py', import.meta.url)), values.threads], {
  cwd: fileURLToPath(new URL('.', import.meta.url)),
  env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
  stdio: ['pipe', 'pipe', 'inherit'],
});
const lines = createInterface({ input: torch.stdout })[Symbol.asyncIterator]();
async function torchLine(): Promise<string> {
  const next = await lines.next();
  if (next.done) throw new Error('gemm-shapes: the PyTorch child exited early');
  return next.value;
}
torch.stdin.write(`${JSON.stringify(shapes.map((s) => s.slice(0, 5)))}\n`);
const torchInfo = await torchLine();

attnRound(); // warm-up: page faults of the packing buffers, the pool's threads, the clock ramping up
const bestAttn = shapes.map(() => 0);
const bestTorch = shapes.map(() => 0);
for (let r = 0; r < rounds; r++) {
  attnRound().forEach((g, i) => (bestAttn[i] = Math.max(bestAttn[i]!, g)));
  torch.stdin.write(`${seconds}\n`);
  (JSON.parse(await torchLine()) as number[]).forEach((g, i) => (bestTorch[i] = Math.max(bestTorch[i]!, g)));
}
torch.stdin.end();

const info = backendInfo();
process.stdout.write(
  `attn ${info.name}, ATTN_THREADS=${process.env.ATTN_THREADS ?? '(cores)'}; torch ${torchInfo}; best of ${rounds} rounds\n`,
);
process.stdout.write(
  `${'m,n,k'.padEnd(18)} ${'op'.padEnd(4)} ${'attn'.padStart(7)} ${'torch'.padStart(7)}  ratio\n`,
);
shapes.forEach(([m, n, k, ta, tb, , prepacked], i) => {
  const op = `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}${prepacked ? '*' : ''}`;
  const [g, t] = [bestAttn[i]!, bestTorch[i]!];
  process.stdout.write(
    `${`${m},${n},${k}`.padEnd(18)} ${op.padEnd(4)} ${g.toFixed(1).padStart(7)} ${t.toFixed(1).padStart(7)}  ${(g / t).toFixed(2)}\n`,
  );
});
