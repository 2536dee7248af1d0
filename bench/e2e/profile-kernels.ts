// Where a training step's or a decode's time goes, per kernel: wraps the current backend so that every kernel
// call is timed, runs a few steps of one end-to-end bench (train_* or decode_*) and prints the time per kernel
// (grouped by name and problem shape) and what lies outside the kernels (JavaScript, allocation, GC).
//   ATTN_THREADS=2 node --import tsx bench/e2e/profile-kernels.ts [--steps N] [--top N] train_transformer_cls
// An opt-in tool: the wrapping costs about a microsecond per kernel call, next to milliseconds per step.
import { parseArgs } from 'node:util';
import { getBackend, setBackend, type Backend } from '../../src/node.js';
import { clsStep, decodeRun, nmtStep } from './attn-e2e.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { steps: { type: 'string', default: '3' }, top: { type: 'string', default: '40' } },
});
const name = positionals[0] ?? 'train_transformer_cls';
const steps = Number(values.steps);
const top = Number(values.top);

const totals = new Map<string, { ms: number; calls: number }>();
let enabled = false;

/**
 * A short label for a call: the kernel and the whole-number, string and boolean fields of its argument object
 * (op, shape, flags), which group calls by problem; arrays are left out, as are the packed products' operands
 * but for their sizes.
 */
function label(method: string, args: unknown[]): string {
  if (method === 'matmulPacked') {
    const b = args[1] as { k: number; n: number };
    return `matmulPacked m=${String(args[3])} n=${b.n} k=${b.k}`;
  }
  if (method === 'packMatmulB') return `packMatmulB k=${String(args[1])} n=${String(args[2])}`;
  const a0 = args[0];
  // A typed array is an operand, not an argument object: listing its entries would take longer than the call.
  if (!a0 || typeof a0 !== 'object' || ArrayBuffer.isView(a0)) return method;
  const fields = Object.entries(a0 as Record<string, unknown>)
    // Whole numbers (sizes, counts), strings and flags; a fractional scalar (Adam's step size, the scorer's
    // bias) changes from step to step and would split one problem's calls into many rows.
    .filter(([, v]) => Number.isInteger(v) || typeof v === 'string' || typeof v === 'boolean')
    .map(([k, v]) => `${k}=${String(v)}`);
  return [method, ...fields].join(' ');
}

const inner = getBackend();
const timed = new Proxy(inner, {
  get(target, prop, receiver) {
    const value: unknown = Reflect.get(target, prop, receiver);
    if (typeof value !== 'function' || prop === 'name') return value;
    const fn = value as (...args: unknown[]) => unknown;
    return (...args: unknown[]) => {
      if (!enabled) return fn.apply(target, args);
      const t = performance.now();
      const result = fn.apply(target, args);
      const dt = performance.now() - t;
      const key = label(String(prop), args);
      const entry = totals.get(key) ?? { ms: 0, calls: 0 };
      entry.ms += dt;
      entry.calls++;
      totals.set(key, entry);
      return result;
    };
  },
}) as Backend;
setBackend(timed);

const decodes: Record<string, () => () => void> = {
  decode_greedy_ms: () => decodeRun(false, true),
  decode_beam4_ms: () => decodeRun(true, true),
  decode_greedy_nocache_ms: () => decodeRun(false, false),
  decode_beam4_nocache_ms: () => decodeRun(true, false),
};
const step = name === 'train_nmt_gru_bahdanau' ? nmtStep() : name in decodes ? decodes[name]!() : clsStep();
step();
step();
enabled = true;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < steps; i++) step();
const wall = (performance.now() - t0) / steps;
const cpu = process.cpuUsage(cpu0);
enabled = false;

const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((s, [, e]) => s + e.ms, 0) / steps;
const byKernel = new Map<string, number>();
for (const [key, e] of rows) {
  const k = key.split(' ')[0]!;
  byKernel.set(k, (byKernel.get(k) ?? 0) + e.ms / steps);
}
const out: string[] = [];
out.push(
  `${name}: ${wall.toFixed(1)} ms/step wall, ${kernelMs.toFixed(1)} ms in kernels, ` +
    `${(wall - kernelMs).toFixed(1)} ms outside (JS, allocation, GC); CPU time ` +
    `${((cpu.user + cpu.system) / 1000 / steps).toFixed(1)} ms/step (user + system, all threads)`,
);
out.push('\nby kernel (ms/step):');
for (const [k, ms] of [...byKernel.entries()].sort((a, b) => b[1] - a[1]))
  out.push(`  ${ms.toFixed(2).padStart(8)}  ${k}`);
out.push(`\ntop ${top} (ms/step, calls/step):`);
for (const [key, e] of rows.slice(0, top))
  out.push(`  ${(e.ms / steps).toFixed(2).padStart(8)} ${String(e.calls / steps).padStart(5)}  ${key}`);
process.stdout.write(`${out.join('\n')}\n`);
