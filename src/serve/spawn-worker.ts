/**
 * Starts the predictor worker. From the built package the worker is `predictor-worker.js` beside this file. When
 * this file runs from source (tests, tsx), the worker is TypeScript, which Node 20 cannot load by itself: the
 * worker then starts from a one-line script that registers tsx's loader before importing it.
 */
import { Worker } from 'node:worker_threads';
import type { WorkerStart } from './worker-protocol.js';

export function spawnPredictorWorker(start: WorkerStart): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  if (!fromSource)
    return new Worker(new URL('./predictor-worker.js', import.meta.url), { workerData: start });
  const entry = new URL('./predictor-worker.ts', import.meta.url).href;
  // tsx's ES-module API (its CommonJS build registers a loader it cannot find from a worker).
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const script =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(script, { eval: true, workerData: start });
}
