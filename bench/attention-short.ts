/**
 * One layer of fused attention at the Transformer classifier's shape (bench/e2e train_transformer_cls: B = 32,
 * H = 4, T = 128, d = 64, heads read in place from a packed [B, T, 3E] projection and written into [B, T, E]),
 * forward and backward, with the weights P kept by the forward for the backward, and recomputed:
 *   flock -x /tmp/attn-timing.lock env ATTN_THREADS=2 node --import tsx bench/attention-short.ts \
 *     [--rounds 7] [--seconds 0.3] [--padded] [--batch 32] [--heads 4] [--t 128] [--d 64]
 * "recompute": the forward writes out and lse only, the backward recomputes P = exp(scale·Q·Kᵀ - lse).
 * "kept": the forward also writes P [B, H, T, T] (as the ops do when they record a gradient and T ≤ 256) and the
 * backward reads it. The variants alternate within each round; each keeps its best round (this VM's figures move
 * by 20-40% from one minute to the next). --padded pads the tail of every other sequence (a quarter of its keys).
 */
import { parseArgs } from 'node:util';
import { backendInfo, getBackend } from '../src/node.js';
import type { AttentionArgs } from '../src/backend/kernels.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    seconds: { type: 'string', default: '0.3' },
    padded: { type: 'boolean', default: false },
    batch: { type: 'string', default: '32' },
    heads: { type: 'string', default: '4' },
    t: { type: 'string', default: '128' },
    d: { type: 'string', default: '64' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const [batch, heads, t, d] = [values.batch, values.heads, values.t, values.d].map(Number) as [
  number,
  number,
  number,
  number,
];
const E = heads * d;
const be = getBackend();

function randomFloats(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.random() * 2 - 1;
  return x;
}

// q | k | v of one packed projection, as MultiHeadAttention's in-projection writes them.
const qkv = randomFloats(batch * t * 3 * E);
const [q, k, v] = [0, E, 2 * E].map((o) => qkv.subarray(o));
const rows = { batch: t * 3 * E, head: d, row: 3 * E };
const layout = { q: rows, k: rows, v: rows, out: { batch: t * E, head: d, row: E } };
const args: AttentionArgs = {
  batch,
  heads,
  tq: t,
  tk: t,
  d,
  dv: d,
  scale: 1 / Math.sqrt(d),
  causal: false,
  layout,
};
let pad: Uint8Array | null = null;
if (values.padded) {
  pad = new Uint8Array(batch * t);
  for (let b = 1; b < batch; b += 2) pad.fill(1, b * t + t - t / 4, (b + 1) * t);
}
const out = new Float32Array(batch * t * E);
const lse = new Float32Array(batch * heads * t);
const weights = new Float32Array(batch * heads * t * t);
const dOut = randomFloats(batch * t * E);
const grad = new Float32Array(batch * t * 3 * E);
const [dq, dk, dv] = [0, E, 2 * E].map((o) => grad.subarray(o));

const variants: Record<string, () => void> = {
  'forward, recompute': () =>
    be.attention({ q: q!, k: k!, v: v!, keyPadding: pad, ...args, out, lse, weights: null }),
  'forward, kept': () => be.attention({ q: q!, k: k!, v: v!, keyPadding: pad, ...args, out, lse, weights }),
  'backward, recompute': () =>
    be.attentionGrad({
      q: q!,
      k: k!,
      v: v!,
      keyPadding: pad,
      ...args,
      out,
      lse,
      dOut,
      dq: dq!,
      dk: dk!,
      dV: dv!,
      weights: null,
    }),
  'backward, kept': () =>
    be.attentionGrad({
      q: q!,
      k: k!,
      v: v!,
      keyPadding: pad,
      ...args,
      out,
      lse,
      dOut,
      dq: dq!,
      dk: dk!,
      dV: dv!,
      weights,
    }),
};

/** Mean ms per call over at least `seconds` of calls. */
function time(fn: () => void): number {
  fn();
  let calls = 0;
  const t0 = performance.now();
  let elapsed: number;
  do {
    fn();
    calls++;
    elapsed = performance.now() - t0;
  } while (elapsed < seconds * 1000);
  return elapsed / calls;
}

// The kept backward reads the weights that the kept forward wrote for these operands.
be.attention({ q: q!, k: k!, v: v!, keyPadding: pad, ...args, out, lse, weights });
const best = new Map<string, number>();
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of Object.entries(variants)) {
    const ms = time(fn);
    best.set(name, Math.min(best.get(name) ?? Infinity, ms));
  }
}
const info = backendInfo();
const lines = [
  `fused attention, one layer: B=${batch} H=${heads} T=${t} d=${d}${pad ? ', padded' : ''} ` +
    `(${JSON.stringify(info)}), best of ${rounds} rounds, ms per call`,
];
for (const [name, ms] of best) lines.push(`  ${name.padEnd(22)} ${ms.toFixed(2).padStart(7)}`);
const sum = (mode: string) => best.get(`forward, ${mode}`)! + best.get(`backward, ${mode}`)!;
lines.push(
  `  forward + backward: recompute ${sum('recompute').toFixed(2)}, kept ${sum('kept').toFixed(2)} ` +
    `(P is ${((weights.length * 4) / 2 ** 20).toFixed(1)} MiB per layer)`,
);
process.stdout.write(`${lines.join('\n')}\n`);
