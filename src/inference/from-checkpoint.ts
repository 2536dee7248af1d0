/**
 * A predictor from the parts of a checkpoint (browser-safe: the snapshot may come from files on disk, via
 * `loadPredictor` in `./node/`, or from bytes fetched by a web page and read with `decodeCheckpoint`). Every
 * problem is an error naming the checkpoint file at fault: config.json (not an attn model, unknown
 * architecture, bad hyper-parameters), tokenizers.json (missing or unreadable tokenizers), model.safetensors
 * (weights that do not fit the configured model).
 */
import { tokenizerFromJSON } from '../data/load-tokenizer.js';
import { AttnError, fail } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { CHECKPOINT_FILES } from '../train/checkpoint-codec.js';
import { parseModelConfig, type ModelCheckpointConfig } from './model-config.js';
import { createPredictor, type BatchPredictor, type PredictorTokenizers } from './predictor.js';
import { estimateModelBytes, estimateParameterCount, formatBytes } from '../models/memory-estimate.js';
import { buildModel, type BuiltModel, type ModelSizes } from '../models/registry.js';

const OP = 'loadPredictor';

/** What a predictor needs of a checkpoint (a `TrainingSnapshot` has it). */
export interface CheckpointParts {
  weights: Map<string, Tensor>;
  config: unknown;
  tokenizers: Record<string, unknown>;
  /** The checkpoint's directory, prefixed to file names in errors. */
  source?: string;
}

function file(parts: Pick<CheckpointParts, 'source'>, name: string): string {
  return parts.source ? `${parts.source}/${name}` : name;
}

/** The checkpoint's model configuration, checked. */
export function checkpointConfig(parts: Pick<CheckpointParts, 'config' | 'source'>): ModelCheckpointConfig {
  return parseModelConfig(parts.config, file(parts, CHECKPOINT_FILES.config));
}

/** The tokenizers the configuration's task needs, read back from tokenizers.json. */
export function checkpointTokenizers(
  parts: Pick<CheckpointParts, 'tokenizers' | 'source'>,
  config: ModelCheckpointConfig,
): PredictorTokenizers {
  const where = file(parts, CHECKPOINT_FILES.tokenizers);
  const read = (key: string) => {
    const json = parts.tokenizers[key];
    if (json === undefined) {
      fail(
        OP,
        `${where} has no '${key}' tokenizer, which a ${config.task} model needs (it has ${Object.keys(parts.tokenizers).join(', ') || 'none'})`,
      );
    }
    try {
      return tokenizerFromJSON(json);
    } catch (err) {
      if (err instanceof AttnError) fail(OP, `${where}: tokenizer '${key}': ${err.message}`);
      throw err;
    }
  };
  return config.task === 'translate'
    ? { source: read('source'), target: read('target') }
    : { text: read('text') };
}

/** Builds the configured model for its tokenizers and loads the checkpoint's weights into it. */
export function checkpointModel(
  parts: CheckpointParts,
  config: ModelCheckpointConfig,
  tokenizers: PredictorTokenizers,
): BuiltModel {
  const sizes =
    'source' in tokenizers
      ? {
          srcVocabSize: tokenizers.source.vocabulary.size,
          tgtVocabSize: tokenizers.target.vocabulary.size,
        }
      : { vocabSize: tokenizers.text.vocabulary.size, numClasses: config.labels!.length };
  checkModelSize(parts, config, sizes);
  let built: BuiltModel;
  try {
    built = buildModel(config.architecture, config.model, sizes);
  } catch (err) {
    if (err instanceof AttnError) fail(OP, `${file(parts, CHECKPOINT_FILES.config)}: ${err.message}`);
    throw err;
  }
  try {
    built.model.loadStateDict(parts.weights);
  } catch (err) {
    if (err instanceof AttnError) {
      fail(
        OP,
        `${file(parts, CHECKPOINT_FILES.model)} does not fit the ${config.architecture} model that config.json and ` +
          `tokenizers.json describe: ${err.message}`,
      );
    }
    throw err;
  }
  built.model.eval();
  return built;
}

/** Parameters a model may exceed twice its stored weights by: tiny models pass whatever small terms the estimate rounds. */
const SIZE_CHECK_SLACK = 1_000_000;

/**
 * Refuses, before the model is allocated, a config.json that describes a model far larger than the weights
 * model.safetensors holds: the estimate is at least the real parameter count and at most 1.5 times it (see
 * memory-estimate.ts), so a model needing more than twice the stored weights cannot load them, and building
 * it would only spend memory (a crafted config can ask for tens of GB).
 */
function checkModelSize(parts: CheckpointParts, config: ModelCheckpointConfig, sizes: ModelSizes): void {
  let stored = 0;
  for (const tensor of parts.weights.values()) stored += tensor.size;
  const estimate = estimateParameterCount(config.architecture, config.model, sizes);
  if (estimate > 2 * stored + SIZE_CHECK_SLACK) {
    fail(
      OP,
      `${file(parts, CHECKPOINT_FILES.config)} and ${file(parts, CHECKPOINT_FILES.tokenizers)} describe a ` +
        `${config.architecture} model of about ${estimate} parameters (${formatBytes(estimateModelBytes(estimate, 'inference'))}), ` +
        `but ${file(parts, CHECKPOINT_FILES.model)} holds ${stored}; refusing to build it`,
    );
  }
}

/** A predictor from a checkpoint's parts (see the file comment for the errors). */
export function predictorFromCheckpoint(parts: CheckpointParts): BatchPredictor {
  const config = checkpointConfig(parts);
  const tokenizers = checkpointTokenizers(parts, config);
  const model = checkpointModel(parts, config, tokenizers);
  return createPredictor({ model, config, tokenizers, name: parts.source });
}
