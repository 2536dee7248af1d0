/**
 * A training snapshot as files, and back (browser-safe: bytes in, bytes out; `attn/node` puts them on disk).
 * One checkpoint is these files:
 *
 * ```
 * model.safetensors      the model's parameters, PyTorch names (Module.stateDict), float32; metadata {format: pt}
 * config.json            the model configuration the caller gave the trainer (null if none)
 * optimizer.safetensors  optimiser buffers as tensors `state.<param index>.<key>` (exp_avg, momentum_buffer, ...);
 *                        metadata: optimizer (class name), param_groups and the other state values (JSON)
 * scheduler.json         LRScheduler state { step, baseLrs }, or null
 * rng.json               { data: GeneratorState, generators: { <name>: GeneratorState } }
 * tokenizers.json        { <name>: what the tokenizer's / vocabulary's toJSON() gave }
 * trainer.json           TrainerState: step, epoch, position in the epoch, seed, early-stopping state, ...
 * ```
 *
 * Every number survives exactly: tensors are raw float32, and JSON numbers are doubles that JavaScript prints
 * and reads back without loss. Decoding checks every file and names the one at fault.
 */
import type { OptimizerStateDict, ParamStateEntry } from '../optim/optimizer.js';
import type { LRSchedulerState } from '../optim/schedules.js';
import { jsonNestingDepth } from '../io/json-depth.js';
import { parseSafetensors, serializeSafetensors } from '../io/safetensors.js';
import { AttnError, fail } from '../tensor/errors.js';
import type { GeneratorState } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { OptimizerSnapshot, RngSnapshot, TrainerState, TrainingSnapshot } from './snapshot.js';

/** The files of a checkpoint, by part. */
export const CHECKPOINT_FILES = {
  model: 'model.safetensors',
  config: 'config.json',
  optimizer: 'optimizer.safetensors',
  scheduler: 'scheduler.json',
  rng: 'rng.json',
  tokenizers: 'tokenizers.json',
  trainer: 'trainer.json',
} as const;

const OP = 'loadCheckpoint';

/** The deepest JSON a checkpoint file needs is a few levels; far deeper nesting is a crafted file. */
const MAX_JSON_DEPTH = 64;

export interface DecodeCheckpointOptions {
  /**
   * Weights that are NaN or infinite: `'error'` (the default) refuses the checkpoint naming the first such
   * tensor; `'warn'` loads it and calls `onWarning` with the same message.
   */
  nonFinite?: 'error' | 'warn';
  /** Hears the warnings of `nonFinite: 'warn'`. */
  onWarning?: (message: string) => void;
}

/** The snapshot as file name → bytes (see the module comment for the layout). */
export function encodeCheckpoint(snapshot: TrainingSnapshot): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  files.set(CHECKPOINT_FILES.model, serializeSafetensors(snapshot.weights, { format: 'pt' }));
  files.set(CHECKPOINT_FILES.config, jsonBytes(snapshot.config ?? null));
  files.set(CHECKPOINT_FILES.optimizer, encodeOptimizer(snapshot.optimizer));
  files.set(CHECKPOINT_FILES.scheduler, jsonBytes(snapshot.scheduler));
  files.set(CHECKPOINT_FILES.rng, jsonBytes(snapshot.rng));
  files.set(CHECKPOINT_FILES.tokenizers, jsonBytes(snapshot.tokenizers));
  files.set(CHECKPOINT_FILES.trainer, jsonBytes(snapshot.trainer));
  return files;
}

/**
 * Reads the files of a checkpoint back into a snapshot. `read(name)` gives a file's bytes (or undefined when
 * it is missing); `where` (the checkpoint's directory) prefixes file names in errors and becomes the snapshot's
 * `source`.
 */
export function decodeCheckpoint(
  read: (name: string) => Uint8Array | undefined,
  where: string,
  options: DecodeCheckpointOptions = {},
): TrainingSnapshot {
  const path = (name: string): string => `${where}/${name}`;
  const bytesOf = (name: string): Uint8Array => {
    const bytes = read(name);
    if (bytes === undefined) fail(OP, `${path(name)} is missing`);
    return bytes;
  };
  const json = (name: string): unknown => parseCheckpointJson(bytesOf(name), path(name));

  const weights = decodeWeights(bytesOf(CHECKPOINT_FILES.model), path(CHECKPOINT_FILES.model), options);
  const config = json(CHECKPOINT_FILES.config);
  const optimizer = decodeOptimizer(bytesOf(CHECKPOINT_FILES.optimizer), path(CHECKPOINT_FILES.optimizer));
  const scheduler = checkScheduler(json(CHECKPOINT_FILES.scheduler), path(CHECKPOINT_FILES.scheduler));
  const rng = checkRng(json(CHECKPOINT_FILES.rng), path(CHECKPOINT_FILES.rng));
  const tokenizers = json(CHECKPOINT_FILES.tokenizers);
  if (!isRecord(tokenizers))
    fail(OP, `${path(CHECKPOINT_FILES.tokenizers)}: expected an object of tokenizers`);
  const trainer = checkTrainerState(json(CHECKPOINT_FILES.trainer), path(CHECKPOINT_FILES.trainer));
  return { weights, config, optimizer, scheduler, rng, tokenizers, trainer, source: where };
}

/**
 * The three files of a checkpoint that a predictor needs (model.safetensors, config.json, tokenizers.json), read
 * as decodeCheckpoint reads them: a page loading a model fetches or is given only these.
 */
export function decodeModelFiles(
  read: (name: string) => Uint8Array | undefined,
  where: string,
  options: DecodeCheckpointOptions = {},
): { weights: Map<string, Tensor>; config: unknown; tokenizers: Record<string, unknown>; source: string } {
  const path = (name: string): string => `${where}/${name}`;
  const bytesOf = (name: string): Uint8Array => {
    const bytes = read(name);
    if (bytes === undefined) fail(OP, `${path(name)} is missing`);
    return bytes;
  };
  const weights = decodeWeights(bytesOf(CHECKPOINT_FILES.model), path(CHECKPOINT_FILES.model), options);
  const config = parseCheckpointJson(bytesOf(CHECKPOINT_FILES.config), path(CHECKPOINT_FILES.config));
  const tokenizers = parseCheckpointJson(
    bytesOf(CHECKPOINT_FILES.tokenizers),
    path(CHECKPOINT_FILES.tokenizers),
  );
  if (!isRecord(tokenizers))
    fail(OP, `${path(CHECKPOINT_FILES.tokenizers)}: expected an object of tokenizers`);
  return { weights, config, tokenizers, source: where };
}

function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 1)}\n`);
}

/** A checkpoint's JSON file parsed, its nesting checked first; errors name `path`. */
export function parseCheckpointJson(bytes: Uint8Array, path: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fail(OP, `${path} is not UTF-8 text (the file is corrupt)`);
  }
  const depth = jsonNestingDepth(text);
  if (depth > MAX_JSON_DEPTH) {
    fail(
      OP,
      `${path} is nested ${depth} levels deep, more than the ${MAX_JSON_DEPTH} an attn checkpoint uses`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    fail(OP, `${path} is not valid JSON (the file is corrupt or truncated): ${(err as Error).message}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Runs a safetensors decode, turning its errors into ones that start with loadCheckpoint and name the file. */
function parseTensors(bytes: Uint8Array, path: string): ReturnType<typeof parseSafetensors> {
  try {
    return parseSafetensors(bytes, path);
  } catch (err) {
    if (err instanceof AttnError) fail(OP, `${path} is corrupt: ${err.message}`);
    throw err;
  }
}

function decodeWeights(
  bytes: Uint8Array,
  path: string,
  options: DecodeCheckpointOptions,
): Map<string, Tensor> {
  const { tensors } = parseTensors(bytes, path);
  for (const [name, t] of tensors) {
    if (t.dtype !== 'float32') fail(OP, `${path}: parameter ${name} is ${t.dtype}, expected float32`);
    const bad = firstNonFinite(t.data as Float32Array);
    if (bad >= 0) {
      const message =
        `${path}: parameter ${name} holds a non-finite value (${t.data[bad]} at flat index ${bad}); ` +
        'the model it came from diverged or the file is corrupt';
      if (options.nonFinite === 'warn') options.onWarning?.(message);
      else fail(OP, `${message} (load it anyway with nonFinite: 'warn', or --allow-non-finite)`);
    }
  }
  return tensors;
}

/** The index of the first NaN or ±Infinity in `data`, or -1. (x - x is 0 for finite x and NaN otherwise.) */
function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) {
    if (data[i]! - data[i]! !== 0) return i;
  }
  return -1;
}

function encodeOptimizer(optimizer: OptimizerSnapshot): Uint8Array {
  const tensors = new Map<string, Tensor>();
  const values: Record<string, Record<string, unknown>> = {};
  for (const [index, entry] of Object.entries(optimizer.state.state)) {
    const plain: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (value instanceof Float32Array)
        tensors.set(`state.${index}.${key}`, new Tensor(value, [value.length]));
      else plain[key] = value;
    }
    values[index] = plain;
  }
  return serializeSafetensors(tensors, {
    optimizer: optimizer.name,
    param_groups: JSON.stringify(optimizer.state.param_groups),
    state: JSON.stringify(values),
  });
}

function decodeOptimizer(bytes: Uint8Array, path: string): OptimizerSnapshot {
  const { tensors, metadata } = parseTensors(bytes, path);
  const field = (key: string): unknown => {
    const text = metadata[key];
    if (typeof text !== 'string') fail(OP, `${path}: metadata has no '${key}'`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      fail(OP, `${path}: metadata '${key}' is not valid JSON`);
    }
  };
  const name = metadata.optimizer;
  if (typeof name !== 'string' || name === '') fail(OP, `${path}: metadata has no 'optimizer' name`);
  const groups = field('param_groups');
  if (!Array.isArray(groups) || !groups.every((g) => isRecord(g) && Array.isArray(g.params))) {
    fail(OP, `${path}: param_groups must be a list of groups with params`);
  }
  const plain = field('state');
  if (!isRecord(plain) || !Object.values(plain).every(isRecord)) {
    fail(OP, `${path}: state must be an object of per-parameter objects`);
  }
  const state: Record<number, ParamStateEntry> = {};
  for (const [index, entry] of Object.entries(plain)) {
    state[Number(index)] = { ...(entry as Record<string, unknown>) } as ParamStateEntry;
  }
  for (const [key, t] of tensors) {
    const m = /^state\.(\d+)\.(.+)$/.exec(key);
    if (!m || t.dtype !== 'float32' || t.ndim !== 1) {
      fail(
        OP,
        `${path}: unexpected tensor '${key}' (${t.dtype}); expected float32 state.<index>.<key> vectors`,
      );
    }
    const index = Number(m[1]);
    (state[index] ??= {})[m[2]!] = t.data as Float32Array;
  }
  return { name, state: { state, param_groups: groups as OptimizerStateDict['param_groups'] } };
}

function checkScheduler(value: unknown, path: string): LRSchedulerState | null {
  if (value === null) return null;
  if (
    !isRecord(value) ||
    !Number.isInteger(value.step) ||
    !Array.isArray(value.baseLrs) ||
    !value.baseLrs.every((v) => typeof v === 'number')
  ) {
    fail(OP, `${path}: expected null or { step: integer, baseLrs: number[] }`);
  }
  return value as unknown as LRSchedulerState;
}

function isGeneratorState(value: unknown): value is GeneratorState {
  return (
    isRecord(value) &&
    Array.isArray(value.words) &&
    value.words.length === 4 &&
    value.words.every((w) => Number.isInteger(w) && (w as number) >= 0 && (w as number) < 2 ** 32) &&
    (value.spareNormal === null || typeof value.spareNormal === 'number')
  );
}

function checkRng(value: unknown, path: string): RngSnapshot {
  if (!isRecord(value) || !isGeneratorState(value.data)) {
    fail(OP, `${path}: expected { data: generator state, generators: { name: generator state } }`);
  }
  const generators = value.generators;
  if (!isRecord(generators)) fail(OP, `${path}: generators must be an object of generator states`);
  for (const [name, state] of Object.entries(generators)) {
    if (!isGeneratorState(state)) {
      fail(OP, `${path}: generator '${name}' is not a generator state ({ words: 4 uint32, spareNormal })`);
    }
  }
  return value as unknown as RngSnapshot;
}

const COUNTERS = ['step', 'epoch', 'position', 'seed', 'bestStep', 'badEvaluations', 'lastEvalStep'] as const;

function checkTrainerState(value: unknown, path: string): TrainerState {
  if (!isRecord(value)) fail(OP, `${path}: expected the trainer state object`);
  for (const key of COUNTERS) {
    const v = value[key];
    const ok =
      key === 'seed'
        ? Number.isSafeInteger(v)
        : Number.isInteger(v) && (v as number) >= (key === 'lastEvalStep' ? -1 : 0);
    if (!ok) fail(OP, `${path}: ${key} must be an integer${key === 'seed' ? '' : ' >= 0'}, got ${String(v)}`);
  }
  if (value.bestValue !== null && typeof value.bestValue !== 'number') {
    fail(OP, `${path}: bestValue must be a number or null`);
  }
  if (typeof value.earlyStopped !== 'boolean') fail(OP, `${path}: earlyStopped must be true or false`);
  for (const key of ['elapsedSeconds', 'tokens'] as const) {
    if (typeof value[key] !== 'number' || !((value[key] as number) >= 0)) {
      fail(OP, `${path}: ${key} must be a number >= 0`);
    }
  }
  return value as unknown as TrainerState;
}
