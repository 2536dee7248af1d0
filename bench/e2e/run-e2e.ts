/**
 * Runs the end-to-end benchmarks (config.ts) for attn and its peers in one go, on the same shapes: PyTorch
 * (bench/torch_e2e.py, with as many threads as attn uses), TensorFlow.js (wasm) and jax-js (wasm), each peer
 * in its own process. With `quick`, attn and PyTorch run one timed step each and the JavaScript peers (minutes
 * per training step) are skipped. Called by bench/run.ts.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backendInfo } from '../../src/node.js';
import { runAttnE2E } from './attn-e2e.js';
import { E2E_UNITS, type E2EName } from './config.js';

export interface E2EResult {
  bench: string;
  value: number;
  unit: string;
  impl: string;
}

/** One bench's figures: attn's, and each peer's result or the reason it has none. */
export interface E2ERow {
  name: E2EName;
  attn: E2EResult;
  peers: Record<PeerName, E2EResult | string>;
}

/**
 * pytorch-default is PyTorch again with libgomp's default (spinning) wait policy: see torchEnv. onnxruntime is
 * ONNX Runtime (onnxruntime-node, CPU) on attn's own ONNX export of the decode benches' model (ort-e2e.ts).
 */
export type PeerName = 'pytorch' | 'pytorch-default' | 'tfjs' | 'jax-js' | 'onnxruntime';
export const PEERS: readonly PeerName[] = ['pytorch', 'pytorch-default', 'tfjs', 'jax-js', 'onnxruntime'];
/** The benches ONNX Runtime runs: decoding with the cache, the step the export's decoder graph takes. */
const ORT_BENCHES: readonly E2EName[] = ['decode_greedy_ms', 'decode_beam4_ms'];
const TORCH_PEERS: readonly PeerName[] = ['pytorch', 'pytorch-default'];

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/**
 * PyTorch's environment: libgomp's threads wait passively between parallel regions. With its default (spinning
 * for a while), ATen's OpenMP threads and OpenBLAS's own pthreads fight over the two cores and PyTorch trains
 * these models at about half the speed it reaches with passive waiting (measured: 882 vs 1791 tokens/s on the
 * translation step, 20.8 vs 38.8 sequences/s on the classifier; one thread gave 1669 and 36.2). Its best figure
 * is the one to beat, so the bench gives it this setting unless the caller chose one; the end-to-end benches
 * also run it with the default, which is what a user gets out of the box (`pytorch-default`).
 */
export function torchEnv(): NodeJS.ProcessEnv {
  return { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
}

/** PyTorch's environment with libgomp's default wait policy. */
function torchDefaultEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OMP_WAIT_POLICY;
  return env;
}

function peerCommand(peer: PeerName, name: E2EName, quick: boolean, threads: number): [string, string[]] {
  const q = quick ? ['--quick'] : [];
  if (TORCH_PEERS.includes(peer)) {
    const python = process.env.ATTN_BENCH_PYTHON ?? '/usr/bin/python3';
    return [python, [here('../torch_e2e.py'), ...q, '--threads', String(threads), name]];
  }
  const script = here(
    peer === 'tfjs' ? './tfjs-e2e.ts' : peer === 'onnxruntime' ? './ort-e2e.ts' : './jaxjs-e2e.ts',
  );
  return [process.execPath, ['--import', 'tsx', script, ...q, name]];
}

/** Runs one bench on a peer in a child process. */
function runPeer(peer: PeerName, name: E2EName, quick: boolean, threads: number): E2EResult | string {
  const [cmd, args] = peerCommand(peer, name, quick, threads);
  const env = peer === 'pytorch' ? torchEnv() : peer === 'pytorch-default' ? torchDefaultEnv() : process.env;
  return runChild(cmd, args, name, env);
}

/** Runs a bench's child process: its one JSON result line, or why there is none. */
function runChild(
  cmd: string,
  args: string[],
  name: E2EName,
  env: NodeJS.ProcessEnv = process.env,
): E2EResult | string {
  const p = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, env });
  if (p.error) return `not run: ${p.error.message}`;
  // Peers may print banners; the result is the one JSON line naming the bench.
  const line = (p.stdout ?? '').split('\n').find((l) => l.startsWith('{') && l.includes(`"${name}"`));
  if (p.status !== 0 || !line) {
    const err = (p.stderr || '')
      .trim()
      .split('\n')
      .filter((l) => /error/i.test(l))
      .at(-1);
    return `failed: ${(err ?? `exit ${p.status}`).slice(0, 200)}`;
  }
  return JSON.parse(line) as E2EResult;
}

/** The better of two results of one bench (higher throughput, lower latency); a failure loses to a figure. */
function better(x: E2EResult | string | undefined, y: E2EResult | string): E2EResult | string {
  if (x === undefined || typeof x === 'string') return y;
  if (typeof y === 'string') return x;
  return (y.unit === 'ms' ? y.value < x.value : y.value > x.value) ? y : x;
}

/** attn's figure for one bench, from a fresh process (as each peer gets), or in this one if that fails. */
function runAttn(name: E2EName, quick: boolean): E2EResult {
  const child = runChild(
    process.execPath,
    ['--import', 'tsx', here('./attn-child.ts'), ...(quick ? ['--quick'] : []), name],
    name,
  );
  return typeof child === 'string'
    ? { bench: name, value: runAttnE2E(name, quick), unit: E2E_UNITS[name], impl: 'attn' }
    : child;
}

/**
 * Runs each bench for attn and its peers. attn and PyTorch (its tuned configuration) run in `rounds`
 * alternating rounds and each keeps its best: on this shared VM either side's figure moves by 20-40% from
 * one minute to the next, and alternating spreads that over both instead of handing it to whichever ran in
 * the quieter minute. The other peers (PyTorch with its default wait policy, and the JavaScript peers, which
 * take minutes per step) run once.
 */
export function runE2E(
  names: readonly E2EName[],
  options: { quick: boolean; rounds: number; emit: (r: E2EResult) => void; note: (msg: string) => void },
): E2ERow[] {
  const threads = backendInfo().threads;
  const rows: E2ERow[] = [];
  for (const name of names) {
    let attn: E2EResult | undefined;
    let torch: E2EResult | string | undefined;
    for (let r = 0; r < options.rounds; r++) {
      attn = better(attn, runAttn(name, options.quick)) as E2EResult;
      // A PyTorch that failed once (not installed, an error) is not retried.
      if (typeof torch !== 'string') torch = better(torch, runPeer('pytorch', name, options.quick, threads));
    }
    options.emit(attn!);
    const peers = {} as Record<PeerName, E2EResult | string>;
    for (const peer of PEERS) {
      if (peer === 'onnxruntime' && !ORT_BENCHES.includes(name)) {
        peers[peer] = 'n/a';
        continue;
      }
      // --quick keeps within two minutes: PyTorch only in its tuned configuration, ONNX Runtime (decoding, a few
      // seconds), no JavaScript peers.
      if (options.quick && peer !== 'pytorch' && peer !== 'onnxruntime') {
        peers[peer] = 'skipped with --quick';
        continue;
      }
      const r = peer === 'pytorch' ? torch! : runPeer(peer, name, options.quick, threads);
      peers[peer] = r;
      if (typeof r === 'string') {
        if (r !== 'n/a') options.note(`${name}: ${peer} ${r}`);
      } else options.emit(r);
    }
    rows.push({ name, attn: attn!, peers });
  }
  return rows;
}
