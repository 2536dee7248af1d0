/**
 * The worker thread that owns a model: it loads the checkpoint once, says 'ready' (or why it could not), then
 * runs one batch of jobs at a time, answering each job by its id. Predictor calls are synchronous and
 * CPU-bound; here they block only this thread, so the server's event loop keeps accepting, validating and
 * answering other requests meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { installDefaultBackend, setBatchInvariantKernels } from '../backend/native/select.js';
import { loadPredictor } from '../inference/node/load-predictor.js';
import type { BatchPredictor } from '../inference/predictor.js';
import type { ClassificationResult, TranslationResult } from '../inference/types.js';
import { AttnError } from '../tensor/errors.js';
import type { BatchMessage, Job, WorkerMessage, WorkerStart } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('predictor-worker: must run in a worker thread');

function send(message: WorkerMessage): void {
  port!.postMessage(message);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type Answer = TranslationResult | ClassificationResult;

/** The answers of jobs of one kind, run together. */
function runTogether(predictor: BatchPredictor, jobs: Job[]): Answer[] {
  const translations = jobs.flatMap((j) =>
    j.kind === 'translate' ? [{ text: j.text, options: j.options }] : [],
  );
  if (translations.length === jobs.length) return predictor.translateEach(translations);
  if (translations.length === 0) return predictor.classifyBatch(jobs.map((j) => j.text));
  throw new Error('predictor-worker: a batch mixes translate and classify jobs');
}

/** Answers every job of the batch: together, or one by one when one input is refused, to say which. */
function answer(predictor: BatchPredictor, { jobs }: BatchMessage): void {
  try {
    const results = runTogether(
      predictor,
      jobs.map((j) => j.job),
    );
    jobs.forEach(({ id }, i) => send({ type: 'done', id, result: results[i]! }));
    return;
  } catch (error) {
    if (jobs.length === 1) return fail(jobs[0]!.id, error);
  }
  for (const { id, job } of jobs) {
    try {
      send({ type: 'done', id, result: runTogether(predictor, [job])[0]! });
    } catch (error) {
      fail(id, error);
    }
  }
}

function fail(id: number, error: unknown): void {
  // The predictor checks its input and names itself (`Predictor.translate: text 0 has 300 tokens; ...`);
  // anything else is a failure of the model or of attn.
  const input = error instanceof AttnError && error.op.startsWith('Predictor.');
  send({ type: 'failed', id, message: messageOf(error), input });
}

async function start(): Promise<void> {
  const { checkpoint, batchInvariant } = workerData as WorkerStart;
  let predictor: BatchPredictor;
  try {
    // Each thread picks its own backend (native when the addon loads; ATTN_BACKEND is shared with the parent).
    installDefaultBackend();
    if (batchInvariant) setBatchInvariantKernels(true);
    predictor = await loadPredictor(checkpoint);
  } catch (error) {
    send({ type: 'load-failed', message: messageOf(error) });
    return;
  }
  port!.on('message', (message: BatchMessage) => answer(predictor, message));
  send({ type: 'ready', info: predictor.info });
}

void start();
