/**
 * How an RNN attention decoder runs over a whole target sequence (training, RNNSeq2Seq.forward and loss). The
 * one place that chooses between the readable step loop and a fused op:
 *
 *   teacher forcing throughout (ratio 1): the target embeddings' terms of every step are projected at once, then
 *     - fused, when a fused sequence op computes this decoder (the same arithmetic as the step loop, in one
 *       op per direction of autograd): `bahdanauGruSequence` for a one-layer GRU Bahdanau decoder with softmax
 *       attention, `luongGruSequence` for a one-layer GRU Luong decoder with global softmax attention and a
 *       'dot' or 'general' score;
 *     - otherwise the step loop: `decoder.core` (the formula of the decoder's header) once per step;
 *     and `fc` is applied once to every step's output (`teacherForcedHidden` stops before it, for a loss that
 *     applies it at the real targets only: models/target-loss.ts).
 *   scheduled sampling (ratio < 1): `decoder.step` per step, fed the gold token or the model's own argmax.
 *
 * Tests (test/models/seq2seq.test.ts) run `teacherForcedFused` and `teacherForcedSteps` on the same weights and
 * batch and compare losses and gradients.
 */
import { bahdanauGruSequence } from '../../fused/bahdanau-gru-sequence.js';
import { luongGruSequence } from '../../fused/luong-gru-sequence.js';
import { fail } from '../../tensor/errors.js';
import { argmax, reshape, slice, stack, unbind } from '../../tensor/ops/index.js';
import { defaultGenerator, type Generator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import type { BahdanauDecoder } from './bahdanau-decoder.js';
import {
  describeTensor,
  embedSequence,
  type RNNDecoderState,
  type RNNDecoderWeights,
} from './decoder-parts.js';
import type { LuongDecoder } from './luong-decoder.js';
import { gateMajor } from './recurrence.js';

/** The RNN attention decoders. */
export type RNNAttentionDecoder = BahdanauDecoder | LuongDecoder;

export interface RNNDecoderForwardOptions {
  /**
   * Probability of feeding the gold token tgtIn[:, t] at step t ≥ 1 (default 1); otherwise the model's own
   * argmax of step t − 1 is fed, for the whole batch, drawn once per step from `generator`. Step 0 always reads
   * tgtIn[:, 0] (<sos>). 0 feeds the model's own predictions throughout (as greedy decoding does).
   */
  teacherForcingRatio?: number;
  /** For the teacher-forcing draws (the global generator by default). */
  generator?: Generator;
}

export interface RNNDecoderForwardResult {
  /** [B, T, vocabSize]. */
  logits: Tensor;
  /** Attention weights of every step, [B, T, S]. */
  weights: Tensor;
  /** The state after the last step. */
  state: RNNDecoderState;
}

/**
 * Runs `decoder` over tgtIn int32 [B, T] (<sos> y₁ … y_{T−1}) from `state` (see the decoder's `init`), with
 * teacher forcing as `options.teacherForcingRatio` says.
 */
export function runDecoder(
  decoder: RNNAttentionDecoder,
  tgtIn: Tensor,
  state: RNNDecoderState,
  options: RNNDecoderForwardOptions = {},
): RNNDecoderForwardResult {
  checkTargetInput(decoder, tgtIn, state);
  const ratio = options.teacherForcingRatio ?? 1;
  if (!(ratio >= 0 && ratio <= 1)) fail(decoder.op, `teacherForcingRatio must be in [0, 1], got ${ratio}`);
  const w = decoder.prepare();
  if (ratio === 1) return project(decoder, teacherForcedHidden(decoder, tgtIn, state, w));
  return scheduledSampling(decoder, tgtIn, state, w, ratio, options.generator ?? defaultGenerator());
}

/** runDecoder with teacher forcing throughout, up to the output layer (see teacherForcedHidden). */
export function runDecoderHidden(
  decoder: RNNAttentionDecoder,
  tgtIn: Tensor,
  state: RNNDecoderState,
): RNNDecoderHiddenResult {
  checkTargetInput(decoder, tgtIn, state);
  return teacherForcedHidden(decoder, tgtIn, state);
}

function checkTargetInput(decoder: RNNAttentionDecoder, tgtIn: Tensor, state: RNNDecoderState): void {
  const batch = state.sources.length;
  if (!(tgtIn instanceof Tensor) || tgtIn.dtype !== 'int32' || tgtIn.ndim !== 2 || tgtIn.shape[0] !== batch) {
    const got = describeTensor(tgtIn);
    fail(decoder.op, `tgtIn must be int32 [${batch}, T] (the batch size of the state), got ${got}`);
  }
  if (tgtIn.shape[1] === 0) fail(decoder.op, 'tgtIn must have at least one step');
}

/** A teacher-forced pass up to the output layer. */
export interface RNNDecoderHiddenResult {
  /** [B, T, H]: the decoder outputs after dropout, which fc maps to the logits. */
  hidden: Tensor;
  /** [B, T, S]. */
  weights: Tensor;
  state: RNNDecoderState;
}

/**
 * Teacher forcing up to the output layer (fused where a fused op computes the decoder, else the step loop), for
 * a loss that applies fc to some positions only. tgtIn as runDecoder checks it.
 */
export function teacherForcedHidden(
  decoder: RNNAttentionDecoder,
  tgtIn: Tensor,
  state: RNNDecoderState,
  w: RNNDecoderWeights = decoder.prepare(),
): RNNDecoderHiddenResult {
  return fusedHidden(decoder, tgtIn, state, w) ?? stepsHidden(decoder, tgtIn, state, w);
}

/** Teacher forcing through the fused sequence op, or null when none computes this decoder's configuration. */
export function teacherForcedFused(
  decoder: RNNAttentionDecoder,
  tgtIn: Tensor,
  state: RNNDecoderState,
  w: RNNDecoderWeights = decoder.prepare(),
): RNNDecoderForwardResult | null {
  const r = fusedHidden(decoder, tgtIn, state, w);
  return r && project(decoder, r);
}

/** Teacher forcing as the readable loop: `decoder.core` at every step, fc once over all steps. */
export function teacherForcedSteps(
  decoder: RNNAttentionDecoder,
  tgtIn: Tensor,
  state: RNNDecoderState,
  w: RNNDecoderWeights = decoder.prepare(),
): RNNDecoderForwardResult {
  return project(decoder, stepsHidden(decoder, tgtIn, state, w));
}

/** The output layer over every position: logits [B, T, V]. */
function project(decoder: RNNAttentionDecoder, r: RNNDecoderHiddenResult): RNNDecoderForwardResult {
  return { logits: decoder.fc.forward(r.hidden), weights: r.weights, state: r.state };
}

function fusedHidden(
  decoder: RNNAttentionDecoder,
  tgtIn: Tensor,
  state: RNNDecoderState,
  w: RNNDecoderWeights,
): RNNDecoderHiddenResult | null {
  if (decoder.cell !== 'gru' || decoder.numLayers !== 1) return null;
  // The fused ops normalise with softmax only.
  if (decoder.attention.normalizer !== 'softmax') return null;
  if (decoder.kind === 'luong') return luongFused(decoder, tgtIn, state, w);
  const embedded = embedSequence(decoder, decoder.embeddingPart, tgtIn, w);
  const { W2, V } = decoder.attention;
  const r = bahdanauGruSequence({
    embedded,
    h0: state.h[0]!,
    keys: state.keys,
    memory: state.memory,
    mask: state.paddingMask,
    queryWeight: W2.weight,
    queryBias: W2.bias,
    scoreWeight: V.weight,
    scoreBias: V.bias,
    contextWeight: w.recurrence.parts2d[0]!,
    weightHh: decoder.rnn.allWeights[0]!.weightHh,
    biasHn: w.recurrence.step[0]!.biasHn,
  });
  const hidden = decoder.dropout.forward(r.states);
  const steps = tgtIn.shape[1]!;
  return { hidden, weights: r.weights, state: { ...state, h: [r.last], c: null, step: state.step + steps } };
}

/** luongGruSequence for a global 'dot' or 'general' score, or null (local windows, other scores). */
function luongFused(
  decoder: LuongDecoder,
  tgtIn: Tensor,
  state: RNNDecoderState,
  w: RNNDecoderWeights,
): RNNDecoderHiddenResult | null {
  if (decoder.window !== null || (decoder.score !== 'dot' && decoder.score !== 'general')) return null;
  const embedded = embedSequence(decoder, decoder.embeddingPart, tgtIn, w);
  const fed = decoder.inputFeeding;
  const r = luongGruSequence({
    embedded,
    h0: state.h[0]!,
    feed0: fed ? state.feed : null,
    keys: state.keys,
    memory: state.memory,
    mask: state.paddingMask,
    feedWeight: fed ? w.recurrence.parts2d[decoder.feedPart]! : null,
    weightHh: decoder.rnn.allWeights[0]!.weightHh,
    biasHn: w.recurrence.step[0]!.biasHn,
    outputWeight: decoder.Wc.weight,
  });
  const hidden = decoder.dropout.forward(r.outputs);
  const steps = tgtIn.shape[1]!;
  const feed = fed
    ? reshape(slice(r.outputs, 1, steps - 1, steps), [tgtIn.shape[0]!, decoder.hiddenSize])
    : null;
  return {
    hidden,
    weights: r.weights,
    state: { ...state, h: [r.last], c: null, feed, step: state.step + steps },
  };
}

/** The readable loop: `decoder.core` at every step. */
function stepsHidden(
  decoder: RNNAttentionDecoder,
  tgtIn: Tensor,
  state: RNNDecoderState,
  w: RNNDecoderWeights,
): RNNDecoderHiddenResult {
  const terms = unbind(gateMajor(w.recurrence, embedSequence(decoder, decoder.embeddingPart, tgtIn, w)));
  const outputs: Tensor[] = [];
  const weights: Tensor[] = [];
  let s = state;
  for (const term of terms) {
    const step = decoder.core(term, s, w);
    outputs.push(step.output);
    weights.push(step.weights);
    s = step.state;
  }
  return { hidden: decoder.dropout.forward(stack(outputs, 1)), weights: stack(weights, 1), state: s };
}

/** Each step t ≥ 1 reads the gold token with probability `ratio`, else the argmax of step t − 1. */
function scheduledSampling(
  decoder: RNNAttentionDecoder,
  tgtIn: Tensor,
  state: RNNDecoderState,
  w: RNNDecoderWeights,
  ratio: number,
  generator: Generator,
): RNNDecoderForwardResult {
  const [batch, steps] = tgtIn.shape as [number, number];
  const logits: Tensor[] = [];
  const weights: Tensor[] = [];
  let s = state;
  for (let t = 0; t < steps; t++) {
    const gold = t === 0 || (ratio > 0 && generator.uniform() < ratio);
    const tokens = gold ? reshape(slice(tgtIn, 1, t, t + 1), [batch]) : argmax(logits[t - 1]!, 1);
    const r = decoder.step(tokens, s, w);
    logits.push(r.logits);
    weights.push(r.weights);
    s = r.state;
  }
  return { logits: stack(logits, 1), weights: stack(weights, 1), state: s };
}
