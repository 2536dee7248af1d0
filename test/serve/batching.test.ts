// Dynamic batching and several workers, on a checkpoint of every architecture: requests that arrive together
// decode in one batch, each with its own options, and every answer is byte for byte the one the request gets
// alone; a refused input in a batch fails alone; a worker killed in the middle of a batch answers its requests
// 503 and is replaced while the other worker carries on.
import type { Worker } from 'node:worker_threads';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ARCHITECTURES, type Architecture } from '../../src/models/registry.js';
import { HttpError } from '../../src/serve/http-error.js';
import { PredictorHost } from '../../src/serve/predictor-host.js';
import { createServer, type AttnServer } from '../../src/serve/index.js';
import { CLASSIFY_TEXTS, tinyCheckpoint } from './checkpoints.js';

let root: string;
const dirs = {} as Record<Architecture, string>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'attn-batching-'));
  for (const arch of ARCHITECTURES) {
    dirs[arch] = join(root, arch);
    await tinyCheckpoint(arch, dirs[arch]);
  }
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Requests of many lengths and options: greedy, bounded, beams with nBest, each attention choice. */
const TRANSLATIONS: object[] = [
  { text: 'a b' },
  { text: 'c d e f a b' },
  { text: 'b', attention: 'none' },
  { text: 'f e d c', maxLength: 3 },
  { text: 'a b c d', beamSize: 3, nBest: 2 },
  { text: 'e', beamSize: 3, attention: 'best' },
  { text: 'd d d d d', beamSize: 2, maxLength: 5 },
  { text: 'a c e', beamSize: 3, nBest: 3 },
  { text: 'b d f b d f' },
];
const CLASSIFICATIONS: object[] = [...CLASSIFY_TEXTS, 'good', 'very very bad acting film plot'].map(
  (text) => ({ text }),
);

/** The body of a POST answer as text (the bytes compared), with its status. */
async function post(
  server: AttnServer,
  url: string,
  payload: object,
): Promise<{ status: number; body: string }> {
  const response = await server.app.inject({ method: 'POST', url, payload });
  return { status: response.statusCode, body: response.body };
}

/** The batch sizes the server reported in its metrics, as [count, sum]. */
async function batches(server: AttnServer): Promise<[number, number]> {
  const text = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
  const value = (name: string) =>
    Number(/^(\S+) (\S+)$/m.exec(text.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2]);
  return [value('attn_batch_size_count'), value('attn_batch_size_sum')];
}

describe('dynamic batching', () => {
  for (const arch of ARCHITECTURES) {
    it(`${arch}: requests arriving together decode in batches, each answer the one it gets alone`, async () => {
      const server = await createServer({
        checkpoint: dirs[arch],
        page: false,
        batching: { maxBatch: 6, waitMs: 200 },
      });
      try {
        const translate = server.info.task === 'translate';
        const url = translate ? '/api/translate' : '/api/classify';
        const requests = translate ? TRANSLATIONS : CLASSIFICATIONS;
        const alone: { status: number; body: string }[] = [];
        for (const request of requests) alone.push(await post(server, url, request));
        expect(await batches(server)).toEqual([requests.length, requests.length]);
        for (const answer of alone) expect(answer.status).toBe(200);

        const together = await Promise.all(requests.map((request) => post(server, url, request)));
        expect(together).toEqual(alone);
        // Every request of the second round ran in a batch of several: at most ⌈n / 6⌉ more batches.
        const [count, sum] = await batches(server);
        expect(sum).toBe(2 * requests.length);
        expect(count - requests.length).toBeLessThanOrEqual(Math.ceil(requests.length / 6) + 1);
        expect(count - requests.length).toBeLessThan(requests.length);
      } finally {
        await server.close();
      }
    });
  }

  it('a refused input fails alone; the others in its batch are answered', async () => {
    const server = await createServer({
      checkpoint: dirs.transformer,
      page: false,
      batching: { maxBatch: 8, waitMs: 200 },
    });
    try {
      // 40 tokens: more than the 32 positions the model has.
      const tooLong = { text: Array.from({ length: 40 }, () => 'a').join(' ') };
      const answers = await Promise.all(
        [TRANSLATIONS[0]!, tooLong, TRANSLATIONS[1]!].map((r) => post(server, '/api/translate', r)),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 400, 200]);
      expect(JSON.parse(answers[1]!.body).message).toMatch(
        /the text has 41 tokens; the model takes at most 32/,
      );
      expect(answers[0]).toEqual(await post(server, '/api/translate', TRANSLATIONS[0]!));
      expect(answers[2]).toEqual(await post(server, '/api/translate', TRANSLATIONS[1]!));
    } finally {
      await server.close();
    }
  });
});

describe('several workers', () => {
  it('share one queue; a worker killed in the middle of a batch answers it 503 and is replaced', async () => {
    let slots: { worker: Worker | undefined; running: Map<number, unknown> }[] = [];
    let dispatched = 0;
    const host = await PredictorHost.start({
      checkpoint: dirs['gru-bahdanau'],
      maxQueue: 16,
      workers: 2,
      maxBatch: 4,
      batchWaitMs: 100,
      // The second batch goes to the first worker, which is killed as it is handed the batch: in the middle of it.
      onBatch: () => {
        if (++dispatched === 2) void slots[0]!.worker!.terminate();
      },
    });
    try {
      slots = (host as unknown as { slots: typeof slots }).slots;
      expect(slots).toHaveLength(2);
      const job = (text: string) => ({ kind: 'translate', text, options: {} }) as const;
      const alone = await host.run(job('a b c'));
      // Eight jobs at once: each worker takes a batch of four.
      const jobs = Array.from({ length: 8 }, () =>
        host.run(job('a b c')).then(
          (r) => r,
          (e: unknown) => e,
        ),
      );
      expect(slots.map((s) => s.running.size)).toEqual([4, 4]);
      const outcomes = await Promise.all(jobs);
      const failed = outcomes.filter((o) => o instanceof HttpError);
      expect(failed).toHaveLength(4);
      for (const error of failed) {
        expect(error.statusCode).toBe(503);
        expect(error.message).toMatch(
          /the model's worker thread stopped \(exit code \d+\) while running this request; retry it/,
        );
      }
      for (const answer of outcomes.filter((o) => !(o instanceof HttpError))) expect(answer).toEqual(alone);
      // The replacement loads the model and takes jobs again, beside the other worker.
      await vi.waitFor(() => expect(slots.every((s) => s.worker !== undefined)).toBe(true), {
        timeout: 30_000,
      });
      expect(host.stats().restarts).toBe(1);
      const again = Array.from({ length: 8 }, () => host.run(job('a b c')));
      expect(slots.map((s) => s.running.size)).toEqual([4, 4]);
      for (const answer of await Promise.all(again)) expect(answer).toEqual(alone);
    } finally {
      await host.close();
    }
  });

  it('refuses bad worker and batch settings', async () => {
    for (const [options, message] of [
      [{ workers: 0 }, /workers must be a positive integer, got 0/],
      [{ maxBatch: 1.5 }, /maxBatch must be a positive integer, got 1.5/],
      [{ batchWaitMs: -1 }, /batchWaitMs must be a non-negative number, got -1/],
    ] as const)
      await expect(
        PredictorHost.start({ checkpoint: dirs.transformer, maxQueue: 1, ...options }),
      ).rejects.toThrow(message);
  });
});
