/**
 * The model registry (browser-safe): for each architecture the `attn` command trains, its task, its
 * hyper-parameters (names as in the model's options, with defaults and ranges) and how to build it. A
 * checkpoint's config.json names the architecture and holds the hyper-parameters, so the same model is rebuilt
 * before its weights are loaded; everything read from a file is checked here, with errors naming the file.
 *
 * ```
 * gru-bahdanau     GRU encoder + Bahdanau (additive) attention decoder      BahdanauSeq2Seq
 * gru-luong        GRU encoder + Luong (dot/general/concat) decoder         LuongSeq2Seq
 * transformer      Transformer encoder–decoder                             TransformerSeq2Seq
 * bigru-attention  BiGRU encoder + attention pooling classifier            AttentionClassifier (bigru)
 * transformer-cls  Transformer encoder + attention pooling classifier      AttentionClassifier (transformer)
 * ```
 */
import { AttentionClassifier } from '../models/classifier/classifier.js';
import { fail } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import {
  BahdanauTranslator,
  LuongTranslator,
  TransformerTranslator,
  type Translator,
} from './translators.js';
import type { Architecture, TaskKind } from './types.js';

export type HyperParameterValue = number | boolean | string;

/** One hyper-parameter of an architecture: its key in the model's options, kind, range and default. */
export interface HyperParameterSpec {
  key: string;
  kind: 'int' | 'float' | 'boolean' | 'choice';
  default: HyperParameterValue;
  /** Inclusive bounds of a number. */
  min?: number;
  max?: number;
  /** Values of a choice. */
  choices?: readonly string[];
  help: string;
}

export interface ArchitectureSpec {
  architecture: Architecture;
  task: TaskKind;
  summary: string;
  hyperParameters: readonly HyperParameterSpec[];
}

/** A built model with what its users need to know about it. */
export type BuiltModel =
  | {
      task: 'translate';
      model: Translator;
      /** Layers and heads of the cross-attention the decoder returns per step. */
      attentionLayers: number;
      attentionHeads: number;
      /** Longest source and target the model takes (Infinity for RNNs). */
      maxLength: number;
    }
  | {
      task: 'classify';
      model: AttentionClassifier;
      attentionLayers: 1;
      attentionHeads: 1;
      maxLength: number;
    };

/** Vocabulary sizes the model is built for (from its tokenizers) and, for classifiers, the number of classes. */
export interface ModelSizes {
  sourceVocabSize?: number;
  targetVocabSize?: number;
  vocabSize?: number;
  numClasses?: number;
}

const int = (key: string, def: number, min: number, max: number, help: string): HyperParameterSpec => ({
  key,
  kind: 'int',
  default: def,
  min,
  max,
  help,
});
const dropout: HyperParameterSpec = {
  key: 'dropout',
  kind: 'float',
  default: 0.1,
  min: 0,
  max: 0.9,
  help: 'dropout probability while training',
};

const RNN_SEQ2SEQ: HyperParameterSpec[] = [
  int('embeddingDim', 128, 1, 4096, 'width of the source and target embeddings'),
  int('hiddenSize', 256, 1, 4096, 'hidden size of the encoder (each direction) and the decoder'),
  int('numLayers', 1, 1, 8, 'recurrent layers of encoder and decoder'),
  { key: 'bidirectional', kind: 'boolean', default: false, help: 'a bidirectional encoder' },
  dropout,
];

const SPECS: Record<Architecture, ArchitectureSpec> = {
  'gru-bahdanau': {
    architecture: 'gru-bahdanau',
    task: 'translate',
    summary: 'GRU encoder + Bahdanau (additive) attention decoder',
    hyperParameters: [
      ...RNN_SEQ2SEQ,
      int('attentionUnits', 0, 0, 4096, 'width of the additive scorer (0: the hidden size)'),
    ],
  },
  'gru-luong': {
    architecture: 'gru-luong',
    task: 'translate',
    summary: 'GRU encoder + Luong attention decoder (input feeding)',
    hyperParameters: [
      ...RNN_SEQ2SEQ,
      {
        key: 'score',
        kind: 'choice',
        default: 'general',
        choices: ['dot', 'general', 'concat'],
        help: 'Luong score',
      },
      { key: 'inputFeeding', kind: 'boolean', default: true, help: 'feed the attentional state back in' },
    ],
  },
  transformer: {
    architecture: 'transformer',
    task: 'translate',
    summary: 'Transformer encoder–decoder',
    hyperParameters: [
      int('dModel', 256, 1, 4096, 'model width'),
      int('nhead', 4, 1, 64, 'attention heads (must divide dModel)'),
      int('numEncoderLayers', 3, 1, 24, 'encoder layers'),
      int('numDecoderLayers', 3, 1, 24, 'decoder layers'),
      int('dimFeedforward', 1024, 1, 16384, 'feed-forward hidden size'),
      dropout,
      { key: 'normFirst', kind: 'boolean', default: true, help: 'pre-norm layers (false: post-norm)' },
      int('maxLen', 256, 1, 8192, 'longest source or target sequence'),
    ],
  },
  'bigru-attention': {
    architecture: 'bigru-attention',
    task: 'classify',
    summary: 'BiGRU encoder + attention pooling classifier',
    hyperParameters: [
      int('embedDim', 128, 1, 4096, 'embedding width'),
      int('hiddenSize', 128, 1, 4096, 'GRU hidden size per direction'),
      int('numLayers', 1, 1, 8, 'GRU layers'),
      int('attentionUnits', 0, 0, 4096, 'width of the pooling attention (0: the encoder output size)'),
      { ...dropout, default: 0.3 },
    ],
  },
  'transformer-cls': {
    architecture: 'transformer-cls',
    task: 'classify',
    summary: 'Transformer encoder + attention pooling classifier',
    hyperParameters: [
      int('embedDim', 128, 1, 4096, 'model width'),
      int('nhead', 4, 1, 64, 'attention heads (must divide embedDim)'),
      int('numLayers', 2, 1, 24, 'encoder layers'),
      int('dimFeedforward', 512, 1, 16384, 'feed-forward hidden size'),
      int('attentionUnits', 0, 0, 4096, 'width of the pooling attention (0: the model width)'),
      dropout,
      int('maxLen', 512, 1, 8192, 'longest input sequence'),
    ],
  },
};

/** Every architecture, in the order the command lists them. */
export const ARCHITECTURES: readonly Architecture[] = Object.freeze(Object.keys(SPECS) as Architecture[]);

export function isArchitecture(name: unknown): name is Architecture {
  return typeof name === 'string' && Object.hasOwn(SPECS, name);
}

/** The spec of an architecture; an unknown name is an error listing the known ones. */
export function architectureSpec(name: string, where = 'architecture'): ArchitectureSpec {
  if (!isArchitecture(name)) {
    fail(
      'architectureSpec',
      `${where}: unknown architecture ${JSON.stringify(name)} (known: ${ARCHITECTURES.join(', ')})`,
    );
  }
  return SPECS[name];
}

/** The architectures of a task. */
export function architecturesOf(task: TaskKind): Architecture[] {
  return ARCHITECTURES.filter((a) => SPECS[a].task === task);
}

function checkValue(spec: HyperParameterSpec, value: unknown, where: string): HyperParameterValue {
  const bad = (expected: string): never =>
    fail('resolveModelConfig', `${where}: ${spec.key} must be ${expected}, got ${JSON.stringify(value)}`);
  switch (spec.kind) {
    case 'boolean':
      if (typeof value !== 'boolean') bad('true or false');
      return value as boolean;
    case 'choice':
      if (typeof value !== 'string' || !spec.choices!.includes(value))
        bad(`one of ${spec.choices!.join(', ')}`);
      return value as string;
    case 'int':
    case 'float': {
      const range = `in [${spec.min}, ${spec.max}]`;
      if (typeof value !== 'number' || !Number.isFinite(value)) bad(`a number ${range}`);
      const v = value as number;
      if (spec.kind === 'int' && !Number.isInteger(v)) bad(`an integer ${range}`);
      if (v < spec.min! || v > spec.max!) bad(`${spec.kind === 'int' ? 'an integer' : 'a number'} ${range}`);
      return v;
    }
  }
}

/**
 * The architecture's full hyper-parameters: `given` checked (unknown keys and out-of-range values are errors
 * naming `where`, e.g. a config file) with defaults for the rest.
 */
export function resolveModelConfig(
  architecture: Architecture,
  given: Record<string, unknown>,
  where = 'model',
): Record<string, HyperParameterValue> {
  const spec = architectureSpec(architecture, where);
  const known = new Set(spec.hyperParameters.map((h) => h.key));
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      fail(
        'resolveModelConfig',
        `${where}: ${architecture} has no hyper-parameter ${JSON.stringify(key)} (it has ${[...known].join(', ')})`,
      );
    }
  }
  const out: Record<string, HyperParameterValue> = {};
  for (const h of spec.hyperParameters) {
    out[h.key] = given[h.key] === undefined ? h.default : checkValue(h, given[h.key], where);
  }
  const width = (out.dModel ?? out.embedDim) as number | undefined;
  if (out.nhead !== undefined && width !== undefined && width % (out.nhead as number) !== 0) {
    fail(
      'resolveModelConfig',
      `${where}: nhead ${out.nhead} must divide the model width ${width} (${out.dModel !== undefined ? 'dModel' : 'embedDim'})`,
    );
  }
  if (out.score === 'dot' && out.bidirectional === true) {
    fail(
      'resolveModelConfig',
      `${where}: the dot score needs a unidirectional encoder (bidirectional false)`,
    );
  }
  return out;
}

function size(name: keyof ModelSizes, sizes: ModelSizes): number {
  const v = sizes[name];
  if (!(Number.isInteger(v) && (v as number) >= 1))
    fail('buildModel', `${name} must be a positive integer, got ${String(v)}`);
  return v as number;
}

/**
 * Builds an architecture from resolved hyper-parameters (see resolveModelConfig) and the sizes its tokenizers
 * and labels give. `generator` draws the initial weights and, while training, dropout.
 */
export function buildModel(
  architecture: Architecture,
  hyper: Record<string, HyperParameterValue>,
  sizes: ModelSizes,
  generator?: Generator,
): BuiltModel {
  const h = resolveModelConfig(architecture, hyper);
  const num = (key: string): number => h[key] as number;
  const optional = (key: string): number | undefined => (num(key) > 0 ? num(key) : undefined);
  switch (architecture) {
    case 'gru-bahdanau':
    case 'gru-luong': {
      const common = {
        srcVocabSize: size('sourceVocabSize', sizes),
        tgtVocabSize: size('targetVocabSize', sizes),
        embeddingDim: num('embeddingDim'),
        hiddenSize: num('hiddenSize'),
        numLayers: num('numLayers'),
        bidirectional: h.bidirectional as boolean,
        dropout: num('dropout'),
        cell: 'gru' as const,
        padId: 0,
        generator,
      };
      const model =
        architecture === 'gru-bahdanau'
          ? new BahdanauTranslator({ ...common, attentionUnits: optional('attentionUnits') })
          : new LuongTranslator({
              ...common,
              score: h.score as 'dot' | 'general' | 'concat',
              inputFeeding: h.inputFeeding as boolean,
            });
      return { task: 'translate', model, attentionLayers: 1, attentionHeads: 1, maxLength: Infinity };
    }
    case 'transformer': {
      const model = new TransformerTranslator({
        srcVocabSize: size('sourceVocabSize', sizes),
        tgtVocabSize: size('targetVocabSize', sizes),
        dModel: num('dModel'),
        nhead: num('nhead'),
        numEncoderLayers: num('numEncoderLayers'),
        numDecoderLayers: num('numDecoderLayers'),
        dimFeedforward: num('dimFeedforward'),
        dropout: num('dropout'),
        normFirst: h.normFirst as boolean,
        maxLen: num('maxLen'),
        padId: 0,
        generator,
      });
      return {
        task: 'translate',
        model,
        attentionLayers: num('numDecoderLayers'),
        attentionHeads: num('nhead'),
        maxLength: num('maxLen'),
      };
    }
    case 'bigru-attention':
    case 'transformer-cls': {
      const transformer = architecture === 'transformer-cls';
      const model = new AttentionClassifier({
        vocabSize: size('vocabSize', sizes),
        numClasses: size('numClasses', sizes),
        embedDim: num('embedDim'),
        encoder: transformer ? 'transformer' : 'bigru',
        hiddenSize: transformer ? undefined : num('hiddenSize'),
        numLayers: num('numLayers'),
        nhead: transformer ? num('nhead') : undefined,
        dimFeedforward: transformer ? num('dimFeedforward') : undefined,
        maxLen: transformer ? num('maxLen') : undefined,
        attentionUnits: optional('attentionUnits'),
        dropout: num('dropout'),
        padId: 0,
        generator,
      });
      return {
        task: 'classify',
        model,
        attentionLayers: 1,
        attentionHeads: 1,
        maxLength: transformer ? num('maxLen') : Infinity,
      };
    }
  }
}
