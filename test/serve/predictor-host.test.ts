// The model's worker thread and its queue, on a real checkpoint: one job at a time, a bounded queue refusing
// with 503, jobs dropped when their client leaves, a new worker after a crash, and shutdown.
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/serve/http-error.js';
import { PredictorHost } from '../../src/serve/predictor-host.js';
import { REVERSAL_SENTENCE, tinyCheckpoints, type TinyCheckpoints } from './checkpoints.js';

let checkpoints: TinyCheckpoints;

beforeAll(async () => {
  checkpoints = await tinyCheckpoints();
});

afterAll(async () => {
  await checkpoints?.remove();
});

const job = { kind: 'translate', text: REVERSAL_SENTENCE, options: {} } as const;

async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`);
  return error;
}

describe('PredictorHost', () => {
  it('runs one job at a time, queues up to maxQueue more and refuses the rest with 503', async () => {
    const batches: number[] = [];
    const host = await PredictorHost.start({
      checkpoint: checkpoints.translate,
      maxQueue: 2,
      onBatch: (size) => batches.push(size),
    });
    try {
      expect(host.readiness()).toEqual({ ready: true });
      // All five are asked for in the same tick: one runs, two wait, two are refused before any finishes.
      const jobs = Array.from({ length: 5 }, () => host.run(job));
      expect(host.stats()).toEqual({ running: 1, queued: 2, restarts: 0 });
      expect(host.readiness()).toEqual({ ready: false, reason: 'the queue is full (2 requests waiting)' });
      const [refusedA, refusedB] = await Promise.all([rejection(jobs[3]!), rejection(jobs[4]!)]);
      for (const refused of [refusedA, refusedB]) {
        expect(refused.statusCode).toBe(503);
        expect(refused.message).toMatch(/the server is busy: 2 requests are waiting/);
      }
      const done = await Promise.all(jobs.slice(0, 3));
      for (const result of done) expect(result.sourceTokens).toEqual(['a', 'b', 'c', 'd', '<eos>']);
      expect(host.stats()).toEqual({ running: 0, queued: 0, restarts: 0 });
      expect(host.readiness()).toEqual({ ready: true });
      // One job at a time: three batches of one.
      expect(batches).toEqual([1, 1, 1]);
    } finally {
      await host.close();
    }
  });

  it('drops a waiting job whose client went away, before it reaches the model', async () => {
    const host = await PredictorHost.start({ checkpoint: checkpoints.translate, maxQueue: 4 });
    try {
      const running = host.run(job);
      const leaving = new AbortController();
      const waiting = host.run(job, leaving.signal);
      expect(host.stats().queued).toBe(1);
      leaving.abort();
      expect(host.stats().queued).toBe(0);
      expect((await rejection(waiting)).statusCode).toBe(499);
      await running;
    } finally {
      await host.close();
    }
  });

  it('starts a new worker when the one it had dies, and carries on', async () => {
    const host = await PredictorHost.start({ checkpoint: checkpoints.classify, maxQueue: 4 });
    try {
      const before = await host.run({ kind: 'classify', text: 'good film' });
      // Kill the worker as a crash would (terminate makes it exit without the host asking).
      await (host as unknown as { slots: { worker: Worker }[] }).slots[0]!.worker.terminate();
      expect(host.readiness()).toEqual({ ready: false, reason: "the model's worker is starting again" });
      const after = await host.run({ kind: 'classify', text: 'good film' });
      expect(after).toEqual(before);
      expect(host.stats().restarts).toBe(1);
    } finally {
      await host.close();
    }
  });

  it('refuses to start on a directory that is not a checkpoint, with the loader message', async () => {
    const error = await PredictorHost.start({ checkpoint: '/nonexistent/attn-checkpoint', maxQueue: 1 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/\/nonexistent\/attn-checkpoint does not exist/);
  });

  it('close refuses waiting jobs with 503 and later ones too', async () => {
    const host = await PredictorHost.start({ checkpoint: checkpoints.translate, maxQueue: 4 });
    const running = rejection(host.run(job));
    const waiting = rejection(host.run(job));
    await host.close();
    expect(host.readiness()).toEqual({ ready: false, reason: 'the server is shutting down' });
    expect((await waiting).message).toBe('the server is shutting down');
    expect((await running).statusCode).toBe(503);
    expect((await rejection(host.run(job))).message).toBe('the server is shutting down');
  });
});
