/**
 * What BahdanauSeq2Seq and LuongSeq2Seq share: an RNNEncoder and an attention decoder, one `cell` ('gru' or
 * 'lstm'), `numLayers` and `dropout` for both, batch-first int32 token ids.
 *
 *   forward(src [B, S], srcPadding, tgtIn [B, T], { teacherForcingRatio, generator })
 *     → { logits [B, T, V], weights [B, T, S] }
 *   loss(src, srcPadding, tgtIn, tgtOut [B, T], options) → { loss, logits, weights }
 *     (mean cross-entropy over the target tokens that are not padId)
 *   stepper(src, srcPadding) → a DecoderStepper for greedyDecode / beamSearch / sampleDecode (call eval() first)
 *
 * srcPadding says where each source ends (a PaddingLike): a Padding, lengths (int32 [B] or numbers), a bool
 * [B, S] mask (true at padding, which must come after the real tokens: the encoder runs on the lengths), or null
 * when nothing is padded. Padding positions give zero encoder outputs and get zero attention weight.
 *
 * The encoder's and the decoder's modules are registered on the model itself under short names (`enc_emb`,
 * `enc`, `dec_emb`, `dec`, `attn`, `fc`, …, see each model), so that the state dict reads like the classic
 * PyTorch tutorial's; `encoder` and `decoder` remain available as objects.
 */
import { Padding, type PaddingLike } from '../../attention/padding.js';
import { Module } from '../../nn/module.js';
import { noGrad } from '../../tensor/autograd.js';
import { fail } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import { formatShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { defaultsOf } from '../config.js';
import { RNN_SEQ2SEQ_CONFIG, type RNNSeq2SeqConfig } from './config.js';
import type { RNNCellKind } from './recurrence.js';
import { targetLoss } from '../target-loss.js';
import {
  runDecoder,
  runDecoderHidden,
  type RNNAttentionDecoder,
  type RNNDecoderForwardOptions,
} from './decoder-runner.js';
import type { RNNDecoderOptions } from './decoder-parts.js';
import { RNNEncoder, type RNNState } from './rnn-encoder.js';
import { RNNSeq2SeqStepper } from './rnn-seq2seq-stepper.js';

/**
 * The hyper-parameters the RNN seq2seq architectures share, each optional, with the defaults, ranges and
 * meanings their declaration gives (RNN_SEQ2SEQ_CONFIG in config.ts: a bidirectional encoder's outputs are 2H
 * wide, its final states joined by the encoder's bridge; dropout applies to the embeddings, between layers and
 * before fc, in training mode only), and the models' other options.
 */
export interface RNNSeq2SeqOptions extends Partial<RNNSeq2SeqConfig> {
  srcVocabSize: number;
  /** Target vocabulary size (default srcVocabSize). */
  tgtVocabSize?: number;
  /** Recurrent cell of encoder and decoder (default 'gru'). */
  cell?: RNNCellKind;
  /** The <pad> id of both vocabularies: zero embedding rows, and ignored by loss(). */
  padId?: number;
  generator?: Generator;
}

/** The source padding these models take: PaddingLike, under the name it had before Padding. */
export type RNNSourcePadding = PaddingLike;

export type RNNSeq2SeqForwardOptions = RNNDecoderForwardOptions;

export interface RNNSeq2SeqLossOptions extends RNNDecoderForwardOptions {
  /** Label smoothing ε of the cross-entropy (default 0). */
  labelSmoothing?: number;
  /**
   * Apply the output layer at the real (non-padding) targets only (see models/target-loss.ts): the same loss,
   * and logits [N, V] of those positions in (b, t) order instead of [B, T, V] (default false).
   */
  skipPadding?: boolean;
}

export interface RNNSeq2SeqOutput {
  /** [B, T, V]. */
  logits: Tensor;
  /** Attention weights [B, T, S]. */
  weights: Tensor;
}

export interface RNNSeq2SeqLoss extends RNNSeq2SeqOutput {
  /** Scalar mean cross-entropy over non-padding targets. */
  loss: Tensor;
}

export interface RNNEncoding {
  /** Encoder outputs [B, S, encoderDim]. */
  memory: Tensor;
  /** The decoder's initial state [L, B, H]. */
  initial: RNNState;
  /** bool [B, S], true at padding; null when no source is padded. */
  paddingMask: Tensor | null;
}

function describe(t: unknown): string {
  return t instanceof Tensor ? `${t.dtype} ${formatShape(t.shape)}` : String(t);
}

const DEFAULTS = defaultsOf(RNN_SEQ2SEQ_CONFIG);

/** The state-dict names of the encoder's modules, as the classic PyTorch tutorial's. */
const ENCODER_NAMES: Record<string, string> = {
  embedding: 'enc_emb',
  rnn: 'enc',
  bridge: 'bridge',
  bridge_c: 'bridge_c',
  dropout: 'enc_dropout',
};

export abstract class RNNSeq2Seq extends Module {
  readonly encoder: RNNEncoder;
  abstract readonly decoder: RNNAttentionDecoder;
  readonly padId: number | undefined;
  readonly srcVocabSize: number;
  readonly tgtVocabSize: number;
  /** The hyper-parameters: the options given, with their declaration's defaults for the rest. */
  readonly hyper: RNNSeq2SeqConfig;

  protected constructor(
    protected readonly op: string,
    options: RNNSeq2SeqOptions,
  ) {
    super();
    if (typeof options !== 'object' || options === null) fail(op, 'options must be an object');
    this.srcVocabSize = options.srcVocabSize;
    this.tgtVocabSize = options.tgtVocabSize ?? options.srcVocabSize;
    this.padId = options.padId;
    const hyper = (this.hyper = {
      embeddingDim: options.embeddingDim ?? DEFAULTS.embeddingDim,
      hiddenSize: options.hiddenSize ?? DEFAULTS.hiddenSize,
      numLayers: options.numLayers ?? DEFAULTS.numLayers,
      bidirectional: options.bidirectional ?? DEFAULTS.bidirectional,
      dropout: options.dropout ?? DEFAULTS.dropout,
      normalizer: options.normalizer ?? DEFAULTS.normalizer,
      entmaxAlpha: options.entmaxAlpha ?? DEFAULTS.entmaxAlpha,
    });
    if (options.entmaxAlpha !== undefined && hyper.normalizer !== 'entmax')
      fail(op, `entmaxAlpha applies to normalizer 'entmax' only, got normalizer '${hyper.normalizer}'`);
    this.encoder = new RNNEncoder({
      vocabSize: options.srcVocabSize,
      embeddingDim: hyper.embeddingDim,
      hiddenSize: hyper.hiddenSize,
      cell: options.cell,
      numLayers: hyper.numLayers,
      bidirectional: hyper.bidirectional,
      dropout: hyper.dropout,
      paddingIdx: options.padId,
      generator: options.generator,
    });
  }

  /** The decoder's options that follow from the model's: its sizes, cell, layers, dropout and padding id. */
  protected sharedDecoderOptions(options: RNNSeq2SeqOptions): RNNDecoderOptions {
    return {
      vocabSize: this.tgtVocabSize,
      embeddingDim: this.hyper.embeddingDim,
      hiddenSize: this.hyper.hiddenSize,
      encoderDim: this.encoder.outputSize,
      cell: options.cell,
      numLayers: this.hyper.numLayers,
      dropout: this.hyper.dropout,
      paddingIdx: options.padId,
      normalizer: this.hyper.normalizer,
      ...(this.hyper.normalizer === 'entmax' ? { alpha: this.hyper.entmaxAlpha } : {}),
      generator: options.generator,
    };
  }

  /**
   * Registers the encoder's modules (as `enc_emb`, `enc`, `bridge`, `bridge_c`, `enc_dropout`) and the
   * decoder's (under the names `decoderNames` gives) on the model, the encoder's children first, in the order
   * of `order` (names missing from it come last).
   */
  protected adopt(decoderNames: Record<string, string>, order: string[]): void {
    const rename = { encoder: ENCODER_NAMES, decoder: decoderNames };
    const all: [string, Module][] = [];
    for (const [side, module] of [
      ['encoder', this.encoder],
      ['decoder', this.decoder],
    ] as const) {
      for (const [name, child] of module.namedModules()) {
        if (name === '' || name.includes('.')) continue;
        all.push([rename[side][name] ?? `${side === 'encoder' ? 'enc' : 'dec'}_${name}`, child]);
      }
    }
    const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
    all.sort((a, b) => rank(a[0]) - rank(b[0]));
    for (const [name, child] of all) this.registerModule(name, child);
  }

  /** [B, S] of an int32 src, or an error. */
  private checkSource(src: Tensor): [number, number] {
    if (!(src instanceof Tensor) || src.dtype !== 'int32' || src.ndim !== 2)
      fail(this.op, `src must be int32 [B, S], got ${describe(src)}`);
    return src.shape as [number, number];
  }

  /** Runs the encoder: its outputs, the decoder's initial state and the source padding mask. */
  encode(src: Tensor, srcPadding: PaddingLike = null): RNNEncoding {
    const [batch, length] = this.checkSource(src);
    const padding = Padding.from(srcPadding, this.op, batch, length);
    const lengths = padding ? Array.from(padding.lengthsFor(this.op).data) : null;
    // Without padding, attention needs no mask (and the encoder's lengths are all S).
    const mask = padding?.hasPadding ? padding.mask : null;
    const { outputs, state } = this.encoder.forward(src, lengths);
    return { memory: outputs, initial: this.encoder.decoderState(state), paddingMask: mask };
  }

  /** Logits [B, T, V] and attention weights [B, T, S] for tgtIn [B, T] (<sos> y₁ … y_{T−1}). */
  forward(
    src: Tensor,
    srcPadding: PaddingLike,
    tgtIn: Tensor,
    options: RNNSeq2SeqForwardOptions = {},
  ): RNNSeq2SeqOutput {
    this.checkPair(src, tgtIn);
    const enc = this.encode(src, srcPadding);
    const state = this.decoder.init(enc.memory, enc.initial, enc.paddingMask);
    const { logits, weights } = runDecoder(this.decoder, tgtIn, state, options);
    return { logits, weights };
  }

  /**
   * forward, then the mean cross-entropy of the logits against tgtOut [B, T] (or [B·T]), ignoring padId
   * (models/target-loss.ts; with `skipPadding` the output layer runs at the real targets only).
   */
  loss(
    src: Tensor,
    srcPadding: PaddingLike,
    tgtIn: Tensor,
    tgtOut: Tensor,
    options: RNNSeq2SeqLossOptions = {},
  ): RNNSeq2SeqLoss {
    const lossOptions = {
      padId: this.padId ?? -100,
      labelSmoothing: options.labelSmoothing,
      skipPadding: options.skipPadding,
    };
    if (!options.skipPadding || (options.teacherForcingRatio ?? 1) !== 1) {
      // The output layer at every position (scheduled sampling reads every step's logits anyway).
      const { logits, weights } = this.forward(src, srcPadding, tgtIn, options);
      const identity = { forward: (x: Tensor) => x };
      return { ...targetLoss(this.op, logits, identity, tgtOut, lossOptions), weights };
    }
    this.checkPair(src, tgtIn);
    const enc = this.encode(src, srcPadding);
    const state = this.decoder.init(enc.memory, enc.initial, enc.paddingMask);
    const { hidden, weights } = runDecoderHidden(this.decoder, tgtIn, state);
    return { ...targetLoss(this.op, hidden, this.decoder.fc, tgtOut, lossOptions), weights };
  }

  /** src [B, S] and tgtIn int32 [B, T] with the same B. */
  private checkPair(src: Tensor, tgtIn: Tensor): void {
    const batch = this.checkSource(src)[0];
    if (!(tgtIn instanceof Tensor) || tgtIn.dtype !== 'int32' || tgtIn.ndim !== 2 || tgtIn.shape[0] !== batch)
      fail(this.op, `tgtIn must be int32 [${batch}, T] (the batch size of src), got ${describe(tgtIn)}`);
  }

  /** A DecoderStepper over these sources: the encoder runs (and the keys are projected) once, here. */
  stepper(src: Tensor, srcPadding: PaddingLike = null): RNNSeq2SeqStepper {
    const state = noGrad(() => {
      const enc = this.encode(src, srcPadding);
      return this.decoder.init(enc.memory, enc.initial, enc.paddingMask);
    });
    return new RNNSeq2SeqStepper(this.decoder, state);
  }
}
