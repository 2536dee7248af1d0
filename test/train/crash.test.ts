// Crash safety and signals, in child processes: SIGKILL at random moments while checkpoints are being written
// must leave a loadable checkpoint that never goes backwards; SIGINT must end the run cleanly with a checkpoint.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/node.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/train-child.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Child {
  process: ChildProcess;
  lines: string[];
  /** Resolves with the first stdout line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(mode: string, dir: string): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, mode, dir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ATTN_BACKEND: 'js' },
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.pattern.test(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    lines,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((l) => pattern.test(l));
        if (seen !== undefined) return resolve(seen);
        waiters.push({ pattern, resolve });
        void exited.then(({ code }) =>
          reject(new Error(`child exited (${code}) before ${pattern}: ${stderr}`)),
        );
      }),
  };
}

describe('training in a child process', () => {
  it('SIGKILL while checkpoints are written leaves the previous one loadable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attn-kill-'));
    dirs.push(dir);
    let previous = 0;
    for (let round = 0; round < 3; round++) {
      const child = start('kill', dir);
      // Let it save at least once this round, then kill it at a random moment of the following saves.
      const first = Number((await child.waitFor(/^saved \d+$/)).slice('saved '.length));
      await child.waitFor(new RegExp(`^saving ${first + 1}$`));
      await new Promise((r) => setTimeout(r, Math.random() * 60));
      child.process.kill('SIGKILL');
      const { signal } = await child.exited;
      expect(signal).toBe('SIGKILL');
      const saved = child.lines.filter((l) => l.startsWith('saved ')).map((l) => Number(l.slice(6)));
      const saving = child.lines.filter((l) => l.startsWith('saving ')).map((l) => Number(l.slice(7)));
      const snapshot = await loadCheckpoint(dir);
      const step = snapshot.trainer.step;
      // Never older than the last save that completed, never newer than the last one started.
      expect(step).toBeGreaterThanOrEqual(Math.max(...saved));
      expect(step).toBeLessThanOrEqual(Math.max(...saving));
      expect(step).toBeGreaterThan(previous);
      // Weights and optimiser state are whole: every element moved alike.
      const w = snapshot.weights.get('w')!.data;
      expect(w.length).toBe(1 << 20);
      expect(w[w.length - 1]).toBe(w[0]);
      expect(snapshot.optimizer.state.state[0]!.step).toBe(step);
      previous = step;
    }
  });

  it('SIGINT finishes the step, writes a checkpoint and exits with code 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attn-sigint-'));
    dirs.push(dir);
    const child = start('sigint', dir);
    await child.waitFor(/^ready$/);
    child.process.kill('SIGINT');
    const { code } = await child.exited;
    expect(code).toBe(0);
    const result = JSON.parse(child.lines.at(-1)!) as { status: string; step: number; reason: string };
    expect(result).toMatchObject({ status: 'interrupted', reason: 'SIGINT' });
    expect(result.step).toBeGreaterThanOrEqual(5);
    const snapshot = await loadCheckpoint(dir);
    expect(snapshot.trainer.step).toBe(result.step);
    expect(snapshot.trainer.position).toBe(result.step % 20);
  });
});
