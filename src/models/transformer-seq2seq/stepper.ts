/**
 * The DecoderStepper of a TransformerSeq2Seq: the sources are encoded once; each step feeds the newest token of
 * every row and returns next-token log-probabilities [rows, V] and the cross-attention weights of every layer and
 * head [layers, rows, heads, S] (attentionRowAxis 1).
 *
 * With the cache (default) the state holds, per decoder layer, the self-attention keys and values of the tokens
 * fed so far and the memory's cross-attention keys and values (projected once per source); a step costs O(t).
 * Without it, the state holds the prefix and each step reruns the decoder over it (O(t²)); both give the same
 * log-probabilities. select() reorders every cached tensor with indexSelect along the row axis.
 */
import type { PaddingLike } from '../../attention/padding.js';
import type { DecoderStepper, StepResult } from '../../decode/stepper.js';
import { noGrad } from '../../tensor/autograd.js';
import { fail } from '../../tensor/errors.js';
import { concat, indexSelect, logSoftmax, reshape, slice, stack } from '../../tensor/ops/index.js';
import { Tensor } from '../../tensor/tensor.js';
import { tidy } from '../../tensor/tidy.js';
import type { TransformerDecoderLayerCache } from '../transformer/decoder-layer.js';
import type { TransformerEncoding, TransformerSeq2Seq } from './model.js';

const OP = 'TransformerSeq2SeqStepper';

export interface TransformerStepperOptions {
  /** Keep a key/value cache per decoder layer (default true); false reruns the decoder over the prefix. */
  useCache?: boolean;
}

export interface TransformerStepperState {
  /** Tokens fed so far: the position of the next one. */
  readonly position: number;
  /** The source (batch index) of every row. */
  readonly sources: Int32Array;
  /** Bool [rows, S]: the source padding of every row. */
  readonly memoryPaddingMask: Tensor;
  /** With the cache: one cache per decoder layer (self- and cross-attention keys and values); null without. */
  readonly caches: TransformerDecoderLayerCache[] | null;
  /** Without the cache: the tokens fed so far, int32 [rows, position] (null before the first step). */
  readonly prefix: Tensor | null;
}

export class TransformerSeq2SeqStepper implements DecoderStepper<TransformerStepperState> {
  readonly batchSize: number;
  readonly attentionRowAxis = 1;
  readonly useCache: boolean;
  private readonly encoding: TransformerEncoding;
  /** Each decoder layer's cache before the first step, one row per source (with the cache). */
  private readonly memoryCaches: TransformerDecoderLayerCache[] | null;

  constructor(
    readonly model: TransformerSeq2Seq,
    src: Tensor,
    options: TransformerStepperOptions = {},
    srcPadding: PaddingLike = null,
  ) {
    this.useCache = options.useCache ?? true;
    // In a tidy scope: the encoder's activations go back to the storage pool; its output and the caches stay.
    const { encoding, caches } = noGrad(() =>
      tidy(() => {
        const encoding = model.encode(src, srcPadding);
        const caches = this.useCache
          ? model.decoder.layers.map((layer) => layer.cacheMemory(encoding.memory))
          : null;
        return { encoding, caches };
      }),
    );
    this.encoding = encoding;
    this.memoryCaches = caches;
    this.batchSize = src.shape[0]!;
  }

  start(rowsPerSource: number): TransformerStepperState {
    if (!Number.isInteger(rowsPerSource) || rowsPerSource < 1)
      fail(OP, `rowsPerSource must be a positive integer, got ${rowsPerSource}`);
    const sources = Int32Array.from({ length: this.batchSize * rowsPerSource }, (_, r) =>
      Math.floor(r / rowsPerSource),
    );
    const index = new Tensor(sources, [sources.length], 'int32');
    return noGrad(() => ({
      position: 0,
      sources,
      memoryPaddingMask: indexSelect(this.encoding.srcPaddingMask, 0, index),
      caches: this.memoryCaches?.map((c) => selectCache(c, index, false)) ?? null,
      prefix: null,
    }));
  }

  step(tokens: Int32Array, state: TransformerStepperState): StepResult<TransformerStepperState> {
    const rows = state.sources.length;
    if (!(tokens instanceof Int32Array) || tokens.length !== rows)
      fail(OP, `tokens must be an Int32Array of ${rows} ids (one per row), got ${String(tokens?.length)}`);
    const ids = new Tensor(Int32Array.from(tokens), [rows, 1], 'int32');
    return noGrad(() => (state.caches ? this.cachedStep(ids, state) : this.fullStep(ids, state)));
  }

  select(state: TransformerStepperState, indices: Int32Array): TransformerStepperState {
    const rows = state.sources.length;
    const sources = Int32Array.from(indices, (i) => {
      if (!Number.isInteger(i) || i < 0 || i >= rows) fail(OP, `select: row ${i} is outside [0, ${rows})`);
      return state.sources[i]!;
    });
    // The memory's keys, values and padding depend only on the source: rows that keep theirs keep them.
    const sameSources = sources.length === rows && sources.every((s, r) => s === state.sources[r]);
    const index = new Tensor(Int32Array.from(indices), [indices.length], 'int32');
    const pick = (t: Tensor) => indexSelect(t, 0, index);
    return noGrad(() => ({
      position: state.position,
      sources,
      memoryPaddingMask: sameSources ? state.memoryPaddingMask : pick(state.memoryPaddingMask),
      caches: state.caches?.map((c) => selectCache(c, index, sameSources)) ?? null,
      prefix: state.prefix && pick(state.prefix),
    }));
  }

  /** One token per row through the layers, with their caches. */
  private cachedStep(ids: Tensor, state: TransformerStepperState): StepResult<TransformerStepperState> {
    const { model } = this;
    let x = model.embedTarget(ids, state.position);
    const caches: TransformerDecoderLayerCache[] = [];
    const weights: Tensor[] = [];
    model.decoder.layers.forEach((layer, i) => {
      // The layer's own forward with its cache; `memory` is not read (the cache holds its keys and values).
      const result = layer.forwardWithWeights(x, this.encoding.memory, {
        memoryKeyPaddingMask: state.memoryPaddingMask,
        cache: state.caches![i]!,
      });
      x = result.output;
      caches.push(result.cache!);
      const [r, heads, , s] = result.crossWeights.shape as [number, number, number, number];
      weights.push(reshape(result.crossWeights, [r, heads, s]));
    });
    if (model.decoder.norm) x = model.decoder.norm.forward(x);
    return {
      logProbs: this.logProbs(x),
      attention: stack(weights, 0),
      state: { ...state, position: state.position + 1, caches },
    };
  }

  /** The decoder over the whole prefix; the last position's outputs. */
  private fullStep(ids: Tensor, state: TransformerStepperState): StepResult<TransformerStepperState> {
    const { model } = this;
    const prefix = state.prefix ? concat([state.prefix, ids], 1) : ids;
    const t = state.position;
    const index = new Tensor(state.sources, [state.sources.length], 'int32');
    const memory = indexSelect(this.encoding.memory, 0, index);
    const decoded = model.decoder.forwardWithWeights(model.embedTarget(prefix), memory, {
      memoryKeyPaddingMask: state.memoryPaddingMask,
      tgtIsCausal: true,
    });
    const weights = decoded.crossWeights.map((w) => {
      const [r, h, , s] = w.shape as [number, number, number, number];
      return reshape(slice(w, 2, t, t + 1), [r, h, s]);
    });
    return {
      logProbs: this.logProbs(slice(decoded.output, 1, t, t + 1)),
      attention: stack(weights, 0),
      state: { ...state, position: t + 1, prefix },
    };
  }

  /** Hidden states [R, 1, E] → log-probabilities [R, V]. */
  private logProbs(hidden: Tensor): Tensor {
    const logits = this.model.generator.forward(hidden);
    return logSoftmax(reshape(logits, [logits.shape[0]!, logits.shape[2]!]), -1);
  }
}

/**
 * A layer's cache restricted to / reordered as the rows of `index`. The memory's keys and values depend only on
 * the source: kept as they are when every row keeps its source.
 */
function selectCache(
  cache: TransformerDecoderLayerCache,
  index: Tensor,
  sameSources: boolean,
): TransformerDecoderLayerCache {
  const pick = (t: Tensor | null) => t && indexSelect(t, 0, index);
  return {
    self: { ...cache.self, keys: pick(cache.self.keys), values: pick(cache.self.values) },
    cross: sameSources
      ? cache.cross
      : { ...cache.cross, keys: pick(cache.cross.keys), values: pick(cache.cross.values) },
  };
}
