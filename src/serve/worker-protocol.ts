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
  /**
   * Run the kernels whose results do not depend on the batch (native backend): set when jobs are batched, so
   * that an answer is the same whether its job ran alone or beside others.
   */
  batchInvariant: boolean;
}

export type Job =
  { kind: 'translate'; text: string; options: TranslateOptions } | { kind: 'classify'; text: string };

export type JobResult<J extends Job> = J extends { kind: 'translate' }
  ? TranslationResult
  : ClassificationResult;

/** Main → worker: jobs to run together (one or more, all of one kind); the worker answers each by its id. */
export interface BatchMessage {
  jobs: { id: number; job: Job }[];
}

/** Worker → main. */
export type WorkerMessage =
  | { type: 'ready'; info: PredictorInfo }
  | { type: 'load-failed'; message: string }
  | { type: 'done'; id: number; result: TranslationResult | ClassificationResult }
  /** `input`: the predictor refused this input (too many tokens, none after normalisation): the client's error. */
  | { type: 'failed'; id: number; message: string; input: boolean };
