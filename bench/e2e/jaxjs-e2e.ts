/**
 * jax-js (wasm device) side of the end-to-end benchmarks, run as a child process by bench/e2e/run-e2e.ts:
 *   node --import tsx bench/e2e/jaxjs-e2e.ts [--quick] NAME ...   → one JSON object per bench on stdout.
 * The models are in jaxjs-models.ts.
 */
import { init, defaultDevice } from '@jax-js/jax';
import { CLS, NMT, reps, type E2EName } from './config.js';
import { clsStep, decodeRun, nmtStep, seconds } from './jaxjs-models.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  await init('wasm');
  defaultDevice('wasm');
  // Node has no global Worker, so jax-js's wasm device runs on the main thread only.
  const threads = typeof (globalThis as { Worker?: unknown }).Worker === 'undefined' ? '1 thread' : 'workers';
  const impl = `jax-js ${JAXJS_VERSION} wasm (${threads})`;
  for (const name of args.filter((a) => !a.startsWith('--')) as E2EName[]) {
    const { warmup, reps: count } = reps(name, quick, true);
    let value: number;
    let unit = 'ms';
    if (name === 'train_nmt_gru_bahdanau') {
      value = (NMT.batch * NMT.tgtLen) / (await seconds(nmtStep(), warmup, count, false));
      unit = 'tokens/s';
    } else if (name === 'train_transformer_cls') {
      value = CLS.batch / (await seconds(clsStep(), warmup, count, false));
      unit = 'sequences/s';
    } else {
      value =
        1000 *
        (await seconds(decodeRun(name.includes('beam4'), !name.includes('nocache')), warmup, count, true));
    }
    process.stdout.write(`${JSON.stringify({ bench: name, value, unit, impl })}\n`);
  }
}

const JAXJS_VERSION = '0.1.25';
await main();
