/**
 * TensorFlow.js (wasm backend) side of the end-to-end benchmarks, run as a child process by bench/e2e/run-e2e.ts:
 *   node --import tsx bench/e2e/tfjs-e2e.ts [--quick] NAME ...   → one JSON object per bench on stdout.
 * The models are in tfjs-models.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { CLS, NMT, reps, type E2EName } from './config.js';
import { clsStep, decodeRun, nmtStep, params, seconds } from './tfjs-models.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  await tf.setBackend('wasm');
  await tf.ready();
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'simd' : 'no simd';
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'threads' : '1 thread';
  const impl = `tfjs ${tf.version.tfjs} wasm (${simd}, ${threads})`;
  for (const name of args.filter((a) => !a.startsWith('--')) as E2EName[]) {
    params.length = 0;
    const { warmup, reps: count } = reps(name, quick, true);
    let value: number;
    let unit = 'ms';
    if (name === 'train_nmt_gru_bahdanau') {
      value = (NMT.batch * NMT.tgtLen) / seconds(nmtStep(), warmup, count, false);
      unit = 'tokens/s';
    } else if (name === 'train_transformer_cls') {
      value = CLS.batch / seconds(clsStep(), warmup, count, false);
      unit = 'sequences/s';
    } else {
      const beam = name.includes('beam4');
      const cache = !name.includes('nocache');
      value = 1000 * seconds(decodeRun(beam, cache), warmup, count, true);
    }
    for (const p of params) p.dispose();
    process.stdout.write(`${JSON.stringify({ bench: name, value, unit, impl })}\n`);
  }
}

await main();
