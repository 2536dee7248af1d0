import { describe, expect, it } from 'vitest';
import { ProgressReporter, SGD, Trainer, type ProgressStream } from '../../src/index.js';
import { formatDuration, formatRate, ttyLine } from '../../src/train/progress.js';
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

  describe('under a time budget (a clock advanced 1 s per step by onStep)', () => {
    async function budgeted(stream: FakeStream, bounds: { maxSteps?: number; epochs?: number }) {
      let t = 0;
      const task = new QuadraticTask(4, 10);
      const optimizer = new SGD(task.model.parameters(), { lr: 0.1 });
      return new Trainer({
        task,
        optimizer,
        timeBudget: 100,
        ...bounds,
        logEvery: 10,
        evalEveryEpoch: false,
        progress: stream,
        progressRefreshMs: 0,
        now: () => t,
        onStep: () => {
          t += 1000;
        },
      }).fit();
    }

    it('with no other bound: the ETA is the budget left, no step total, "epoch N" without a total', async () => {
      const plain = new FakeStream(false);
      const result = await budgeted(plain, {});
      expect(result).toMatchObject({ status: 'time-budget', step: 100 });
      const lines = plain.out.trimEnd().split('\n');
      const steps = lines.filter((l) => l.startsWith('epoch'));
      expect(steps).toHaveLength(10);
      steps.forEach((l, i) =>
        expect(l).toMatch(
          new RegExp(
            `^epoch ${i + 1} step ${10 * (i + 1)} loss \\d+\\.\\d{4} lr 1\\.00e-1 4\\.0 tok/s ETA ${formatDuration(90 - 10 * i)}$`,
          ),
        ),
      );
      expect(lines.at(-1)).toBe('time-budget at step 100 (epoch 10, batch 10), 1:40 of training');
    });

    it('on a terminal the bar is elapsed / budget', async () => {
      const tty = new FakeStream(true);
      await budgeted(tty, { maxSteps: 1000 });
      const draws = tty.out.split('\r').filter((d) => d.includes('step'));
      const at = (step: number) => draws.find((d) => d.includes(` step ${step} `))!;
      expect(at(25).endsWith(`ETA 1:15${ERASE_LINE}`)).toBe(true);
      expect(at(25)).toMatch(/^epoch 3 \[=====>\s{14}\] {2}25% step 25 loss /);
      expect(at(50).endsWith(`ETA 0:50${ERASE_LINE}`)).toBe(true);
      expect(at(50)).toMatch(/^epoch 5 \[==========>\s{9}\] {2}50% step 50 loss /);
      expect(at(100)).toContain('[====================] 100% step 100 loss');
    });

    it('a nearer step bound (or epochs) sets the step total and the ETA instead', async () => {
      const steps = new FakeStream(false);
      expect(await budgeted(steps, { maxSteps: 30 })).toMatchObject({ status: 'completed', step: 30 });
      expect(steps.out.split('\n').filter((l) => l.startsWith('epoch'))).toEqual([
        expect.stringMatching(/^epoch 1 step 10\/30 .* ETA 0:20$/),
        expect.stringMatching(/^epoch 2 step 20\/30 .* ETA 0:10$/),
        expect.stringMatching(/^epoch 3 step 30\/30 .* ETA 0:00$/),
      ]);
      const epochs = new FakeStream(false);
      await budgeted(epochs, { epochs: 2 });
      expect(epochs.out.split('\n').filter((l) => l.startsWith('epoch'))).toEqual([
        expect.stringMatching(/^epoch 1\/2 step 10\/20 .* ETA 0:10$/),
        expect.stringMatching(/^epoch 2\/2 step 20\/20 .* ETA 0:00$/),
      ]);
    });
  });

  it('ttyLine: a fraction given draws the bar without a step total', () => {
    const u = { step: 80, fraction: 0.25, epoch: 0, loss: 1, lr: 1e-3, tokensPerSecond: 10, etaSeconds: 30 };
    expect(ttyLine(u)).toBe(
      'epoch 1 [=====>              ]  25% step 80 loss 1.0000 lr 1.00e-3 10 tok/s ETA 0:30',
    );
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
