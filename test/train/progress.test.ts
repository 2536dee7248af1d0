import { describe, expect, it } from 'vitest';
import { ProgressReporter, SGD, Trainer, type ProgressStream } from '../../src/index.js';
import { formatDuration, formatRate } from '../../src/train/progress.js';
import { QuadraticTask } from './tiny-models.js';

const ESC = '\x1b';
const ERASE_LINE = `${ESC}[K`;

class FakeStream implements ProgressStream {
  out = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 120,
  ) {}
  write(chunk: string): boolean {
    this.out += chunk;
    return true;
  }
}

/** A clock advancing 50 ms per reading, so rates and ETAs are deterministic and non-zero. */
function fakeClock(): () => number {
  let t = 0;
  return () => (t += 50);
}

async function train(stream: FakeStream): Promise<void> {
  const task = new QuadraticTask(4, 10);
  const optimizer = new SGD(task.model.parameters(), { lr: 0.1 });
  await new Trainer({
    task,
    optimizer,
    epochs: 2,
    logEvery: 5,
    progress: stream,
    progressRefreshMs: 0,
    now: fakeClock(),
  }).fit();
}

describe('progress display', () => {
  it('on a terminal: one line rewritten in place with a bar, loss, tokens/s and ETA; messages above it', async () => {
    const tty = new FakeStream(true);
    await train(tty);
    const out = tty.out;
    expect(out.startsWith('\r')).toBe(true);
    // Every redraw is \r + line + erase-to-end; a newline only after messages and at the end.
    const draws = out.split('\r').filter((s) => s.includes('step'));
    expect(draws.length).toBeGreaterThanOrEqual(20);
    const first = draws[0]!;
    expect(first.endsWith(ERASE_LINE)).toBe(true);
    expect(first.slice(0, -ERASE_LINE.length)).toMatch(
      /^epoch 1\/2 \[=*>?\s*\]\s+\d+% step 1\/20 loss \d+\.\d{4} lr 1\.00e-1 [\d.]+k? tok\/s ETA \d+:\d\d$/,
    );
    expect(out).toContain('step 20/20');
    expect(out).toContain('[====================] 100%');
    // Evaluation results are printed on their own line, after clearing the progress line.
    expect(out).toContain('\r\x1b[Keval dev @ step 10 (epoch 1): loss ');
    const lines = out.split('\n');
    expect(lines.filter((l) => l.includes('eval dev'))).toHaveLength(2);
    expect(lines[lines.length - 1]).toBe('');
    expect(lines[lines.length - 2]).toMatch(/^completed at step 20 \(2 epochs done\), 0:0\d of training$/);
    // No plain per-step log lines on a terminal.
    expect(lines.filter((l) => /^epoch \d+\/\d+ step/.test(l))).toHaveLength(0);
  });

  it('on a terminal: lines are cut to the width', async () => {
    const tty = new FakeStream(true, 40);
    await train(tty);
    for (const draw of tty.out.split('\r').filter((s) => s.endsWith('\x1b[K') && s.includes('step'))) {
      expect(draw.length - 3).toBeLessThanOrEqual(39);
    }
  });

  it('on a plain stream: a log line every logEvery steps, no control characters', async () => {
    const plain = new FakeStream(false);
    await train(plain);
    expect(plain.out.includes('\r') || plain.out.includes(ESC)).toBe(false);
    const lines = plain.out.trimEnd().split('\n');
    const steps = lines.filter((l) => l.startsWith('epoch'));
    expect(steps.map((l) => /step (\d+)\//.exec(l)![1])).toEqual(['5', '10', '15', '20']);
    for (const l of steps) {
      expect(l).toMatch(
        /^epoch [12]\/2 step \d+\/20 loss \d+\.\d{4} lr 1\.00e-1 [\d.]+k? tok\/s ETA \d+:\d\d$/,
      );
    }
    expect(lines.filter((l) => l.startsWith('eval dev @ step'))).toHaveLength(2);
    expect(lines[lines.length - 1]).toMatch(/^completed at step 20/);
  });

  it('throttles terminal redraws', () => {
    const tty = new FakeStream(true);
    let t = 0;
    const reporter = new ProgressReporter(tty, { refreshMs: 100, now: () => t });
    for (let step = 1; step <= 10; step++) {
      t += 30;
      reporter.update({ step, totalSteps: 100, epoch: 0, loss: 1, lr: 1e-3, tokensPerSecond: 10 });
    }
    // Drawn at t = 30, then whenever 100 ms have passed: 150, 270.
    expect(tty.out.split('\r').filter(Boolean)).toHaveLength(3);
  });

  it('formats rates and durations', () => {
    expect(formatRate(5.25)).toBe('5.3');
    expect(formatRate(950)).toBe('950');
    expect(formatRate(12345)).toBe('12.3k');
    expect(formatRate(2.5e6)).toBe('2.50M');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(NaN)).toBe('-');
  });
});
