/**
 * A sequence classifier with attention pooling:
 *
 *   ids [B, T] → Embedding → dropout → encoder → h [B, T, D]
 *   α = attention pooling weights over the tokens (AttentionPooling: vᵀ tanh(W h_j + b), 0 at padding)
 *   logits = Linear(dropout(Σ_j α_j h_j)) → [B, C]
 *
 * The encoder is a bidirectional GRU (D = 2·hiddenSize, default) or a Transformer encoder stack (D =
 * embeddingDim) whose `positions` are sinusoidal (default) or learned encodings added to the embeddings, or
 * 'rope', 'alibi' or 'relative' positions inside its self-attention (attention/positions.ts). forward returns the logits and the pooling weight of every
 * token, which shows which tokens decided the class.
 *
 * Padding: forward takes a PaddingLike: a Padding, a bool padding mask [B, T] (true = padding), the lengths
 * (int32 [B] or numbers), or nothing (padding = ids equal to padId). Padded positions do not affect the result
 * whatever they hold. The GRU encoder runs on the lengths, so it needs right padding (each sequence's tokens
 * first); a mask that is not is rejected.
 *
 * Parameters: `embedding.weight`, `positions.embedding.weight` (learned positions), `encoder.…` (the GRU's
 * `weight_ih_l0`, … or the stack's `layers.0.…`, with relative positions `layers.{i}.self_attn.relative_key`
 * and `relative_value`),
 * `pooling.W.weight`, `pooling.W.bias`, `pooling.v.weight`, `classifier.weight`, `classifier.bias`.
 */
import { Padding, type PaddingLike } from '../../attention/padding.js';
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { GRU } from '../../nn/rnn.js';
import { fail } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import { formatShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { TransformerEncoder } from '../transformer/encoder.js';
import { LearnedPositionalEncoding } from '../transformer/learned-positional-encoding.js';
import { SinusoidalPositionalEncoding } from '../transformer/sinusoidal-positional-encoding.js';
import { TRANSFORMER_POSITIONS } from '../transformer-seq2seq/config.js';
import { defaultsOf } from '../config.js';
import { AttentionPooling } from './attention-pooling.js';
import {
  BIGRU_ATTENTION_CONFIG,
  TRANSFORMER_CLS_CONFIG,
  type BigruAttentionConfig,
  type TransformerClsConfig,
} from './config.js';

const OP = 'AttentionClassifier';

/** The hyper-parameters' defaults: those of the `bigru-attention` and `transformer-cls` architectures. */
const BIGRU = defaultsOf(BIGRU_ATTENTION_CONFIG);
const TRANSFORMER = defaultsOf(TRANSFORMER_CLS_CONFIG);

/**
 * The hyper-parameters, each optional, with the defaults, ranges and meanings of the declaration of the
 * encoder's architecture (config.ts: BIGRU_ATTENTION_CONFIG for 'bigru', TRANSFORMER_CLS_CONFIG for
 * 'transformer', whose dModel is the embeddingDim here); dropout applies to the embeddings, inside the encoder
 * and before the output layer. And the model's other options.
 */
export interface AttentionClassifierOptions
  extends
    Partial<Omit<BigruAttentionConfig, 'attentionUnits'>>,
    Partial<
      Pick<TransformerClsConfig, 'nhead' | 'dimFeedforward' | 'maxLen' | 'positions' | 'maxRelativeDistance'>
    > {
  vocabSize: number;
  numClasses: number;
  /** 'bigru' (default) or 'transformer'. */
  encoder?: 'bigru' | 'transformer';
  /** Hidden size of the pooling attention (default: the encoder's output size). */
  attentionUnits?: number;
  /** Padding id (default 0): its embedding row stays zero, and ids equal to it are padding by default. */
  padId?: number;
  generator?: Generator;
}

export interface AttentionClassifierResult {
  /** [B, numClasses]. */
  logits: Tensor;
  /** Pooling weight of every token, [B, T]: 0 at padding, each row summing to 1. */
  weights: Tensor;
}

/** The padding forward takes: PaddingLike (null: from padId), under the name it had before Padding. */
export type ClassifierPadding = PaddingLike;

export class AttentionClassifier extends Module {
  readonly vocabSize: number;
  readonly numClasses: number;
  readonly embeddingDim: number;
  readonly encoderKind: 'bigru' | 'transformer';
  /** Features of the encoder's output D. */
  readonly outputDim: number;
  readonly padId: number;
  /** Longest input of the Transformer encoder (Infinity for the GRU). */
  readonly maxLen: number;
  readonly embedding: Embedding;
  /** The encoding added to the embeddings (Transformer encoder, sinusoidal or learned); null otherwise. */
  readonly positions: SinusoidalPositionalEncoding | LearnedPositionalEncoding | null;
  readonly encoder: GRU | TransformerEncoder;
  readonly pooling: AttentionPooling;
  readonly classifier: Linear;
  readonly dropout: Dropout;

  constructor(options: AttentionClassifierOptions) {
    super();
    if (typeof options !== 'object' || options === null)
      fail(OP, `needs an options object { vocabSize, numClasses, ... }, got ${String(options)}`);
    const kind = options.encoder ?? 'bigru';
    if (kind !== 'bigru' && kind !== 'transformer')
      fail(OP, `encoder must be 'bigru' or 'transformer', got ${String(kind)}`);
    const bigru = kind === 'bigru';
    const embeddingDim = options.embeddingDim ?? (bigru ? BIGRU.embeddingDim : TRANSFORMER.dModel);
    const numLayers = options.numLayers ?? (bigru ? BIGRU.numLayers : TRANSFORMER.numLayers);
    const hiddenSize = options.hiddenSize ?? BIGRU.hiddenSize;
    for (const [name, v] of [
      ['vocabSize', options.vocabSize],
      ['numClasses', options.numClasses],
      ['embeddingDim', embeddingDim],
      ['numLayers', numLayers],
      ['hiddenSize', hiddenSize],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) fail(OP, `${name} must be a positive integer, got ${v}`);
    }
    const padId = options.padId ?? 0;
    if (!Number.isInteger(padId) || padId < 0 || padId >= options.vocabSize)
      fail(OP, `padId must be in [0, ${options.vocabSize}), got ${padId}`);
    const p = options.dropout ?? (bigru ? BIGRU.dropout : TRANSFORMER.dropout);
    const { generator } = options;
    this.vocabSize = options.vocabSize;
    this.numClasses = options.numClasses;
    this.embeddingDim = embeddingDim;
    this.encoderKind = kind;
    this.padId = padId;

    this.embedding = this.registerModule(
      'embedding',
      new Embedding(options.vocabSize, embeddingDim, { paddingIdx: padId, generator }),
    );
    this.dropout = this.registerModule('dropout', new Dropout(p, generator));
    if (kind === 'bigru') {
      this.positions = null;
      this.encoder = this.registerModule(
        'encoder',
        new GRU(embeddingDim, hiddenSize, {
          numLayers,
          bidirectional: true,
          batchFirst: true,
          dropout: numLayers > 1 ? p : 0,
          generator,
        }),
      );
      this.outputDim = 2 * hiddenSize;
      this.maxLen = Infinity;
    } else {
      const positions = options.positions ?? TRANSFORMER.positions;
      if (!TRANSFORMER_POSITIONS.includes(positions))
        fail(
          OP,
          `positions must be one of ${TRANSFORMER_POSITIONS.join(', ')}, got ${JSON.stringify(positions)}`,
        );
      const maxLen = options.maxLen ?? TRANSFORMER.maxLen;
      this.maxLen = maxLen;
      this.positions =
        positions === 'sinusoidal'
          ? this.registerModule(
              'positions',
              new SinusoidalPositionalEncoding(embeddingDim, maxLen, { dropout: 0, batchFirst: true }),
            )
          : positions === 'learned'
            ? this.registerModule(
                'positions',
                new LearnedPositionalEncoding(maxLen, embeddingDim, {
                  dropout: 0,
                  batchFirst: true,
                  generator,
                }),
              )
            : null;
      const inAttention = positions === 'rope' || positions === 'alibi' || positions === 'relative';
      this.encoder = this.registerModule(
        'encoder',
        new TransformerEncoder(
          {
            dModel: embeddingDim,
            nhead: options.nhead ?? TRANSFORMER.nhead,
            dimFeedforward: options.dimFeedforward ?? TRANSFORMER.dimFeedforward,
            dropout: p,
            batchFirst: true,
            generator,
            ...(inAttention
              ? {
                  positions,
                  maxRelativeDistance: options.maxRelativeDistance ?? TRANSFORMER.maxRelativeDistance,
                }
              : {}),
          },
          numLayers,
        ),
      );
      this.outputDim = embeddingDim;
    }
    this.pooling = this.registerModule(
      'pooling',
      new AttentionPooling(this.outputDim, options.attentionUnits ?? this.outputDim, {
        generator,
        normalizer: options.normalizer,
        ...(options.entmaxAlpha === undefined ? {} : { alpha: options.entmaxAlpha }),
      }),
    );
    this.classifier = this.registerModule(
      'classifier',
      new Linear(this.outputDim, options.numClasses, { generator }),
    );
  }

  /** ids int32 [B, T] and their padding (a Padding, a bool mask [B, T], lengths, or null: ids equal to padId). */
  forward(ids: Tensor, padding: PaddingLike = null): AttentionClassifierResult {
    if (!(ids instanceof Tensor) || ids.dtype !== 'int32' || ids.ndim !== 2)
      fail(
        OP,
        `ids must be int32 [B, T], got ${ids instanceof Tensor ? `${ids.dtype} ${formatShape(ids.shape)}` : String(ids)}`,
      );
    const [b, t] = ids.shape as [number, number];
    const given = Padding.from(padding, OP, b, t) ?? Padding.fromIds(ids, this.padId, OP);
    const mask = given.mask;
    // The GRU stops at each row's end; checked before dropout draws, so that a rejected call draws nothing.
    const lengths = this.encoder instanceof GRU ? Array.from(given.lengthsFor(OP).data) : null;
    let x = this.dropout.forward(this.embedding.forward(ids));
    let h: Tensor;
    if (this.encoder instanceof GRU) {
      h = this.encoder.forward(x, null, { lengths }).output;
    } else {
      // The encodings check the length against maxLen themselves; positions inside the attention do not.
      if (this.positions) x = this.positions.forward(x);
      else if (t > this.maxLen) fail(OP, `ids has ${t} positions, more than maxLen ${this.maxLen}`);
      h = this.encoder.forward(x, { srcKeyPaddingMask: mask });
    }
    const { pooled, weights } = this.pooling.forward(h, mask);
    return { logits: this.classifier.forward(this.dropout.forward(pooled)), weights };
  }
}
