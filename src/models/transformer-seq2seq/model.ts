/**
 * An encoder–decoder Transformer for translation (Vaswani et al. 2017), batch-first over int32 token ids:
 *
 *   src [B, S] → srcEmbedding · √dModel + positions → TransformerEncoder (+ final norm) → memory [B, S, E]
 *   tgtIn [B, T] → tgtEmbedding · √dModel + positions → TransformerDecoder (+ final norm) over memory
 *              → generator (Linear to the target vocabulary) → logits [B, T, V]
 *
 * Masks: source padding (the srcPadding given, a PaddingLike, or where src holds the pad id when none is) is
 * masked as an encoder and a cross-attention key, target padding (from the pad id) as a decoder self-attention
 * key, and the decoder is causal (position i sees target positions ≤ i). tgtIn is the target shifted right
 * (<sos> y₁ … y_{T−1}); train with crossEntropy(logits, tgtOut, { ignoreIndex: padId }).
 *
 * Options: `shareEmbeddings` uses one Embedding for both sides (a joint vocabulary: srcVocabSize = tgtVocabSize);
 * `tieOutput` uses the target embedding's weight as the generator's weight (Press & Wolf 2017), keeping only the
 * generator's bias; `positions` picks sinusoidal (default) or learned positional encodings added to the
 * embeddings, or positions inside every self-attention: 'rope', 'alibi' or 'relative' (Shaw et al., k =
 * maxRelativeDistance; see attention/positions.ts), where nothing is added to the embeddings (only dropout
 * applies there) and the cross-attention takes no positions. `positional` is the older name of the first two.
 * maxLen bounds the sequences whatever the scheme.
 *
 * Embeddings start N(0, 1/dModel) (the pad row zero), so that after the √dModel scaling they have unit variance,
 * as the positional encodings do (and so that a tied generator starts with small logits).
 *
 * Parameters: `src_embedding.weight`, `tgt_embedding.weight` (absent when shared), `src_pos.embedding.weight`
 * and `tgt_pos.embedding.weight` (learned positions only), `encoder.layers.{i}.…` (with relative positions
 * `….self_attn.relative_key` and `….self_attn.relative_value`, also in the decoder layers), `encoder.norm.…`,
 * `decoder.layers.{i}.…`, `decoder.norm.…`, `generator.weight` (absent when tied) and `generator.bias`.
 *
 * Decoding: `stepper(src, srcPadding)` returns a DecoderStepper for greedyDecode / beamSearch / sampleDecode
 * that keeps a key/value cache per decoder layer (see kv-cache.ts); call eval() first so that dropout is off.
 */
import { Padding, type PaddingLike } from '../../attention/padding.js';
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import { fans, uniform } from '../../nn/init.js';
import { Module } from '../../nn/module.js';
import { fail } from '../../tensor/errors.js';
import { add, matmul, mul } from '../../tensor/ops/index.js';
import type { Generator } from '../../tensor/random.js';
import { formatShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import type { TransformerActivation } from '../transformer/common.js';
import { TransformerDecoder } from '../transformer/decoder.js';
import { TransformerEncoder } from '../transformer/encoder.js';
import { LearnedPositionalEncoding } from '../transformer/learned-positional-encoding.js';
import { SinusoidalPositionalEncoding } from '../transformer/sinusoidal-positional-encoding.js';
import { defaultsOf } from '../config.js';
import { targetLoss } from '../target-loss.js';
import {
  TRANSFORMER_CONFIG,
  TRANSFORMER_POSITIONS,
  type TransformerConfig,
  type TransformerPositions,
} from './config.js';
import { TransformerSeq2SeqStepper, type TransformerStepperOptions } from './stepper.js';

const OP = 'TransformerSeq2Seq';

/** The hyper-parameters' defaults: those of the `transformer` architecture (config.ts). */
const DEFAULTS = defaultsOf(TRANSFORMER_CONFIG);

/**
 * The hyper-parameters of the `transformer` architecture, each optional, with the defaults, ranges and meanings
 * its declaration gives (TRANSFORMER_CONFIG in config.ts; dropout applies in the layers and after the positional
 * encodings), and the model's other options.
 */
export interface TransformerSeq2SeqOptions extends Partial<TransformerConfig> {
  /** Source vocabulary size. */
  srcVocabSize: number;
  /** Target vocabulary size (default srcVocabSize); must equal it when shareEmbeddings. */
  tgtVocabSize?: number;
  /** Feed-forward activation (default 'relu'). */
  activation?: TransformerActivation;
  /** eps of every LayerNorm (default 1e-5). */
  layerNormEps?: number;
  /** The older name of `positions` 'sinusoidal' or 'learned'; it must agree with `positions` if both are given. */
  positional?: 'sinusoidal' | 'learned';
  /** The padding id of both vocabularies (default 0). */
  padId?: number;
  /** One embedding table for source and target (a joint vocabulary; default false). */
  shareEmbeddings?: boolean;
  /** The generator's weight is the target embedding's weight (default false). */
  tieOutput?: boolean;
  /** Source of randomness for initialisation and dropout (the global seeded generator by default). */
  generator?: Generator;
}

export interface TransformerSeq2SeqLossOptions {
  /** Label smoothing ε of the cross-entropy (default 0): the target distribution is (1 − ε)·onehot + ε/V. */
  labelSmoothing?: number;
  /**
   * Apply the generator at the real (non-padding) targets only (see models/target-loss.ts): the same loss, and
   * logits [N, V] of those positions in (b, t) order instead of [B, T, V] (default false).
   */
  skipPadding?: boolean;
}

/** Attention weights of every layer and head. */
export interface TransformerSeq2SeqWeights {
  /** Logits [B, T, V]. */
  logits: Tensor;
  /** Encoder self-attention per layer, each [B, H, S, S]. */
  encoderSelf: Tensor[];
  /** Decoder self-attention per layer, each [B, H, T, T]. */
  decoderSelf: Tensor[];
  /** Decoder cross-attention (target over source) per layer, each [B, H, T, S]. */
  decoderCross: Tensor[];
}

/** The encoder's output and the source padding mask that goes with it. */
export interface TransformerEncoding {
  /** [B, S, E]. */
  memory: Tensor;
  /** Bool [B, S], true at source padding. */
  srcPaddingMask: Tensor;
}

/**
 * The projection to the vocabulary: logits = x·Wᵀ + b, with W [V, E] its own parameter (`weight`) or borrowed
 * from the target embedding (tied, not registered here).
 */
export class OutputProjection extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly tied: boolean;

  constructor(dModel: number, vocabSize: number, tiedWeight: Tensor | null, generator?: Generator) {
    super();
    this.tied = tiedWeight !== null;
    if (tiedWeight) {
      this.weight = tiedWeight;
    } else {
      const w = new Tensor(new Float32Array(vocabSize * dModel), [vocabSize, dModel]);
      // As torch.nn.Linear: U(-1/√E, 1/√E) for the weight and the bias.
      const bound = 1 / Math.sqrt(fans(w).fanIn);
      this.weight = this.registerParameter('weight', uniform(w, -bound, bound, generator))!;
    }
    const bound = 1 / Math.sqrt(dModel);
    const b = uniform(new Tensor(new Float32Array(vocabSize), [vocabSize]), -bound, bound, generator);
    this.bias = this.registerParameter('bias', b)!;
  }

  forward(x: Tensor): Tensor {
    return add(matmul(x, this.weight, { transB: true }), this.bias);
  }
}

/**
 * What stands for the positional encoding when positions are inside the attention: dropout(x), the dropout the
 * encodings apply after their addition. `offset` is accepted and has nothing to do.
 */
export class EmbeddingDropout extends Module {
  readonly dropout: Dropout;

  constructor(p: number, generator?: Generator) {
    super();
    this.dropout = this.registerModule('dropout', new Dropout(p, generator));
  }

  forward(x: Tensor, _options: { offset?: number } = {}): Tensor {
    return this.dropout.forward(x);
  }
}

export class TransformerSeq2Seq extends Module {
  readonly srcVocabSize: number;
  readonly tgtVocabSize: number;
  readonly dModel: number;
  readonly nhead: number;
  readonly padId: number;
  readonly maxLen: number;
  readonly shareEmbeddings: boolean;
  readonly tieOutput: boolean;
  readonly srcEmbedding: Embedding;
  /** The same module as srcEmbedding when shareEmbeddings. */
  readonly tgtEmbedding: Embedding;
  /** How positions enter: added to the embeddings, or inside the self-attention (config.ts). */
  readonly positions: TransformerPositions;
  /** The positional encodings added to the embeddings (then dropout); only dropout for the in-attention schemes. */
  readonly srcPos: SinusoidalPositionalEncoding | LearnedPositionalEncoding | EmbeddingDropout;
  readonly tgtPos: SinusoidalPositionalEncoding | LearnedPositionalEncoding | EmbeddingDropout;
  readonly encoder: TransformerEncoder;
  readonly decoder: TransformerDecoder;
  readonly generator: OutputProjection;
  private readonly scale: number;

  constructor(options: TransformerSeq2SeqOptions) {
    super();
    if (typeof options !== 'object' || options === null)
      fail(OP, `needs an options object { srcVocabSize, ... }, got ${String(options)}`);
    const srcVocab = options.srcVocabSize;
    const tgtVocab = options.tgtVocabSize ?? srcVocab;
    const dModel = options.dModel ?? DEFAULTS.dModel;
    const nhead = options.nhead ?? DEFAULTS.nhead;
    const numEncoderLayers = options.numEncoderLayers ?? DEFAULTS.numEncoderLayers;
    const numDecoderLayers = options.numDecoderLayers ?? DEFAULTS.numDecoderLayers;
    const maxLen = options.maxLen ?? DEFAULTS.maxLen;
    const padId = options.padId ?? 0;
    for (const [name, v] of [
      ['srcVocabSize', srcVocab],
      ['tgtVocabSize', tgtVocab],
      ['dModel', dModel],
      ['nhead', nhead],
      ['numEncoderLayers', numEncoderLayers],
      ['numDecoderLayers', numDecoderLayers],
      ['maxLen', maxLen],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) fail(OP, `${name} must be a positive integer, got ${v}`);
    }
    if (!Number.isInteger(padId) || padId < 0 || padId >= Math.min(srcVocab, tgtVocab))
      fail(OP, `padId must be an id of both vocabularies, got ${padId}`);
    this.shareEmbeddings = options.shareEmbeddings ?? false;
    this.tieOutput = options.tieOutput ?? false;
    if (this.shareEmbeddings && srcVocab !== tgtVocab)
      fail(OP, `shareEmbeddings needs one vocabulary: srcVocabSize ${srcVocab} ≠ tgtVocabSize ${tgtVocab}`);
    this.srcVocabSize = srcVocab;
    this.tgtVocabSize = tgtVocab;
    this.dModel = dModel;
    this.nhead = nhead;
    this.padId = padId;
    this.maxLen = maxLen;
    this.scale = Math.sqrt(dModel);
    const generator = options.generator;
    const dropout = options.dropout ?? DEFAULTS.dropout;

    const embedding = (vocab: number) => {
      const e = new Embedding(vocab, dModel, { paddingIdx: padId, generator });
      const std = 1 / Math.sqrt(dModel);
      for (let i = 0; i < e.weight.size; i++) e.weight.data[i]! *= std;
      return e;
    };
    this.srcEmbedding = this.registerModule('src_embedding', embedding(srcVocab));
    this.tgtEmbedding = this.shareEmbeddings
      ? this.srcEmbedding
      : this.registerModule('tgt_embedding', embedding(tgtVocab));

    const positional = options.positional;
    if (positional !== undefined && positional !== 'sinusoidal' && positional !== 'learned')
      fail(OP, `positional must be 'sinusoidal' or 'learned', got ${String(positional)}`);
    const positions = options.positions ?? positional ?? DEFAULTS.positions;
    if (!TRANSFORMER_POSITIONS.includes(positions))
      fail(
        OP,
        `positions must be one of ${TRANSFORMER_POSITIONS.join(', ')}, got ${JSON.stringify(positions)}`,
      );
    if (positional !== undefined && positional !== positions)
      fail(
        OP,
        `positional '${positional}' and positions '${positions}' disagree (positional is its older name)`,
      );
    this.positions = positions;
    const position = () =>
      positions === 'learned'
        ? new LearnedPositionalEncoding(maxLen, dModel, { dropout, batchFirst: true, generator })
        : positions === 'sinusoidal'
          ? new SinusoidalPositionalEncoding(dModel, maxLen, { dropout, batchFirst: true, generator })
          : new EmbeddingDropout(dropout, generator);
    this.srcPos = this.registerModule('src_pos', position());
    this.tgtPos = this.registerModule('tgt_pos', position());
    if (options.entmaxAlpha !== undefined && options.normalizer !== 'entmax')
      fail(
        OP,
        `entmaxAlpha applies to normalizer 'entmax' only, got normalizer '${options.normalizer ?? 'softmax'}'`,
      );
    const inAttention = positions === 'rope' || positions === 'alibi' || positions === 'relative';

    const layer = {
      dModel,
      nhead,
      dimFeedforward: options.dimFeedforward ?? DEFAULTS.dimFeedforward,
      dropout,
      activation: options.activation ?? 'relu',
      layerNormEps: options.layerNormEps ?? 1e-5,
      batchFirst: true,
      normFirst: options.normFirst ?? DEFAULTS.normFirst,
      generator,
      positions: inAttention ? positions : ('none' as const),
      maxRelativeDistance: options.maxRelativeDistance ?? DEFAULTS.maxRelativeDistance,
      // Every attention block (self and cross) normalises with it; α only for 'entmax' (an error otherwise).
      normalizer: options.normalizer ?? DEFAULTS.normalizer,
      ...(options.normalizer === 'entmax' ? { alpha: options.entmaxAlpha ?? DEFAULTS.entmaxAlpha } : {}),
    };
    this.encoder = this.registerModule(
      'encoder',
      new TransformerEncoder(layer, numEncoderLayers, { norm: true }),
    );
    this.decoder = this.registerModule(
      'decoder',
      new TransformerDecoder(layer, numDecoderLayers, { norm: true }),
    );
    this.generator = this.registerModule(
      'generator',
      new OutputProjection(dModel, tgtVocab, this.tieOutput ? this.tgtEmbedding.weight : null, generator),
    );
  }

  /** Bool [B, T]: true where ids equal the pad id. */
  paddingMask(ids: Tensor): Tensor {
    return Padding.fromIds(ids, this.padId, OP).mask;
  }

  /** Source ids [B, S] → embedded, scaled and positioned [B, S, E]. */
  embedSource(src: Tensor): Tensor {
    this.checkIds('src', src, this.srcVocabSize);
    return this.srcPos.forward(mul(this.srcEmbedding.forward(src), this.scale));
  }

  /** Target ids [B, T] → embedded, scaled and positioned [B, T, E], the first at position `offset`. */
  embedTarget(tgt: Tensor, offset = 0): Tensor {
    this.checkIds('tgt', tgt, this.tgtVocabSize);
    return this.tgtPos.forward(mul(this.tgtEmbedding.forward(tgt), this.scale), { offset });
  }

  /**
   * The padding of src [B, S]: srcPadding (a PaddingLike) when given, else where src holds the pad id. Both
   * give the same for batches padded with the pad id, as the data's are.
   */
  sourcePadding(src: Tensor, srcPadding: PaddingLike = null): Padding {
    this.checkIds('src', src, this.srcVocabSize);
    const [b, s] = src.shape as [number, number];
    return Padding.from(srcPadding, OP, b, s) ?? Padding.fromIds(src, this.padId, OP);
  }

  /** Runs the encoder over src [B, S] and its padding: memory [B, S, E] and the source padding mask [B, S]. */
  encode(src: Tensor, srcPadding: PaddingLike = null): TransformerEncoding {
    const srcPaddingMask = this.sourcePadding(src, srcPadding).mask;
    const memory = this.encoder.forward(this.embedSource(src), { srcKeyPaddingMask: srcPaddingMask });
    return { memory, srcPaddingMask };
  }

  /**
   * Runs the decoder over memory: tgtIn [B, T] → logits [B, T, V]. Target padding is masked as a key unless
   * `tgtPadding` is false (the decoding steppers feed generated tokens, none of which is padding).
   */
  decode(tgtIn: Tensor, encoding: TransformerEncoding, tgtPadding = true): Tensor {
    return this.generator.forward(this.decodeHidden(tgtIn, encoding, tgtPadding));
  }

  /** decode up to the generator: the decoder's output [B, T, E]. */
  decodeHidden(tgtIn: Tensor, encoding: TransformerEncoding, tgtPadding = true): Tensor {
    return this.decoder.forward(this.embedTarget(tgtIn), encoding.memory, {
      tgtKeyPaddingMask: tgtPadding ? this.paddingMask(tgtIn) : null,
      memoryKeyPaddingMask: encoding.srcPaddingMask,
      tgtIsCausal: true,
    });
  }

  /** src [B, S], tgtIn [B, T] (int32) and the source padding (default: from the pad id) → logits [B, T, V]. */
  forward(src: Tensor, tgtIn: Tensor, srcPadding: PaddingLike = null): Tensor {
    this.checkBatch(src, tgtIn);
    return this.decode(tgtIn, this.encode(src, srcPadding));
  }

  /**
   * forward, then the mean cross-entropy of the logits against tgtOut [B, T] over the targets that are not
   * padId, with label smoothing ε (default 0): the signature the RNN models' loss has, so that a translation
   * task drives either. srcPadding null reads the source padding from the pad id.
   */
  loss(
    src: Tensor,
    srcPadding: PaddingLike,
    tgtIn: Tensor,
    tgtOut: Tensor,
    options: TransformerSeq2SeqLossOptions = {},
  ): { loss: Tensor; logits: Tensor } {
    this.checkBatch(src, tgtIn);
    const hidden = this.decodeHidden(tgtIn, this.encode(src, srcPadding));
    return targetLoss(OP, hidden, this.generator, tgtOut, {
      padId: this.padId,
      labelSmoothing: options.labelSmoothing,
      skipPadding: options.skipPadding,
    });
  }

  /**
   * The logits and the attention weights of every layer and head (encoder self, decoder self and cross), with
   * the source padding as forward takes it.
   */
  forwardWithWeights(src: Tensor, tgtIn: Tensor, srcPadding: PaddingLike = null): TransformerSeq2SeqWeights {
    this.checkBatch(src, tgtIn);
    const srcPaddingMask = this.sourcePadding(src, srcPadding).mask;
    const encoded = this.encoder.forwardWithWeights(this.embedSource(src), {
      srcKeyPaddingMask: srcPaddingMask,
    });
    const decoded = this.decoder.forwardWithWeights(this.embedTarget(tgtIn), encoded.output, {
      tgtKeyPaddingMask: this.paddingMask(tgtIn),
      memoryKeyPaddingMask: srcPaddingMask,
      tgtIsCausal: true,
    });
    return {
      logits: this.generator.forward(decoded.output),
      encoderSelf: encoded.weights,
      decoderSelf: decoded.selfWeights,
      decoderCross: decoded.crossWeights,
    };
  }

  /**
   * A DecoderStepper over the sources src [B, S] for greedyDecode, beamSearch and sampleDecode. With useCache
   * (default) each step feeds only the newest token and reuses the decoder layers' cached keys and values;
   * without, each step reruns the decoder over the whole prefix (the reference the cache is tested against).
   * Its per-step attention is the cross-attention [layers, rows, heads, S] (attentionRowAxis 1).
   *
   * The second argument is the source padding (a PaddingLike; null: from the pad id), as a translation task
   * and the predictor pass it to any seq2seq model, then the options; or, the padding left out, the options.
   */
  stepper(
    src: Tensor,
    srcPadding: PaddingLike | TransformerStepperOptions = null,
    options: TransformerStepperOptions = {},
  ): TransformerSeq2SeqStepper {
    const isPadding =
      srcPadding === null ||
      srcPadding === undefined ||
      srcPadding instanceof Padding ||
      srcPadding instanceof Tensor ||
      Array.isArray(srcPadding);
    return isPadding
      ? new TransformerSeq2SeqStepper(this, src, options, srcPadding as PaddingLike)
      : new TransformerSeq2SeqStepper(this, src, srcPadding as TransformerStepperOptions);
  }

  private checkIds(name: string, ids: unknown, vocab: number): asserts ids is Tensor {
    if (!(ids instanceof Tensor) || ids.dtype !== 'int32' || ids.ndim !== 2)
      fail(
        OP,
        `${name} must be int32 ids [B, T], got ${ids instanceof Tensor ? `${ids.dtype} ${formatShape(ids.shape)}` : String(ids)}`,
      );
    if (ids.shape[1]! > this.maxLen)
      fail(OP, `${name} has ${ids.shape[1]} positions, more than maxLen ${this.maxLen}`);
    const data = ids.data;
    for (let i = 0; i < data.length; i++) {
      if (data[i]! < 0 || data[i]! >= vocab) fail(OP, `${name} holds id ${data[i]}, outside [0, ${vocab})`);
    }
  }

  private checkBatch(src: Tensor, tgtIn: Tensor): void {
    if (src instanceof Tensor && tgtIn instanceof Tensor && src.shape[0] !== tgtIn.shape[0])
      fail(
        OP,
        `src and tgtIn must have the same batch size, got ${formatShape(src.shape)} and ${formatShape(tgtIn.shape)}`,
      );
  }
}
