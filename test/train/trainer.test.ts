import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  jsonlLog,
  processSignals,
  SGD,
  Trainer,
  type CheckpointStore,
  type TrainingSnapshot,
} from '../../src/node.js';
import { QuadraticTask } from './tiny-models.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'attn-trainer-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Keeps snapshots in memory. */
class MemoryStore implements CheckpointStore {
  saved: TrainingSnapshot[] = [];
  async save(s: TrainingSnapshot): Promise<string> {
    this.saved.push(s);
    return `memory:${this.saved.length}`;
  }
  async load(): Promise<TrainingSnapshot> {
    return this.saved[this.saved.length - 1]!;
  }
  async exists(): Promise<boolean> {
    return this.saved.length > 0;
  }
}

function quadratic(batches = 10, script: Record<string, number>[] = []) {
  const task = new QuadraticTask(4, batches, script);
  const optimizer = new SGD(task.model.parameters(), { lr: 0.1 });
  return { task, optimizer };
}

describe('Trainer', () => {
  it('writes a JSONL log whose lines parse: train records, evaluations, the end', async () => {
    const path = join(tempDir(), 'logs', 'metrics.jsonl');
    const { task, optimizer } = quadratic();
    const result = await new Trainer({ task, optimizer, epochs: 2, logEvery: 5, log: jsonlLog(path) }).fit();
    expect(result.status).toBe('completed');
    expect(result.step).toBe(20);
    expect(result.losses).toHaveLength(20);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const train = records.filter((r) => r.kind === 'train');
    expect(train.map((r) => r.step)).toEqual([5, 10, 15, 20]);
    for (const r of train) {
      expect(typeof r.loss).toBe('number');
      expect(r.lr).toBe(0.1);
      expect(r.tokensPerSecond as number).toBeGreaterThan(0);
      expect(typeof r.epoch).toBe('number');
      expect(new Date(r.time as string).toISOString()).toBe(r.time);
      expect(r.elapsed as number).toBeGreaterThanOrEqual(0);
    }
    // The mean of the window's losses.
    const window = result.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    expect(train[0]!.loss).toBeCloseTo(window, 12);
    const evals = records.filter((r) => r.kind === 'eval');
    expect(evals.map((r) => [r.step, r.epoch])).toEqual([
      [10, 0],
      [20, 1],
    ]);
    expect(typeof (evals[0]!.metrics as Record<string, number>).loss).toBe('number');
    expect(records[records.length - 1]).toMatchObject({
      kind: 'end',
      status: 'completed',
      step: 20,
      epoch: 2,
    });
  });

  it('stops early when the metric has not improved for `patience` evaluations (max mode)', async () => {
    const script = [0.5, 0.6, 0.55, 0.58, 0.9].map((score) => ({ score }));
    const { task, optimizer } = quadratic(10, script);
    const store = new MemoryStore();
    const trainer = new Trainer({
      task,
      optimizer,
      epochs: 100,
      evalEvery: 3,
      evalEveryEpoch: false,
      earlyStopping: { metric: 'score', mode: 'max', patience: 2 },
      checkpoints: store,
    });
    const result = await trainer.fit();
    expect(result.status).toBe('early-stopped');
    expect(result.step).toBe(12);
    expect(result.evaluations.map((e) => e.step)).toEqual([3, 6, 9, 12]);
    expect(result.best).toEqual({ metric: 'score', value: 0.6, step: 6 });
    expect(store.saved).toHaveLength(1);
    expect(store.saved[0]!.trainer).toMatchObject({ earlyStopped: true, bestValue: 0.6, badEvaluations: 2 });
    // A resumed early-stopped run does not train on.
    const again = await trainer.fit();
    expect(again).toMatchObject({ status: 'early-stopped', step: 12, losses: [] });
  });

  it('stops early in min mode, counting only improvements larger than minDelta', async () => {
    const script = [1, 0.95, 0.94, 0.5].map((loss) => ({ loss }));
    const { task, optimizer } = quadratic(5, script);
    const result = await new Trainer({
      task,
      optimizer,
      epochs: 10,
      earlyStopping: { metric: 'loss', mode: 'min', patience: 2, minDelta: 0.1 },
    }).fit();
    // 1 (best), 0.95 (not 0.1 better: 1 bad), 0.94 (2 bad: stop).
    expect(result).toMatchObject({ status: 'early-stopped', step: 15, epoch: 3 });
    expect(result.best).toEqual({ metric: 'loss', value: 1, step: 5 });
  });

  it('says which metrics exist when early stopping watches a missing one', async () => {
    const { task, optimizer } = quadratic(2);
    const trainer = new Trainer({
      task,
      optimizer,
      epochs: 1,
      earlyStopping: { metric: 'bleu', mode: 'max', patience: 1 },
    });
    await expect(trainer.fit()).rejects.toThrow(/watches 'bleu'.*it gave loss/);
  });

  it('stops on abort after the step under way, writes a checkpoint and reports the interruption', async () => {
    const { task, optimizer } = quadratic();
    const store = new MemoryStore();
    const controller = new AbortController();
    const trainer = new Trainer({
      task,
      optimizer,
      epochs: 5,
      checkpoints: store,
      abortSignal: controller.signal,
      onStep: ({ step }) => {
        if (step === 13) controller.abort();
      },
    });
    const result = await trainer.fit();
    expect(result).toMatchObject({ status: 'interrupted', step: 13, epoch: 1, stopReason: 'abort' });
    expect(result.losses).toHaveLength(13);
    expect(store.saved.map((s) => [s.trainer.step, s.trainer.epoch, s.trainer.position])).toEqual([
      [13, 1, 3],
    ]);
  });

  it('ends on its time budget after the step that spends it: evaluated, checkpointed, status time-budget', async () => {
    const path = join(tempDir(), 'budget.jsonl');
    let clockMs = 1000;
    const { task, optimizer } = quadratic();
    const store = new MemoryStore();
    const trainer = new Trainer({
      task,
      optimizer,
      epochs: 1000,
      timeBudget: 0.05,
      checkpoints: store,
      checkpointAtEnd: false,
      log: jsonlLog(path),
      // A run clock where each step takes 20 ms, so the 50 ms budget is spent on the third step; the wall clock
      // would make the step count depend on the machine's load.
      now: () => clockMs,
      onStep: () => {
        clockMs += 20;
      },
    });
    const result = await trainer.fit();
    expect(result).toMatchObject({ status: 'time-budget', step: 3, epoch: 0 });
    expect(result).not.toHaveProperty('stopReason');
    // Evaluated where it ended, once; checkpointed even with checkpointAtEnd false (nothing trained is lost).
    expect(result.evaluations.map((e) => e.step)).toEqual([3]);
    expect(store.saved.map((s) => s.trainer.step)).toEqual([3]);
    const records = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.at(-1)).toMatchObject({ kind: 'end', status: 'time-budget', step: 3 });
    // A later fit() call has a budget of its own.
    const again = await trainer.fit();
    expect(again).toMatchObject({ status: 'time-budget', step: 6 });
    for (const bad of [0, -1, Infinity, NaN])
      expect(() => new Trainer({ task, optimizer, epochs: 1, timeBudget: bad })).toThrow(
        /timeBudget must be a finite number of seconds > 0/,
      );
  });

  it('installs signal handlers only while fit runs', async () => {
    const { task, optimizer } = quadratic(3);
    const before = process.listenerCount('SIGINT');
    const beforeTerm = process.listenerCount('SIGTERM');
    let during = -1;
    const trainer = new Trainer({
      task,
      optimizer,
      epochs: 1,
      signals: processSignals,
      onStep: () => {
        during = process.listenerCount('SIGINT');
      },
    });
    await trainer.fit();
    expect(during).toBe(before + 1);
    expect(process.listenerCount('SIGINT')).toBe(before);
    expect(process.listenerCount('SIGTERM')).toBe(beforeTerm);
  });

  it('clips gradients and follows maxSteps across epochs, evaluating at the end', async () => {
    const { task, optimizer } = quadratic(4);
    const result = await new Trainer({ task, optimizer, maxSteps: 10, maxGradNorm: 0.01 }).fit();
    expect(result).toMatchObject({ status: 'completed', step: 10, epoch: 2 });
    // Epoch ends at steps 4 and 8, and a last evaluation at step 10.
    expect(result.evaluations.map((e) => e.step)).toEqual([4, 8, 10]);
    // With the gradient clipped to norm 0.01 and lr 0.1, w (all ones) moves by at most 0.001 per step.
    for (const v of task.model.w.data) expect(Math.abs(v - 1)).toBeLessThanOrEqual(0.0100001);
  });

  it('rejects bad options with clear errors', () => {
    const { task, optimizer } = quadratic();
    expect(() => new Trainer({ task, optimizer })).toThrow(/give epochs or maxSteps/);
    expect(() => new Trainer({ task, optimizer })).toThrow(
      'give epochs or maxSteps (or both), or a timeBudget',
    );
    // A time budget alone bounds a run.
    expect(() => new Trainer({ task, optimizer, timeBudget: 1 })).not.toThrow();
    expect(() => new Trainer({ task, optimizer, epochs: 0 })).toThrow(/epochs must be an integer >= 1/);
    expect(() => new Trainer({ task, optimizer, epochs: 1, checkpointEvery: 5 })).toThrow(
      /needs a checkpoints/,
    );
    expect(
      () =>
        new Trainer({
          task,
          optimizer,
          epochs: 1,
          earlyStopping: { metric: 'x', mode: 'up' as 'max', patience: 1 },
        }),
    ).toThrow(/mode must be 'min' or 'max'/);
  });

  it('refuses to update on a non-finite loss', async () => {
    const { task, optimizer } = quadratic();
    task.model.w.data[0] = NaN;
    await expect(new Trainer({ task, optimizer, epochs: 1 }).fit()).rejects.toThrow(/loss is NaN at step 1/);
  });
});
