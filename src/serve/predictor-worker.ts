/**
 * The worker thread that owns the model: it loads the checkpoint once, says 'ready' (or why it could not), then
 * answers one job at a time. Predictor calls are synchronous and CPU-bound; here they block only this thread,
 * so the server's event loop keeps accepting, validating and answering other requests meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { installDefaultBackend } from '../backend/native/select.js';
import { loadPredictor } from '../inference/node/load-predictor.js';
import type { Predictor } from '../inference/types.js';
import { AttnError } from '../tensor/errors.js';
import type { JobMessage, WorkerMessage, WorkerStart } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('predictor-worker: must run in a worker thread');

function send(message: WorkerMessage): void {
  port!.postMessage(message);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function start(): Promise<void> {
  const { checkpoint } = workerData as WorkerStart;
  let predictor: Predictor;
  try {
    // Each thread picks its own backend (native when the addon loads; ATTN_BACKEND is shared with the parent).
    installDefaultBackend();
    predictor = await loadPredictor(checkpoint);
  } catch (error) {
    send({ type: 'load-failed', message: messageOf(error) });
    return;
  }
  port!.on('message', ({ id, job }: JobMessage) => {
    try {
      const result =
        job.kind === 'translate' ? predictor.translate(job.text, job.options) : predictor.classify(job.text);
      send({ type: 'done', id, result });
    } catch (error) {
      // The predictor checks its input and names itself (`Predictor.translate: text 0 has 300 tokens; ...`);
      // anything else is a failure of the model or of attn.
      const input = error instanceof AttnError && error.op.startsWith('Predictor.');
      send({ type: 'failed', id, message: messageOf(error), input });
    }
  });
  send({ type: 'ready', info: predictor.info });
}

void start();
