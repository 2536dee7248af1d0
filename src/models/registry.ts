/**
 * The model registry (browser-safe): the architectures the `attn` command trains and loads, each with its task,
 * its configuration (declared beside its model: seq2seq/config.ts, transformer-seq2seq/config.ts,
 * classifier/config.ts) and how to build it. A checkpoint's config.json names the architecture and holds the
 * config, so the same model is rebuilt before its weights are loaded; `validateConfig` checks whatever is read
 * from a file or the command line, with errors naming where it came from.
 *
 * ```
 * gru-bahdanau     GRU encoder + Bahdanau (additive) attention decoder      BahdanauSeq2Seq
 * gru-luong        GRU encoder + Luong (dot/general/concat) decoder         LuongSeq2Seq
 * transformer      Transformer encoder–decoder                             TransformerSeq2Seq
 * bigru-attention  BiGRU encoder + attention pooling classifier            AttentionClassifier (bigru)
 * transformer-cls  Transformer encoder + attention pooling classifier      AttentionClassifier (transformer)
 * ```
 */
import type { PaddingLike } from '../attention/padding.js';
import type { DecoderStepper } from '../decode/stepper.js';
import type { Module } from '../nn/module.js';
import { fail } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { AttentionClassifier, type AttentionClassifierOptions } from './classifier/classifier.js';
import {
  BIGRU_ATTENTION_CONFIG,
  TRANSFORMER_CLS_CONFIG,
  type BigruAttentionConfig,
  type TransformerClsConfig,
} from './classifier/config.js';
import { checkFields, type ConfigOf, type ConfigSpec, type ConfigValue } from './config.js';
import { checkNormalizerConfig } from './normalizer-config.js';
import { BahdanauSeq2Seq } from './seq2seq/bahdanau-seq2seq.js';
import {
  checkGruLuong,
  checkRnnSeq2Seq,
  GRU_BAHDANAU_CONFIG,
  GRU_LUONG_CONFIG,
  type GruBahdanauConfig,
  type GruLuongConfig,
} from './seq2seq/config.js';
import { LuongSeq2Seq } from './seq2seq/luong-seq2seq.js';
import {
  checkHeads,
  checkPositions,
  TRANSFORMER_CONFIG,
  type TransformerConfig,
} from './transformer-seq2seq/config.js';
import { TransformerSeq2Seq } from './transformer-seq2seq/model.js';

export type TaskKind = 'translate' | 'classify';

/**
 * A translation model as the registry builds it (BahdanauSeq2Seq, LuongSeq2Seq or TransformerSeq2Seq), seen
 * through what they share: loss(src, srcPadding, tgtIn, tgtOut, { labelSmoothing }) and stepper(src, srcPadding).
 */
export interface TranslationNetwork extends Module {
  loss(
    src: Tensor,
    srcPadding: PaddingLike,
    tgtIn: Tensor,
    tgtOut: Tensor,
    options?: { labelSmoothing?: number; skipPadding?: boolean },
  ): { loss: Tensor; logits: Tensor };
  stepper(src: Tensor, srcPadding: PaddingLike): DecoderStepper<unknown>;
}

/** A built model with what its users need to know about it. */
export type BuiltModel =
  | {
      task: 'translate';
      model: TranslationNetwork;
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
  srcVocabSize?: number;
  tgtVocabSize?: number;
  vocabSize?: number;
  numClasses?: number;
}

/** The padding id of every `attn` vocabulary (see data/vocabulary.ts). */
const PAD_ID = 0;

interface ArchitectureEntry<S extends ConfigSpec> {
  task: TaskKind;
  summary: string;
  config: S;
  /** Config keys of checkpoints written before the names were unified, and their names now. */
  formerKeys?: Readonly<Record<string, keyof S & string>>;
  /** A check across fields: null, or what is wrong. */
  check?: (config: ConfigOf<S>) => string | null;
  build(config: ConfigOf<S>, sizes: ModelSizes, generator: Generator | undefined): BuiltModel;
}

const entry = <S extends ConfigSpec>(e: ArchitectureEntry<S>): ArchitectureEntry<S> => e;

function size(name: keyof ModelSizes, sizes: ModelSizes): number {
  const v = sizes[name];
  if (!(Number.isInteger(v) && (v as number) >= 1))
    fail('buildModel', `${name} must be a positive integer, got ${String(v)}`);
  return v as number;
}

/** 0 means "the model's default" for the attention widths. */
const unlessZero = (n: number): number | undefined => (n > 0 ? n : undefined);

function rnnSeq2Seq(c: GruBahdanauConfig | GruLuongConfig, sizes: ModelSizes, generator?: Generator) {
  return {
    srcVocabSize: size('srcVocabSize', sizes),
    tgtVocabSize: size('tgtVocabSize', sizes),
    embeddingDim: c.embeddingDim,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    bidirectional: c.bidirectional,
    dropout: c.dropout,
    normalizer: c.normalizer,
    ...(c.normalizer === 'entmax' ? { entmaxAlpha: c.entmaxAlpha } : {}),
    cell: 'gru' as const,
    padId: PAD_ID,
    generator,
  };
}

/** An RNN translation model as built: one attention layer with one head, and no length limit. */
function builtRnnTranslator(model: BahdanauSeq2Seq | LuongSeq2Seq): BuiltModel {
  return { task: 'translate', model, attentionLayers: 1, attentionHeads: 1, maxLength: Infinity };
}

/**
 * A classifier as built: its vocabulary and class counts from `sizes`, the `attn` padding id, and one
 * attention-pooling layer with one head.
 */
function builtClassifier(
  options: Omit<AttentionClassifierOptions, 'vocabSize' | 'numClasses' | 'padId' | 'generator'>,
  sizes: ModelSizes,
  generator: Generator | undefined,
  maxLength: number,
): BuiltModel {
  const model = new AttentionClassifier({
    vocabSize: size('vocabSize', sizes),
    numClasses: size('numClasses', sizes),
    ...options,
    padId: PAD_ID,
    generator,
  });
  return { task: 'classify', model, attentionLayers: 1, attentionHeads: 1, maxLength };
}

const REGISTRY = {
  'gru-bahdanau': entry({
    task: 'translate',
    summary: 'GRU encoder + Bahdanau (additive) attention decoder',
    config: GRU_BAHDANAU_CONFIG,
    check: checkRnnSeq2Seq,
    build: (c, sizes, generator) =>
      builtRnnTranslator(
        new BahdanauSeq2Seq({
          ...rnnSeq2Seq(c, sizes, generator),
          attentionUnits: unlessZero(c.attentionUnits),
        }),
      ),
  }),
  'gru-luong': entry({
    task: 'translate',
    summary: 'GRU encoder + Luong attention decoder (input feeding)',
    config: GRU_LUONG_CONFIG,
    check: checkGruLuong,
    build: (c, sizes, generator) =>
      builtRnnTranslator(
        new LuongSeq2Seq({
          ...rnnSeq2Seq(c, sizes, generator),
          score: c.score,
          inputFeeding: c.inputFeeding,
          ...(c.score === 'location' ? { maxSourceLength: c.maxSourceLength } : {}),
        }),
      ),
  }),
  transformer: entry({
    task: 'translate',
    summary: 'Transformer encoder–decoder',
    config: TRANSFORMER_CONFIG,
    check: (c: TransformerConfig) =>
      checkHeads(c.dModel, c.nhead, 'dModel') ?? checkPositions(c) ?? checkNormalizerConfig(c),
    build: (c, sizes, generator) => ({
      task: 'translate',
      model: new TransformerSeq2Seq({
        srcVocabSize: size('srcVocabSize', sizes),
        tgtVocabSize: size('tgtVocabSize', sizes),
        dModel: c.dModel,
        nhead: c.nhead,
        numEncoderLayers: c.numEncoderLayers,
        numDecoderLayers: c.numDecoderLayers,
        dimFeedforward: c.dimFeedforward,
        dropout: c.dropout,
        normFirst: c.normFirst,
        maxLen: c.maxLen,
        positions: c.positions,
        maxRelativeDistance: c.maxRelativeDistance,
        normalizer: c.normalizer,
        ...(c.normalizer === 'entmax' ? { entmaxAlpha: c.entmaxAlpha } : {}),
        padId: PAD_ID,
        generator,
      }),
      attentionLayers: c.numDecoderLayers,
      attentionHeads: c.nhead,
      maxLength: c.maxLen,
    }),
  }),
  'bigru-attention': entry({
    task: 'classify',
    summary: 'BiGRU encoder + attention pooling classifier',
    config: BIGRU_ATTENTION_CONFIG,
    formerKeys: { embedDim: 'embeddingDim' },
    check: checkNormalizerConfig,
    build: (c: BigruAttentionConfig, sizes, generator) =>
      builtClassifier(
        {
          embeddingDim: c.embeddingDim,
          encoder: 'bigru',
          hiddenSize: c.hiddenSize,
          numLayers: c.numLayers,
          attentionUnits: unlessZero(c.attentionUnits),
          dropout: c.dropout,
          normalizer: c.normalizer,
          ...(c.normalizer === 'entmax' ? { entmaxAlpha: c.entmaxAlpha } : {}),
        },
        sizes,
        generator,
        Infinity,
      ),
  }),
  'transformer-cls': entry({
    task: 'classify',
    summary: 'Transformer encoder + attention pooling classifier',
    config: TRANSFORMER_CLS_CONFIG,
    formerKeys: { embedDim: 'dModel' },
    check: (c: TransformerClsConfig) =>
      checkHeads(c.dModel, c.nhead, 'dModel') ?? checkPositions(c) ?? checkNormalizerConfig(c),
    build: (c, sizes, generator) =>
      builtClassifier(
        {
          embeddingDim: c.dModel,
          encoder: 'transformer',
          numLayers: c.numLayers,
          nhead: c.nhead,
          dimFeedforward: c.dimFeedforward,
          maxLen: c.maxLen,
          positions: c.positions,
          maxRelativeDistance: c.maxRelativeDistance,
          attentionUnits: unlessZero(c.attentionUnits),
          dropout: c.dropout,
          normalizer: c.normalizer,
          ...(c.normalizer === 'entmax' ? { entmaxAlpha: c.entmaxAlpha } : {}),
        },
        sizes,
        generator,
        c.maxLen,
      ),
  }),
};

/** Architectures the `attn` command trains and loads. */
export type Architecture = keyof typeof REGISTRY;

/** The config of an architecture, as its declaration types it. */
export type ModelConfig<A extends Architecture = Architecture> = ConfigOf<(typeof REGISTRY)[A]['config']>;

/** What the command and the docs show of an architecture. */
export interface ArchitectureInfo {
  architecture: Architecture;
  task: TaskKind;
  summary: string;
  config: ConfigSpec;
}

/** Every architecture, in the order the command lists them. */
export const ARCHITECTURES: readonly Architecture[] = Object.freeze(Object.keys(REGISTRY) as Architecture[]);

export function isArchitecture(name: unknown): name is Architecture {
  return typeof name === 'string' && Object.hasOwn(REGISTRY, name);
}

/** The architecture's task, summary and config declaration; an unknown name is an error listing the known ones. */
export function architectureInfo(name: string, where = 'architecture'): ArchitectureInfo {
  if (!isArchitecture(name)) {
    fail(
      'architectureInfo',
      `${where}: unknown architecture ${JSON.stringify(name)} (known: ${ARCHITECTURES.join(', ')})`,
    );
  }
  const { task, summary, config } = REGISTRY[name];
  return { architecture: name, task, summary, config };
}

/** The architectures of a task. */
export function architecturesOf(task: TaskKind): Architecture[] {
  return ARCHITECTURES.filter((a) => REGISTRY[a].task === task);
}

/**
 * The architecture's full config from `raw` (a parsed config.json's `model`, or the model options of the
 * command line): keys a checkpoint of an older attn used are read under their names now, unknown keys and
 * values out of range are errors naming `source` (e.g. the file), and defaults fill the rest.
 */
export function validateConfig<A extends Architecture>(
  architecture: A,
  raw: unknown,
  source: string,
): ModelConfig<A> {
  const OP = 'validateConfig';
  if (!isArchitecture(architecture)) architectureInfo(String(architecture), source);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail(OP, `${source}: the ${architecture} config must be an object of hyper-parameters`);
  const e = REGISTRY[architecture] as unknown as ArchitectureEntry<ConfigSpec>;
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const now = e.formerKeys?.[key];
    given[now !== undefined && !Object.hasOwn(raw, now) ? now : key] = value;
  }
  const config = checkFields(OP, architecture, e.config, given, source);
  const problem = e.check?.(config) ?? null;
  if (problem !== null) fail(OP, `${source}: ${problem}`);
  return config as ModelConfig<A>;
}

/**
 * Builds an architecture from its config (checked again by validateConfig) and the sizes its tokenizers and
 * labels give. `generator` draws the initial weights and, while training, dropout.
 */
export function buildModel(
  architecture: Architecture,
  config: Readonly<Record<string, ConfigValue>> | ModelConfig,
  sizes: ModelSizes,
  generator?: Generator,
): BuiltModel {
  const e = REGISTRY[architecture] as unknown as ArchitectureEntry<ConfigSpec>;
  return e.build(validateConfig(architecture, config, 'model'), sizes, generator);
}
