/**
 * Training (browser-safe): the model-agnostic Trainer, task adapters for translation and classification,
 * snapshots and their file encoding, early stopping and progress display. Checkpoints on disk, signal handling
 * and the JSONL log file are in `./node/`, exported from `attn/node`. Metrics are in `./metrics/`.
 */
export type { TaskAdapter, BatchLoss, TrainBatches, EvalMetrics } from './task.js';
export {
  Trainer,
  type TrainerOptions,
  type SignalInstaller,
  type StepInfo,
  type Evaluation,
  type FitResult,
} from './trainer.js';
export type {
  TrainingSnapshot,
  TrainerState,
  RngSnapshot,
  OptimizerSnapshot,
  CheckpointStore,
} from './snapshot.js';
export {
  CHECKPOINT_FILES,
  encodeCheckpoint,
  decodeCheckpoint,
  decodeModelFiles,
} from './checkpoint-codec.js';
export { epochGenerator } from './epoch-generator.js';
export type { EarlyStoppingOptions } from './early-stopping.js';
export {
  ProgressReporter,
  type ProgressStream,
  type ProgressOptions,
  type ProgressUpdate,
} from './progress.js';
export type {
  TrainerLogRecord,
  TrainLogRecord,
  EvalLogRecord,
  CheckpointLogRecord,
  ResumeLogRecord,
  EndLogRecord,
  FitStatus,
  LogSink,
} from './log-record.js';
export {
  TranslationTask,
  type TranslationModel,
  type TranslationLossOptions,
  type TranslationTaskOptions,
  type TextDecoderLike,
} from './translation-task.js';
export {
  ClassificationTask,
  type ClassificationModel,
  type ClassificationTaskOptions,
} from './classification-task.js';
