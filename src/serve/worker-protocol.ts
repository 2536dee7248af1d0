/** Messages between the server (main thread) and the worker thread that owns the Predictor: plain JSON data. */
import type {
  ClassificationResult,
  PredictorInfo,
  TranslateOptions,
  TranslationResult,
} from '../inference/types.js';

/** What the worker is started with (`workerData`). */
export interface WorkerStart {
  /** The checkpoint directory given to `loadPredictor`. */
  checkpoint: string;
}

export type Job =
  { kind: 'translate'; text: string; options: TranslateOptions } | { kind: 'classify'; text: string };

export type JobResult<J extends Job> = J extends { kind: 'translate' }
  ? TranslationResult
  : ClassificationResult;

/** Main → worker. */
export interface JobMessage {
  id: number;
  job: Job;
}

/** Worker → main. */
export type WorkerMessage =
  | { type: 'ready'; info: PredictorInfo }
  | { type: 'load-failed'; message: string }
  | { type: 'done'; id: number; result: TranslationResult | ClassificationResult }
  /** `input`: the predictor refused this input (too many tokens, none after normalisation): the client's error. */
  | { type: 'failed'; id: number; message: string; input: boolean };
