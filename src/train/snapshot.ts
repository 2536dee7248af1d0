/**
 * Everything needed to continue a training run exactly where it stopped, as plain data: the snapshot a
 * checkpoint holds. The trainer captures and restores it (`Trainer.snapshot()` / `Trainer.restore()`); a
 * `CheckpointStore` keeps it somewhere (`DirectoryCheckpoints` in `attn/node` writes it to disk).
 */
import type { OptimizerStateDict } from '../optim/optimizer.js';
import type { LRSchedulerState } from '../optim/schedules.js';
import type { GeneratorState } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** Where the trainer is in the run. */
export interface TrainerState {
  /** Optimiser updates made so far. */
  step: number;
  /** The epoch under way (0-based); equal to the number of epochs completed when `position` is 0. */
  epoch: number;
  /** Batches of `epoch` already trained on (the resumed run skips them). */
  position: number;
  /** The seed of the data order: epoch e's batches are drawn with `epochGenerator(seed, e)`. */
  seed: number;
  /** Best value so far of the early-stopping metric, or null before the first evaluation. */
  bestValue: number | null;
  /** The step at which `bestValue` was reached (0 if none). */
  bestStep: number;
  /** Evaluations since the last improvement (early stopping stops when it reaches the patience). */
  badEvaluations: number;
  /** The step of the last evaluation, or -1 (an evaluation is not repeated at the same step). */
  lastEvalStep: number;
  /** Whether early stopping ended the run (a resumed fit then returns at once). */
  earlyStopped: boolean;
  /** Seconds spent in fit() over the whole run, resumes included. */
  elapsedSeconds: number;
  /** Target tokens trained on over the whole run. */
  tokens: number;
}

/** The random generators' states. */
export interface RngSnapshot {
  /** The data-order generator of the epoch under way, after the batches already trained on were drawn. */
  data: GeneratorState;
  /** Named generators the model draws from (dropout), e.g. `{ default: defaultGenerator().getState() }`. */
  generators: Record<string, GeneratorState>;
}

/** A saved optimiser: its class name (checked on restore) and its state dict (PyTorch layout). */
export interface OptimizerSnapshot {
  name: string;
  state: OptimizerStateDict;
}

export interface TrainingSnapshot {
  /** The model's parameters by PyTorch name (copies). */
  weights: Map<string, Tensor>;
  /** The model configuration the caller gave (JSON), so that the model can be rebuilt before loading. */
  config: unknown;
  optimizer: OptimizerSnapshot;
  /** The learning-rate scheduler's state, or null when there is none. */
  scheduler: LRSchedulerState | null;
  rng: RngSnapshot;
  /** Tokenizers and vocabularies by name, as their `toJSON()` gave them. */
  tokenizers: Record<string, unknown>;
  trainer: TrainerState;
  /** Where the snapshot was read from (a checkpoint directory), for error messages; absent for a fresh one. */
  source?: string;
}

/** Keeps snapshots: `save` stores one (durably: a crash leaves the previous one loadable), `load` the latest. */
export interface CheckpointStore {
  /** Stores the snapshot; returns where (e.g. the checkpoint's directory). */
  save(snapshot: TrainingSnapshot): Promise<string>;
  /** The latest snapshot stored; an error naming the problem when there is none or it is unreadable. */
  load(): Promise<TrainingSnapshot>;
  /** Whether there is a snapshot to load (to resume a run when one exists, or start fresh). */
  exists(): Promise<boolean>;
}
