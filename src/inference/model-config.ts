/**
 * What an `attn` checkpoint's config.json holds (the `config` the trainer is given), and its check when read
 * back. With the tokenizers (tokenizers.json: `{ source, target }` for translation, `{ text }` for
 * classification) it is enough to rebuild the model before its weights are loaded:
 *
 * ```json
 * { "format": "attn-model", "version": 1, "task": "translate", "architecture": "gru-bahdanau",
 *   "model": { "embeddingDim": 32, "hiddenSize": 64, ... },
 *   "sourceEos": true, "maxDecodeLength": 20,
 *   "training": { ... how the run was trained, for resuming; not needed to load the model } }
 * ```
 *
 * Classification configs carry `labels` (label strings in class-id order) instead of sourceEos and
 * maxDecodeLength.
 */
import { architectureInfo, isArchitecture, validateConfig, type ModelConfig } from '../models/registry.js';
import { fail } from '../tensor/errors.js';
import type { Architecture, TaskKind } from './types.js';

export const MODEL_CONFIG_FORMAT = 'attn-model';
export const MODEL_CONFIG_VERSION = 1;

export interface ModelCheckpointConfig {
  format: typeof MODEL_CONFIG_FORMAT;
  version: typeof MODEL_CONFIG_VERSION;
  task: TaskKind;
  architecture: Architecture;
  /** The architecture's config (declared beside its model, see src/models/registry.ts), every key present. */
  model: ModelConfig;
  /** Translation: whether sources end with <eos> (as the model was trained). */
  sourceEos?: boolean;
  /** Translation: the default most tokens a translation may have. */
  maxDecodeLength?: number;
  /** Classification: the label strings by class id. */
  labels?: string[];
  /** How the model was trained (the `attn train` options); free-form, kept for resuming runs. */
  training?: Record<string, unknown>;
}

const OP = 'modelConfig';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a parsed config.json (`where` names the file in errors) and fills defaulted hyper-parameters. */
export function parseModelConfig(value: unknown, where: string): ModelCheckpointConfig {
  if (!isRecord(value) || value.format !== MODEL_CONFIG_FORMAT) {
    fail(
      OP,
      `${where} is not an attn model configuration (expected { "format": "${MODEL_CONFIG_FORMAT}", ... }); ` +
        'was this checkpoint written by attn train?',
    );
  }
  if (value.version !== MODEL_CONFIG_VERSION) {
    fail(
      OP,
      `${where} has version ${JSON.stringify(value.version)}; this attn reads ${MODEL_CONFIG_VERSION}`,
    );
  }
  if (!isArchitecture(value.architecture)) {
    architectureInfo(String(value.architecture), where);
  }
  const architecture = value.architecture as Architecture;
  const task = architectureInfo(architecture).task;
  if (value.task !== task) {
    fail(OP, `${where}: task ${JSON.stringify(value.task)} does not match ${architecture}, a ${task} model`);
  }
  if (!isRecord(value.model)) fail(OP, `${where}: model must be an object of hyper-parameters`);
  const model = validateConfig(architecture, value.model, where);
  const config: ModelCheckpointConfig = {
    format: MODEL_CONFIG_FORMAT,
    version: MODEL_CONFIG_VERSION,
    task,
    architecture,
    model,
  };
  if (task === 'translate') {
    if (value.sourceEos !== undefined && typeof value.sourceEos !== 'boolean')
      fail(OP, `${where}: sourceEos must be true or false`);
    config.sourceEos = value.sourceEos === true;
    if (value.maxDecodeLength !== undefined) {
      const m = value.maxDecodeLength;
      if (!(typeof m === 'number' && Number.isInteger(m) && m >= 1))
        fail(OP, `${where}: maxDecodeLength must be a positive integer, got ${JSON.stringify(m)}`);
      config.maxDecodeLength = m;
    }
  } else {
    const labels = value.labels;
    if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string'))
      fail(OP, `${where}: labels must be an array of at least 2 label strings`);
    if (new Set(labels).size !== labels.length) fail(OP, `${where}: labels repeat a label`);
    config.labels = [...(labels as string[])];
  }
  if (value.training !== undefined) {
    if (!isRecord(value.training)) fail(OP, `${where}: training must be an object`);
    config.training = value.training;
  }
  return config;
}
