/**
 * The trainer's machine-readable log: one plain object per event, written one JSON object per line by
 * `jsonlLog` (attn/node). Every record has `kind`, `step`, `epoch` (0-based), `elapsed` (seconds of training
 * over the whole run) and `time` (ISO 8601 wall clock). Non-finite numbers become null in JSON.
 *
 * A resumed run appends a `resume` record; records before it with a larger step come from the interrupted run
 * after its last checkpoint and were trained again.
 */

/** Every `logEvery` steps: means over the steps since the previous train record. */
export interface TrainLogRecord {
  kind: 'train';
  step: number;
  epoch: number;
  /** Mean loss over the window. */
  loss: number;
  /** Learning rate (first parameter group) of the window's last update. */
  lr: number;
  tokensPerSecond: number;
  examplesPerSecond: number;
  /** Steps in the window. */
  steps: number;
  elapsed: number;
  time: string;
}

export interface EvalLogRecord {
  kind: 'eval';
  step: number;
  epoch: number;
  split: string;
  metrics: Record<string, number>;
  /** Seconds the evaluation took. */
  seconds: number;
  elapsed: number;
  time: string;
}

export interface CheckpointLogRecord {
  kind: 'checkpoint';
  step: number;
  epoch: number;
  /** Where the store put it. */
  path: string;
  elapsed: number;
  time: string;
}

export interface ResumeLogRecord {
  kind: 'resume';
  step: number;
  epoch: number;
  /** Where the snapshot came from, when known. */
  source: string | null;
  elapsed: number;
  time: string;
}

export interface EndLogRecord {
  kind: 'end';
  step: number;
  epoch: number;
  status: FitStatus;
  elapsed: number;
  time: string;
}

export type TrainerLogRecord =
  TrainLogRecord | EvalLogRecord | CheckpointLogRecord | ResumeLogRecord | EndLogRecord;

/**
 * How fit() ended: ran to its epochs/maxSteps, stopped early on the metric, spent its timeBudget, or stopped by a
 * signal/abort.
 */
export type FitStatus = 'completed' | 'early-stopped' | 'time-budget' | 'interrupted';

/** Receives each log record; may be async (the trainer awaits it). */
export type LogSink = (record: TrainerLogRecord) => void | Promise<void>;
