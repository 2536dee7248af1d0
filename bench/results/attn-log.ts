/**
 * The figures of an `attn train` run from its log.jsonl (the trainer's records, src/train/log-record.ts).
 *
 * Throughput: each `train` record gives the rates of the window of steps since the previous one; the window's
 * length is the growth of `elapsed` since the previous train record. Windows with an evaluation inside (attn
 * train evaluates at every epoch's end) are left out, so that the figure is the training steps' own speed, as
 * bench/torch_train.py measures PyTorch's.
 */
import { readFileSync } from 'node:fs';

interface LogRecord {
  kind: 'train' | 'eval' | 'checkpoint' | 'resume' | 'end';
  step: number;
  epoch: number;
  elapsed: number;
  loss?: number;
  tokensPerSecond?: number;
  examplesPerSecond?: number;
  steps?: number;
  seconds?: number;
  metrics?: Record<string, number>;
  status?: string;
}

export interface AttnRunFigures {
  steps: number;
  /** Epochs completed (the epoch index of the end record). */
  completedEpochs: number;
  /** Seconds of training in the run (evaluations inside the budget included). */
  trainSeconds: number;
  /** Seconds of the evaluations made inside the budget. */
  evalSecondsInBudget: number;
  tokensPerSecond: number;
  sequencesPerSecond: number;
  /** Mean training loss over the last windows (about the last 50 steps). */
  finalLoss: number;
  /** The evaluations made during training (epoch ends). */
  evaluations: { step: number; epoch: number; metrics: Record<string, number> }[];
  status: string;
}

export function readAttnLog(path: string): AttnRunFigures {
  const records = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as LogRecord;
      } catch {
        throw new Error(`${path}:${i + 1}: not a JSON record`);
      }
    });
  const end = [...records].reverse().find((r) => r.kind === 'end');
  if (!end) throw new Error(`${path} has no end record: did the run finish?`);
  let tokens = 0;
  let examples = 0;
  let seconds = 0;
  let previous = 0;
  let evalInside = false;
  const windows: { loss: number; steps: number }[] = [];
  const evaluations: AttnRunFigures['evaluations'] = [];
  let evalSeconds = 0;
  for (const r of records) {
    if (r.kind === 'eval') {
      evalInside = true;
      evalSeconds += r.seconds ?? 0;
      evaluations.push({ step: r.step, epoch: r.epoch, metrics: r.metrics ?? {} });
    }
    if (r.kind !== 'train') continue;
    const span = r.elapsed - previous;
    previous = r.elapsed;
    windows.push({ loss: r.loss ?? NaN, steps: r.steps ?? 0 });
    if (evalInside || !(span > 0)) {
      evalInside = false;
      continue;
    }
    tokens += (r.tokensPerSecond ?? 0) * span;
    examples += (r.examplesPerSecond ?? 0) * span;
    seconds += span;
  }
  let lossSum = 0;
  let lossSteps = 0;
  for (let i = windows.length - 1; i >= 0 && lossSteps < 50; i--) {
    lossSum += windows[i]!.loss * windows[i]!.steps;
    lossSteps += windows[i]!.steps;
  }
  return {
    steps: end.step,
    completedEpochs: end.epoch,
    trainSeconds: end.elapsed,
    evalSecondsInBudget: evalSeconds,
    tokensPerSecond: seconds > 0 ? tokens / seconds : NaN,
    sequencesPerSecond: seconds > 0 ? examples / seconds : NaN,
    finalLoss: lossSteps > 0 ? lossSum / lossSteps : NaN,
    evaluations,
    status: end.status ?? 'unknown',
  };
}
