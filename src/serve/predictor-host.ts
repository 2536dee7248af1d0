/**
 * The main thread's side of the model worker: one worker owns the Predictor and runs one job at a time; jobs
 * wait in a bounded FIFO queue here (a full queue is answered 503 at once rather than letting latency grow
 * without bound). A job whose client has gone away is dropped before it reaches the model. If the worker dies
 * (a crash, out of memory), the job it was running fails with 500, a new worker loads the model again and the
 * queue carries on.
 */
import type { Worker } from 'node:worker_threads';
import type { PredictorInfo } from '../inference/types.js';
import { HttpError } from './http-error.js';
import { spawnPredictorWorker } from './spawn-worker.js';
import type { Job, JobResult, WorkerMessage, WorkerStart } from './worker-protocol.js';

export interface PredictorHostOptions {
  /** The checkpoint directory the worker loads. */
  checkpoint: string;
  /** Jobs that may wait beside the running one; more are refused with 503. */
  maxQueue: number;
  /** Told the size of each batch of jobs handed to the model (for metrics). */
  onBatch?: (size: number) => void;
}

interface PendingJob {
  id: number;
  job: Job;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  detach: () => void;
}

/** Counts for tests and monitoring. */
export interface HostStats {
  running: number;
  queued: number;
  /** Workers started after the first (each one after a crash). */
  restarts: number;
}

/** Whether the host takes jobs now, and if not, why. */
export type Readiness = { ready: true } | { ready: false; reason: string };

export class PredictorHost {
  private worker: Worker | undefined;
  private current: PendingJob | undefined;
  private readonly queue: PendingJob[] = [];
  private nextId = 1;
  private restarts = 0;
  private closed = false;
  /** Set when a restarted worker could not load the model: every job is then refused. */
  private unavailable: string | undefined;

  private constructor(
    private readonly options: PredictorHostOptions,
    readonly info: PredictorInfo,
    worker: Worker,
  ) {
    this.attach(worker);
  }

  /** Starts the worker and waits until it has loaded the model; rejects with the loader's message if it cannot. */
  static async start(options: PredictorHostOptions): Promise<PredictorHost> {
    const { worker, info } = await startWorker({ checkpoint: options.checkpoint });
    return new PredictorHost(options, info, worker);
  }

  stats(): HostStats {
    return { running: this.current ? 1 : 0, queued: this.queue.length, restarts: this.restarts };
  }

  /** Ready: the model is loaded on a live worker, the host is not closing, and the queue has room. */
  readiness(): Readiness {
    if (this.closed) return { ready: false, reason: 'the server is shutting down' };
    if (this.unavailable !== undefined)
      return { ready: false, reason: `the model is unavailable: ${this.unavailable}` };
    if (this.worker === undefined) return { ready: false, reason: "the model's worker is starting again" };
    if (this.current !== undefined && this.queue.length >= this.options.maxQueue)
      return { ready: false, reason: `the queue is full (${this.queue.length} requests waiting)` };
    return { ready: true };
  }

  /** Runs `job` on the model once the jobs before it are done. `signal` drops it while it still waits. */
  run<J extends Job>(job: J, signal?: AbortSignal): Promise<JobResult<J>> {
    if (this.closed) return Promise.reject(new HttpError(503, 'the server is shutting down'));
    if (this.unavailable !== undefined)
      return Promise.reject(new HttpError(503, `the model is unavailable: ${this.unavailable}`));
    const busy = this.current !== undefined || this.worker === undefined;
    if (busy && this.queue.length >= this.options.maxQueue)
      return Promise.reject(
        new HttpError(
          503,
          `the server is busy: ${this.queue.length} requests are waiting; try again shortly`,
        ),
      );
    return new Promise<JobResult<J>>((resolve, reject) => {
      const pending: PendingJob = {
        id: this.nextId++,
        job,
        resolve: resolve as (result: unknown) => void,
        reject,
        detach: () => undefined,
      };
      if (signal) {
        const onAbort = (): void => {
          const index = this.queue.indexOf(pending);
          if (index < 0) return; // already running: it finishes, and its answer goes nowhere
          this.queue.splice(index, 1);
          reject(new HttpError(499, 'the client went away before the model ran'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        pending.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(pending);
      this.pump();
    });
  }

  /** Stops the worker. Jobs still waiting are refused with 503; call it after in-flight requests are answered. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const pending of this.queue.splice(0))
      this.settle(pending, new HttpError(503, 'the server is shutting down'));
    if (this.current) this.settle(this.current, new HttpError(503, 'the server is shutting down'));
    this.current = undefined;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private pump(): void {
    if (this.current || !this.worker) return;
    const next = this.queue.shift();
    if (!next) return;
    this.current = next;
    this.options.onBatch?.(1);
    this.worker.postMessage({ id: next.id, job: next.job });
  }

  private settle(pending: PendingJob, outcome: Error | { result: unknown }): void {
    pending.detach();
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome.result);
  }

  private attach(worker: Worker): void {
    this.worker = worker;
    worker.on('message', (message: WorkerMessage) => {
      const pending = this.current;
      if (message.type !== 'done' && message.type !== 'failed') return;
      if (!pending || pending.id !== message.id) return;
      this.current = undefined;
      if (message.type === 'done') this.settle(pending, { result: message.result });
      else if (message.input) this.settle(pending, new HttpError(400, inputMessage(message.message)));
      else this.settle(pending, new HttpError(500, `the model failed on this input: ${message.message}`));
      this.pump();
    });
    // An 'error' event (an uncaught exception in the worker) is always followed by 'exit'; act on 'exit'.
    worker.on('error', () => undefined);
    worker.on('exit', (code) => {
      if (this.closed || this.worker !== worker) return;
      this.worker = undefined;
      const crashed = this.current;
      this.current = undefined;
      if (crashed)
        this.settle(
          crashed,
          new HttpError(
            500,
            `the model's worker thread stopped (exit code ${code}) while running this request`,
          ),
        );
      void this.restart();
    });
  }

  private async restart(): Promise<void> {
    this.restarts++;
    try {
      const { worker } = await startWorker({ checkpoint: this.options.checkpoint });
      if (this.closed) {
        await worker.terminate();
        return;
      }
      this.attach(worker);
      this.pump();
    } catch (error) {
      this.unavailable = error instanceof Error ? error.message : String(error);
      for (const pending of this.queue.splice(0))
        this.settle(pending, new HttpError(503, `the model is unavailable: ${this.unavailable}`));
    }
  }
}

/** The predictor's complaint about one input, worded for a request of one text ("text 0" is the only one). */
function inputMessage(message: string): string {
  return message.replace(/^Predictor\.\w+: /, '').replace(/\btext 0\b/, 'the text');
}

/** Spawns a worker and resolves once it has loaded the model. */
function startWorker(start: WorkerStart): Promise<{ worker: Worker; info: PredictorInfo }> {
  return new Promise((resolve, reject) => {
    const worker = spawnPredictorWorker(start);
    let failure: Error | undefined;
    const onMessage = (message: WorkerMessage): void => {
      if (message.type === 'ready') {
        cleanup();
        resolve({ worker, info: message.info });
      } else if (message.type === 'load-failed') {
        failure = new Error(message.message);
      }
    };
    const onError = (error: Error): void => {
      failure ??= error;
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(
        failure ?? new Error(`the model's worker thread exited (code ${code}) before loading the model`),
      );
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
