/**
 * The main thread's side of the model workers: each worker thread owns a Predictor and runs one batch of jobs
 * at a time; jobs wait in one bounded FIFO queue here, shared by the workers (a full queue is answered 503 at
 * once rather than letting latency grow without bound). A job whose client has gone away is dropped before it
 * reaches a model.
 *
 * Dynamic batching (maxBatch > 1): a free worker takes up to maxBatch waiting jobs at once, waiting at most
 * batchWaitMs after the oldest arrived for more to come. The worker decodes them together, each with its own
 * options, and each answer is the one the job gets alone (the workers then run the batch-invariant kernels).
 *
 * If a worker dies (a crash, out of memory), the jobs it was running are answered 503 (the client may retry),
 * a new worker loads the model again, and the queue carries on with the others.
 */
import type { Worker } from 'node:worker_threads';
import type { PredictorInfo } from '../inference/types.js';
import { requirePositiveIntegers } from '../tensor/errors.js';
import { HttpError } from './http-error.js';
import { spawnPredictorWorker } from './spawn-worker.js';
import type { Job, JobResult, WorkerMessage, WorkerStart } from './worker-protocol.js';

export interface PredictorHostOptions {
  /** The checkpoint directory the workers load. */
  checkpoint: string;
  /** Jobs that may wait while every worker is busy; more are refused with 503. */
  maxQueue: number;
  /** Model worker threads (default 1). */
  workers?: number;
  /** Most jobs a worker runs together (default 1: no batching). */
  maxBatch?: number;
  /** How long the oldest waiting job may wait for others to batch with, in ms (default 0). */
  batchWaitMs?: number;
  /** Told the size of each batch of jobs handed to a model (for metrics). */
  onBatch?: (size: number) => void;
}

interface PendingJob {
  id: number;
  job: Job;
  /** When it entered the queue (performance.now()). */
  since: number;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  detach: () => void;
}

/** One model worker: its thread (undefined while a new one starts) and the batch it is running. */
interface Slot {
  worker: Worker | undefined;
  running: Map<number, PendingJob>;
}

/** Counts for tests and monitoring. */
export interface HostStats {
  running: number;
  queued: number;
  /** Workers started again after a crash. */
  restarts: number;
}

/** Whether the host takes jobs now, and if not, why. */
export type Readiness = { ready: true } | { ready: false; reason: string };

export class PredictorHost {
  private readonly slots: Slot[];
  private readonly queue: PendingJob[] = [];
  private readonly maxBatch: number;
  private readonly batchWaitMs: number;
  private nextId = 1;
  private restarts = 0;
  private closed = false;
  /** Set when a restarted worker could not load the model: every job is then refused. */
  private unavailable: string | undefined;
  /** The pending wake-up of a batching wait. */
  private timer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    private readonly options: PredictorHostOptions,
    readonly info: PredictorInfo,
    workers: Worker[],
  ) {
    this.maxBatch = options.maxBatch ?? 1;
    this.batchWaitMs = options.batchWaitMs ?? 0;
    this.slots = workers.map(() => ({ worker: undefined, running: new Map() }));
    workers.forEach((worker, i) => this.attach(this.slots[i]!, worker));
  }

  /** Starts the workers and waits until each has loaded the model; rejects with the loader's message if one cannot. */
  static async start(options: PredictorHostOptions): Promise<PredictorHost> {
    const { workers = 1, maxBatch = 1, batchWaitMs = 0 } = options;
    requirePositiveIntegers('PredictorHost', { workers, maxBatch });
    if (!(Number.isInteger(options.maxQueue) && options.maxQueue >= 0))
      throw new Error(`PredictorHost: maxQueue must be an integer ≥ 0, got ${String(options.maxQueue)}`);
    if (!(Number.isFinite(batchWaitMs) && batchWaitMs >= 0))
      throw new Error(`PredictorHost: batchWaitMs must be a non-negative number, got ${String(batchWaitMs)}`);
    const start = PredictorHost.workerStart(options);
    const started = await Promise.allSettled(Array.from({ length: workers }, () => startWorker(start)));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.worker.terminate() : 0)));
      throw failed.reason;
    }
    const ready = started.map(
      (s) => (s as PromiseFulfilledResult<{ worker: Worker; info: PredictorInfo }>).value,
    );
    return new PredictorHost(
      options,
      ready[0]!.info,
      ready.map((r) => r.worker),
    );
  }

  private static workerStart(options: PredictorHostOptions): WorkerStart {
    return { checkpoint: options.checkpoint, batchInvariant: (options.maxBatch ?? 1) > 1 };
  }

  stats(): HostStats {
    let running = 0;
    for (const slot of this.slots) running += slot.running.size;
    return { running, queued: this.queue.length, restarts: this.restarts };
  }

  /** Ready: the model is loaded on a live worker, the host is not closing, and a job would not be refused. */
  readiness(): Readiness {
    if (this.closed) return { ready: false, reason: 'the server is shutting down' };
    if (this.unavailable !== undefined)
      return { ready: false, reason: `the model is unavailable: ${this.unavailable}` };
    if (!this.slots.some((s) => s.worker))
      return { ready: false, reason: "the model's worker is starting again" };
    if (this.full())
      return { ready: false, reason: `the queue is full (${this.queue.length} requests waiting)` };
    return { ready: true };
  }

  /** Runs `job` on a model once the jobs before it have been taken. `signal` drops it while it still waits. */
  run<J extends Job>(job: J, signal?: AbortSignal): Promise<JobResult<J>> {
    if (this.closed) return Promise.reject(new HttpError(503, 'the server is shutting down'));
    if (this.unavailable !== undefined)
      return Promise.reject(new HttpError(503, `the model is unavailable: ${this.unavailable}`));
    if (this.full())
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
        since: performance.now(),
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

  /** Stops the workers. Jobs still waiting are refused with 503; call it after in-flight requests are answered. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    for (const pending of this.queue.splice(0))
      this.settle(pending, new HttpError(503, 'the server is shutting down'));
    const workers: Worker[] = [];
    for (const slot of this.slots) {
      for (const pending of slot.running.values())
        this.settle(pending, new HttpError(503, 'the server is shutting down'));
      slot.running.clear();
      if (slot.worker) workers.push(slot.worker);
      slot.worker = undefined;
    }
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /** Full: every waiting place is taken and no worker is free to take a job now. */
  private full(): boolean {
    return (
      this.queue.length >= this.options.maxQueue && !this.slots.some((s) => s.worker && s.running.size === 0)
    );
  }

  /** Hands waiting jobs to free workers: at once without batching, else once a batch is full or has waited enough. */
  private pump(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (!slot.worker || slot.running.size > 0 || this.queue.length === 0) continue;
      if (this.queue.length < this.maxBatch) {
        const waited = performance.now() - this.queue[0]!.since;
        if (waited < this.batchWaitMs) {
          this.wakeAfter(this.batchWaitMs - waited);
          return;
        }
      }
      const batch = this.takeBatch();
      for (const pending of batch) slot.running.set(pending.id, pending);
      this.options.onBatch?.(batch.length);
      slot.worker.postMessage({ jobs: batch.map(({ id, job }) => ({ id, job })) });
    }
  }

  /** Up to maxBatch waiting jobs of the oldest one's kind, oldest first. */
  private takeBatch(): PendingJob[] {
    const kind = this.queue[0]!.job.kind;
    const batch: PendingJob[] = [];
    for (let i = 0; i < this.queue.length && batch.length < this.maxBatch;) {
      if (this.queue[i]!.job.kind === kind) batch.push(...this.queue.splice(i, 1));
      else i++;
    }
    return batch;
  }

  private wakeAfter(ms: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, ms),
    );
  }

  private settle(pending: PendingJob, outcome: Error | { result: unknown }): void {
    pending.detach();
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome.result);
  }

  private attach(slot: Slot, worker: Worker): void {
    slot.worker = worker;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type !== 'done' && message.type !== 'failed') return;
      const pending = slot.running.get(message.id);
      if (!pending) return;
      slot.running.delete(message.id);
      if (message.type === 'done') this.settle(pending, { result: message.result });
      else if (message.input) this.settle(pending, new HttpError(400, inputMessage(message.message)));
      else this.settle(pending, new HttpError(500, `the model failed on this input: ${message.message}`));
      if (slot.running.size === 0) this.pump();
    });
    // An 'error' event (an uncaught exception in the worker) is always followed by 'exit'; act on 'exit'.
    worker.on('error', () => undefined);
    worker.on('exit', (code) => {
      if (this.closed || slot.worker !== worker) return;
      slot.worker = undefined;
      for (const pending of slot.running.values())
        this.settle(
          pending,
          new HttpError(
            503,
            `the model's worker thread stopped (exit code ${code}) while running this request; retry it`,
          ),
        );
      slot.running.clear();
      void this.restart(slot);
    });
  }

  private async restart(slot: Slot): Promise<void> {
    this.restarts++;
    try {
      const { worker } = await startWorker(PredictorHost.workerStart(this.options));
      if (this.closed) {
        await worker.terminate();
        return;
      }
      this.attach(slot, worker);
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
