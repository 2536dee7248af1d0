/**
 * `npm run bench [-- --json] [-- --only NAME]`: attn and PyTorch (CPU) on the same shapes in one run, then the
 * table with the machine's description in docs/benchmarks.md. With --json, one {"bench","value","unit","impl"}
 * object per line on stdout. PyTorch is Debian's python3-torch at /usr/bin/python3 (override with
 * ATTN_BENCH_PYTHON); when it is missing the report says so.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backendInfo } from '../src/node.js';
import { runAttn, wasmVsNative } from './attn-benches.js';
import { BENCHES, BROWSER_BENCHES, WASM_BENCHES, type BenchName, type Result } from './names.js';
import { browserAvailable, CHROMIUM } from '../test/browser/chromium.js';
import { runBrowserBenches, type BrowserRun } from './browser/run.js';
import { E2E_BENCHES } from './e2e/config.js';
import { renderE2E, spliceE2E } from './e2e/report.js';
import { runE2E, torchEnv } from './e2e/run-e2e.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    only: { type: 'string' },
    quick: { type: 'boolean' },
    // Alternating rounds (attn, PyTorch, attn, …) of each timed bench: 3, or 1 with --quick.
    rounds: { type: 'string' },
  },
  strict: true,
});
const names: BenchName[] = values.only ? BENCHES.filter((b) => b === values.only) : [...BENCHES];
const e2eNames = values.only ? E2E_BENCHES.filter((b) => b === values.only) : [...E2E_BENCHES];
const wasmNames = values.only ? WASM_BENCHES.filter((b) => b === values.only) : [...WASM_BENCHES];
const browserNames = values.only ? BROWSER_BENCHES.filter((b) => b === values.only) : [...BROWSER_BENCHES];
if (names.length === 0 && e2eNames.length === 0 && wasmNames.length === 0 && browserNames.length === 0) {
  const all = [...BENCHES, ...WASM_BENCHES, ...BROWSER_BENCHES, ...E2E_BENCHES];
  process.stderr.write(`bench: unknown name '${values.only}'; one of: ${all.join(', ')}\n`);
  process.exit(2);
}

function emit(r: Result): void {
  if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else process.stdout.write(`${r.bench.padEnd(32)} ${r.impl.padEnd(22)} ${r.value.toFixed(1)} ${r.unit}\n`);
}

const python = process.env.ATTN_BENCH_PYTHON ?? '/usr/bin/python3';
const torchScript = fileURLToPath(new URL('./torch_bench.py', import.meta.url));

/** PyTorch's result line: a Result plus the thread counts it ran with (ATen's and OpenBLAS's) and its BLAS. */
interface TorchResult extends Result {
  threads?: number;
  blas_threads?: number | null;
  blas?: string;
}

/** Runs one bench on PyTorch with `threads` threads; a string with the reason when it cannot. */
function runTorch(name: BenchName, threads: number): TorchResult | string {
  const p = spawnSync(python, [torchScript, '--threads', String(threads), name], {
    encoding: 'utf8',
    env: torchEnv(),
  });
  if (p.error) return `PyTorch not run: ${p.error.message}`;
  if (p.status !== 0) return `PyTorch not run: ${(p.stderr || '').trim().split('\n').at(-1) ?? 'failed'}`;
  const parsed = JSON.parse(p.stdout.trim().split('\n').at(-1)!) as TorchResult & { error?: string };
  if (parsed.error) return `PyTorch failed: ${parsed.error}`;
  return parsed;
}

const info = backendInfo();
const attnImpl = `attn (${info.name})`;
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
if (!Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write(`bench: --rounds must be a positive integer, got '${values.rounds}'\n`);
  process.exit(2);
}

/** The better of two figures of one bench: higher GFLOP/s, lower time or memory. */
function better<T extends Result>(x: T | undefined, y: T): T {
  if (x === undefined) return y;
  return (y.unit === 'GFLOP/s' ? y.value > x.value : y.value < x.value) ? y : x;
}

// Timed benches run in `rounds` alternating rounds (attn, PyTorch, attn, ...) and each side keeps its best
// round: on a shared 2-core VM the clock and the neighbours change over seconds, and alternating spreads that
// over both sides instead of handing it to whichever ran second. Peak memory is measured once.
const rows: { name: BenchName; attn: Result; torch: TorchResult | string }[] = [];
for (const name of names) {
  const n = name === 'attention_peak_mib_T16384' ? 1 : rounds;
  let a: Result | undefined;
  let t: TorchResult | string | undefined;
  for (let r = 0; r < n; r++) {
    a = better(a, { bench: name, ...runAttn(name), impl: 'attn' });
    // PyTorch gets as many threads as attn runs (its default here is 1).
    const tr = typeof t === 'string' ? t : runTorch(name, info.threads);
    t = typeof tr === 'string' ? tr : better(t as TorchResult | undefined, tr);
  }
  emit(a!);
  if (typeof t === 'string') process.stderr.write(`${name}: ${t}\n`);
  else emit({ bench: t!.bench, value: t!.value, unit: t!.unit, impl: t!.impl });
  rows.push({ name, attn: a!, torch: t! });
}

// The wasm backend beside native, in the same process and run (the issue's floor: wasm ≥ 0.3× native).
const wasmRows = wasmNames.map((name) => {
  const { wasm, native, threads, simd } = wasmVsNative(Number(name.split('_').at(-1)), rounds);
  emit({ bench: name, value: wasm, unit: 'GFLOP/s', impl: 'attn (wasm)' });
  if (native !== null) emit({ bench: name, value: native, unit: 'GFLOP/s', impl: 'attn (native)' });
  return { name, wasm, native, threads, simd };
});

// attn/browser beside TensorFlow.js's wasm backend in one Chromium page (needs npm run build and Chromium).
let browserRun: BrowserRun | string = 'not run';
if (browserNames.length > 0) {
  if (!browserAvailable) browserRun = `${CHROMIUM} is missing (apt-get install -y chromium)`;
  else {
    try {
      browserRun = await runBrowserBenches(browserNames, rounds);
      for (const r of browserRun.rows) {
        const row = (impl: string, value: number) => emit({ bench: r.name, value, unit: 'GFLOP/s', impl });
        row('attn (wasm, Chromium)', r.attn);
        row('tfjs (wasm, Chromium)', r.tfjs);
        row('jax-js (wasm, Chromium)', r.jax);
        row('attn (wasm, Chromium, 1 thread)', r.attnOneThread);
        row('tfjs (wasm, Chromium, 1 thread)', r.tfjsOneThread);
        row('jax-js (wasm, Chromium, 1 thread)', r.jaxOneThread);
      }
      if (browserRun.nmt) {
        const name = 'browser_train_nmt_gru_bahdanau';
        emit({ bench: name, value: browserRun.nmt.attn, unit: 'tokens/s', impl: 'attn (wasm, Chromium)' });
        emit({ bench: name, value: browserRun.nmt.tfjs, unit: 'tokens/s', impl: 'tfjs (wasm, Chromium)' });
        emit({ bench: name, value: browserRun.nmt.jax, unit: 'tokens/s', impl: 'jax-js (wasm, Chromium)' });
      }
    } catch (error) {
      browserRun = (error as Error).message;
    }
  }
  if (typeof browserRun === 'string') process.stderr.write(`browser benches not run: ${browserRun}\n`);
}

// Ratio > 1 means attn is better: higher GFLOP/s, lower time, lower memory.
function ratio(a: Result, t: Result | string): string {
  if (typeof t === 'string') return 'n/a';
  const r = a.unit === 'GFLOP/s' ? a.value / t.value : t.value / a.value;
  return `${r.toFixed(2)}×`;
}

const torchNote = rows.find((r) => typeof r.torch === 'string');
const torchRun = rows.map((r) => r.torch).find((t): t is TorchResult => typeof t !== 'string');
const peer = torchRun?.impl ?? 'PyTorch';
const peerThreads = torchRun
  ? `${torchRun.threads ?? '?'} ATen threads, ${torchRun.blas ?? 'BLAS unknown'} with ${torchRun.blas_threads ?? 'unknown'} threads`
  : 'not run';
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const md = [
  '# Benchmarks',
  '',
  `Generated by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.`,
  '',
  `Machine: ${cpu}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `${os.platform()} ${os.arch()}, Node ${process.version}. attn backend: ${info.name} ` +
    `(${info.threads} threads, simd: ${info.simd}); peer: ${peer} on CPU (${peerThreads}).`,
  '',
  torchNote ? `**PyTorch was not measured:** ${String(torchNote.torch)}` : '',
  '',
  'Both sides run through their public API, as a user would. Matmul is `matmul(a, b)` / `torch.mm(a, b)` on',
  'square float32 matrices, a fresh result each call (best of several runs). Attention is forward + backward of',
  'softmax(q·kᵀ/√d)·v with B=4, H=8, d=64 (best of 3): attn runs `scaledDotProductAttention(q, k, v, {causal,',
  'needWeights: false})` and `backward` through autograd (the op takes its fused kernel: tiled, online softmax,',
  'O(T) memory); PyTorch 1.13 composes matmul, masked_fill and softmax with autograd (it has no fused CPU',
  'attention). Peak memory is how far one forward + backward at T=16384, one head, d=64, inputs and gradients',
  "included, raises resident memory above what it was just before, in a fresh process (the kernel's high-water",
  'mark reset first through /proc/self/clear_refs, so start-up does not hide the step).',
  `Each timed bench ran ${rounds} alternating rounds (attn, PyTorch, attn, …) and each side's best round is`,
  'shown; PyTorch ran with OMP_WAIT_POLICY=PASSIVE (its fastest setting here, see End-to-end below).',
  '',
  `| bench | ${attnImpl} | ${peer} | unit | attn vs peer |`,
  '| --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.attn.value.toFixed(1)} | ${typeof r.torch === 'string' ? 'n/a' : r.torch.value.toFixed(1)} | ${r.attn.unit} | ${ratio(r.attn, r.torch)} |`,
  ),
  '',
  'The last column is attn’s advantage: GFLOP/s ratio for matmul, time or memory ratio (peer / attn) otherwise.',
  '',
  ...(wasmRows.length
    ? [
        '## WebAssembly backend',
        '',
        `attn’s wasm backend (the same kernels compiled to WebAssembly ${wasmRows[0]!.simd}, ${wasmRows[0]!.threads} threads: wasm/attn-threads.wasm, whose workers are worker_threads) against`,
        'its native backend in the same run, `matmul(a, b)` on square float32 matrices, alternating rounds.',
        '',
        '| bench | attn (wasm) | attn (native) | unit | wasm / native |',
        '| --- | --- | --- | --- | --- |',
        ...wasmRows.map(
          (r) =>
            `| ${r.name} | ${r.wasm.toFixed(1)} | ${r.native === null ? 'n/a' : r.native.toFixed(1)} | GFLOP/s | ${r.native === null ? 'n/a' : `${(r.wasm / r.native).toFixed(2)}×`} |`,
        ),
        '',
      ]
    : []),
  ...(typeof browserRun !== 'string'
    ? [
        '## In the browser',
        '',
        `attn/browser (${browserRun.attn.reason.replace(/^the wasm module loaded \((?:.*\/)?(.*)\)$/, '$1')}: ${browserRun.attn.simd}, ${browserRun.attn.threads} threads) against TensorFlow.js's wasm`,
        `backend (SIMD ${browserRun.tfjsSimd ? 'on' : 'off'}; ${browserRun.tfjsThreads} thread${browserRun.tfjsThreads === 1 ? '' : 's'} by its own count after setThreadsCount(cores): tensorflow/tfjs#8513)`,
        "and jax-js's wasm device, in one cross-origin isolated page of " +
          `${browserRun.browser}, headless; and all three again in a page that is not isolated (no shared memory:`,
        'one thread each, attn on attn-relaxed.wasm). `matmul(a, b)` / `tf.matMul(a, b)` with `dataSync()` /',
        '`np.matmul(a, b)` with `data()` on square float32 matrices, a fresh result each call, alternating rounds,',
        'best of each.',
        '',
        '| bench | attn | tfjs | jax-js | attn / faster peer | attn, 1 thread | tfjs, 1 thread | jax-js, 1 thread | attn / faster peer, 1 thread |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        ...browserRun.rows.map(
          (r) =>
            `| ${r.name} | ${r.attn.toFixed(1)} | ${r.tfjs.toFixed(1)} | ${r.jax.toFixed(1)} | ${(r.attn / Math.max(r.tfjs, r.jax)).toFixed(2)}× | ` +
            `${r.attnOneThread.toFixed(1)} | ${r.tfjsOneThread.toFixed(1)} | ${r.jaxOneThread.toFixed(1)} | ${(r.attnOneThread / Math.max(r.tfjsOneThread, r.jaxOneThread)).toFixed(2)}× |`,
        ),
        '',
        'Figures in GFLOP/s.',
        ...(browserRun.nmt
          ? [
              '',
              'The training step of the seed translation model (GRU 512 + Bahdanau attention, embeddings 256, vocabularies',
              '8000, batch 64 × 16 target tokens, Adam; bench/e2e/config.ts) in the isolated page, written with each',
              "library's ops (bench/e2e/attn-nmt.ts, tfjs-models.ts, jaxjs-models.ts): target tokens per second, mean of",
              'two steps after one warm-up step.',
              '',
              '| bench | attn (wasm, Chromium) | tfjs (wasm, Chromium) | jax-js (wasm, Chromium) | attn / faster peer |',
              '| --- | --- | --- | --- | --- |',
              `| browser_train_nmt_gru_bahdanau | ${browserRun.nmt.attn.toFixed(0)} | ${browserRun.nmt.tfjs.toFixed(0)} | ${browserRun.nmt.jax.toFixed(0)} | ${(browserRun.nmt.attn / Math.max(browserRun.nmt.tfjs, browserRun.nmt.jax)).toFixed(2)}× |`,
            ]
          : []),
        '',
      ]
    : []),
].join('\n');
/**
 * The hand-written section of docs/benchmarks.md (how the code got fast, between the notes markers), which a
 * regenerated report keeps as it was.
 */
function keptNotes(path: string): string {
  const [start, end] = ['<!-- notes:start -->', '<!-- notes:end -->'];
  let old: string;
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    return '';
  }
  const a = old.indexOf(start);
  const b = old.indexOf(end);
  return a >= 0 && b > a ? `${old.slice(a, b + end.length)}\n` : '';
}

// The end-to-end benchmarks (bench/e2e/) have their own section of the same file.
const e2eRows = runE2E(e2eNames, {
  quick: values.quick ?? false,
  rounds,
  emit,
  note: (m) => process.stderr.write(`${m}\n`),
});
const docs = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
// Quick figures (one step, no JavaScript peers) are for a smoke run, not for the docs.
if (!values.only && !values.quick) {
  const report = spliceE2E(md, renderE2E(e2eRows, false, rounds), docs);
  writeFileSync(docs, `${report.trimEnd()}\n\n${keptNotes(docs)}`);
}
