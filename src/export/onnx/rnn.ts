/**
 * ONNX graphs of the GRU architectures: gru-bahdanau and gru-luong (an encoder graph and a decoder-step graph)
 * and bigru-attention (one classifier graph). Each mirrors attn's forward (the formulas beside each part); the
 * exported step is RNNSeq2SeqStepper's step: the same inputs give the same log-probabilities and attention.
 *
 * Encoder (encoder.onnx):
 *   input_ids int64 [batch, source_length], attention_mask int64 [batch, source_length] (1 token, 0 padding)
 *   → last_hidden_state [batch, source_length, D·H] (0 at padding), attention_keys [batch, source_length, K]
 *     (the score's key side, computed once per source: W1·k + b1, W·k, W_k·k + b or k), hidden_state
 *     [layers, batch, H] (the decoder's initial state: the bridge of a bidirectional encoder applied)
 * Decoder step (decoder_step.onnx):
 *   input_ids int64 [batch, 1] (the previous token), encoder_hidden_states, attention_keys,
 *   encoder_attention_mask, past_hidden_state [layers, batch, H] (and past_attentional_state [batch, H] for
 *   Luong with input feeding, zeros at the first step)
 *   → logits [batch, 1, vocab], log_probs [batch, vocab], present_hidden_state (and present_attentional_state),
 *     attention_weights [batch, source_length]
 */
import { AdditiveAttention } from '../../attention/additive.js';
import { ConcatAttention } from '../../attention/concat.js';
import { DotAttention } from '../../attention/dot.js';
import { GeneralAttention } from '../../attention/general.js';
import type { Attention } from '../../attention/attention.js';
import type { AttentionClassifier } from '../../models/classifier/classifier.js';
import { BahdanauSeq2Seq } from '../../models/seq2seq/bahdanau-seq2seq.js';
import { LuongDecoder } from '../../models/seq2seq/luong-decoder.js';
import type { LuongSeq2Seq } from '../../models/seq2seq/luong-seq2seq.js';
import { GRU } from '../../nn/rnn.js';
import { fail } from '../../tensor/errors.js';
import { OnnxGraph } from './graph.js';
import { DataType, ModelGraph } from './ops.js';

const OP = 'exportOnnx';

export interface ExportedGraph {
  file: string;
  graph: OnnxGraph;
  doc: string;
}

function checkAttention(attention: Attention): void {
  if (attention.normalizer !== 'softmax' || attention.scoreBias || attention.window)
    fail(OP, 'only global softmax attention without a score bias is exported');
}

/**
 * The encoder's time-major output over lengths: every layer of `rnn`, the outputs of a layer's directions
 * joined ([T, D, B, H] → [T, B, D·H]) as the next layer's input. Returns the last layer's outputs and every
 * layer's final states Y_h [D, B, H].
 */
function gruStack(
  m: ModelGraph,
  rnn: GRU,
  embedded: string,
  lengths: string,
): { out: string; finals: string[] } {
  const g = m.g;
  let x = g.op('Transpose', [embedded], { perm: [1, 0, 2] });
  const finals: string[] = [];
  for (let layer = 0; layer < rnn.numLayers; layer++) {
    const { Y, Yh } = m.gruLayer(rnn, layer, x, lengths, '');
    x = g.op('Reshape', [g.op('Transpose', [Y], { perm: [0, 2, 1, 3] }), g.ints([0, 0, -1])]);
    finals.push(Yh);
  }
  return { out: g.op('Transpose', [x], { perm: [1, 0, 2] }), finals };
}

/** The lengths int32 [B] and the float mask [B, T, 1] (1 at tokens) of an int64 attention mask. */
function lengthsOf(m: ModelGraph, mask: string): { lengths: string; keep: string } {
  const g = m.g;
  const lengths = g.op('Cast', [g.op('ReduceSum', [mask, g.ints([1])], { keepdims: 0 })], {
    to: DataType.INT32,
  });
  const keep = g.op('Unsqueeze', [g.op('Cast', [mask], { to: DataType.FLOAT }), g.ints([2])]);
  return { lengths, keep };
}

/** Features of the score's prepared keys: the units of W1, W or concat's W; the encoder's width for dot. */
function keyWidth(model: BahdanauSeq2Seq | LuongSeq2Seq): number {
  const attention = model.decoder.attention;
  if (attention instanceof AdditiveAttention) return attention.W1.outFeatures;
  if (attention instanceof GeneralAttention || attention instanceof ConcatAttention)
    return attention.W.outFeatures;
  return model.encoder.outputSize;
}

/** The encoder graph of gru-bahdanau and gru-luong. */
function rnnEncoder(model: BahdanauSeq2Seq | LuongSeq2Seq): ExportedGraph {
  const enc = model.encoder;
  if (!(enc.rnn instanceof GRU)) fail(OP, 'only GRU encoders are exported');
  const g = new OnnxGraph('attn_encoder');
  const m = new ModelGraph(g, model);
  const { ids, mask } = m.tokenInputs('source_length', 'source token ids');
  const { lengths, keep } = lengthsOf(m, mask);
  // outputs = GRU(Embedding(src)) on the lengths, zero at padding.
  const { out, finals } = gruStack(m, enc.rnn, m.embed(enc.embedding.weight, ids), lengths);
  const memory = g.op('Mul', [out, keep]);
  // The decoder's initial state: the final states as they are, or per layer tanh(bridge([h_fwd; h_rev])).
  const layers = finals.map((yh) => {
    if (!enc.bidirectional) return yh;
    const both = g.op('Reshape', [g.op('Transpose', [yh], { perm: [1, 0, 2] }), g.ints([0, -1])]);
    const h = g.op('Tanh', [m.module(both, enc.bridge!)]);
    return g.op('Unsqueeze', [h, g.ints([0])]);
  });
  const state = layers.length === 1 ? layers[0]! : g.op('Concat', layers, { axis: 0 });
  const attention = model.decoder.attention;
  checkAttention(attention);
  let keys: string;
  if (attention instanceof AdditiveAttention) {
    keys = m.module(memory, attention.W1); // W1 k + b1
  } else if (attention instanceof GeneralAttention) {
    keys = m.module(memory, attention.W); // W k
  } else if (attention instanceof ConcatAttention) {
    // W_k k + b, W_k the key columns of W [units, dq + dk].
    const wk = m.slice(m.param(attention.W.weight), 1, model.decoder.hiddenSize, attention.W.inFeatures);
    keys = g.op('Add', [
      g.op('MatMul', [memory, g.op('Transpose', [wk], { perm: [1, 0] })]),
      m.param(attention.W.bias),
    ]);
  } else if (attention instanceof DotAttention) {
    keys = memory; // k
  } else return fail(OP, `the attention ${attention.constructor.name} is not exported`);
  g.output('last_hidden_state', memory, DataType.FLOAT, ['batch', 'source_length', enc.outputSize]);
  g.output('attention_keys', keys, DataType.FLOAT, ['batch', 'source_length', keyWidth(model)]);
  g.output('hidden_state', state, DataType.FLOAT, [
    model.decoder.numLayers,
    'batch',
    model.decoder.hiddenSize,
  ]);
  return { file: 'encoder.onnx', graph: g, doc: `attn ${model.constructor.name} encoder` };
}

/** The decoder-step graph of gru-bahdanau and gru-luong. */
function rnnDecoderStep(model: BahdanauSeq2Seq | LuongSeq2Seq): ExportedGraph {
  const dec = model.decoder;
  const rnn = dec.rnn;
  if (!(rnn instanceof GRU)) fail(OP, 'only GRU decoders are exported');
  const g = new OnnxGraph('attn_decoder_step');
  const m = new ModelGraph(g, model);
  const H = dec.hiddenSize;
  const L = dec.numLayers;
  const attention = dec.attention;
  const luong = dec instanceof LuongDecoder ? dec : null;
  const feeding = luong?.inputFeeding ?? false;
  const ids = g.input(
    'input_ids',
    DataType.INT64,
    ['batch', 1],
    'the previous target token (<sos> = 1 first)',
  );
  const memory = g.input('encoder_hidden_states', DataType.FLOAT, ['batch', 'source_length', dec.encoderDim]);
  const keys = g.input('attention_keys', DataType.FLOAT, ['batch', 'source_length', keyWidth(model)]);
  const mask = g.input('encoder_attention_mask', DataType.INT64, ['batch', 'source_length']);
  const past = g.input('past_hidden_state', DataType.FLOAT, [L, 'batch', H]);
  const feed = feeding
    ? g.input('past_attentional_state', DataType.FLOAT, ['batch', H], 'zeros at the first step')
    : null;
  const masked = m.paddingMask(mask);
  const embedded = m.embed(dec.embedding.weight, g.op('Reshape', [ids, g.ints([-1])]));

  // α = softmax(e, −∞ at padding), context = Σ_j α_j k_j, for scores e [B, S].
  const attend = (scores: string) => {
    const weights = m.maskedSoftmax(scores, masked);
    const context = g.op('Squeeze', [
      g.op('MatMul', [g.op('Unsqueeze', [weights, g.ints([1])]), memory]),
      g.ints([1]),
    ]);
    return { weights, context };
  };
  // Every layer one step: h_l = GRU(x_l, h_l), x_{l+1} = h_l.
  const advance = (x0: string) => {
    const hs: string[] = [];
    let x = x0;
    for (let l = 0; l < L; l++) {
      const h0 = m.slice(past, 0, l, l + 1);
      const { Yh } = m.gruLayer(rnn, l, g.op('Unsqueeze', [x, g.ints([0])]), '', h0);
      hs.push(Yh);
      x = g.op('Squeeze', [Yh, g.ints([0])]);
    }
    return { top: x, state: L === 1 ? hs[0]! : g.op('Concat', hs, { axis: 0 }) };
  };

  let output: string;
  let weights: string;
  let state: string;
  checkAttention(attention);
  if (!luong) {
    if (!(attention instanceof AdditiveAttention))
      return fail(OP, 'a Bahdanau decoder has additive attention');
    // e_j = Vᵀ tanh(W1 k_j + W2 h) with h the top layer's state before the step; x = [context; embedding].
    const hTop = g.op('Squeeze', [m.slice(past, 0, L - 1, L), g.ints([0])]);
    const q = g.op('Unsqueeze', [m.module(hTop, attention.W2), g.ints([1])]);
    const scores = g.op('Squeeze', [
      m.module(g.op('Tanh', [g.op('Add', [keys, q])]), attention.V),
      g.ints([2]),
    ]);
    const a = attend(scores);
    weights = a.weights;
    const next = advance(g.op('Concat', [a.context, embedded], { axis: 1 }));
    output = next.top;
    state = next.state;
  } else {
    // x = [embedding; h̃_{t−1}], every layer steps, then the new top h_t queries the encoder outputs.
    const next = advance(feed ? g.op('Concat', [embedded, feed], { axis: 1 }) : embedded);
    state = next.state;
    let scores: string;
    if (attention instanceof ConcatAttention) {
      // e_j = vᵀ tanh(W_q h + (W_k k_j + b)), W_q the query columns of W.
      const wq = m.slice(m.param(attention.W.weight), 1, 0, H);
      const fromQuery = g.op('MatMul', [next.top, g.op('Transpose', [wq], { perm: [1, 0] })]);
      const hidden = g.op('Tanh', [g.op('Add', [keys, g.op('Unsqueeze', [fromQuery, g.ints([1])])])]);
      scores = g.op('Squeeze', [m.module(hidden, attention.v), g.ints([2])]);
    } else if (attention instanceof GeneralAttention || attention instanceof DotAttention) {
      // e_j = h·(W k_j) or h·k_j.
      const q = g.op('Unsqueeze', [next.top, g.ints([1])]);
      const kt = g.op('Transpose', [keys], { perm: [0, 2, 1] });
      scores = g.op('Squeeze', [g.op('MatMul', [q, kt]), g.ints([1])]);
    } else return fail(OP, `the Luong score of ${attention.constructor.name} is not exported`);
    const a = attend(scores);
    weights = a.weights;
    // h̃_t = tanh(W_c [c_t; h_t]).
    output = g.op('Tanh', [m.module(g.op('Concat', [a.context, next.top], { axis: 1 }), luong.Wc)]);
  }
  const logits = m.module(output, dec.fc);
  g.output('logits', g.op('Unsqueeze', [logits, g.ints([1])]), DataType.FLOAT, ['batch', 1, dec.vocabSize]);
  g.output('log_probs', g.op('LogSoftmax', [logits], { axis: -1 }), DataType.FLOAT, ['batch', dec.vocabSize]);
  g.output('present_hidden_state', state, DataType.FLOAT, [L, 'batch', H]);
  if (feeding) g.output('present_attentional_state', output, DataType.FLOAT, ['batch', H]);
  g.output('attention_weights', weights, DataType.FLOAT, ['batch', 'source_length']);
  return { file: 'decoder_step.onnx', graph: g, doc: `attn ${model.constructor.name} decoder step` };
}

export function exportRnnSeq2Seq(model: BahdanauSeq2Seq | LuongSeq2Seq): ExportedGraph[] {
  return [rnnEncoder(model), rnnDecoderStep(model)];
}

/**
 * The bigru-attention classifier: ids → Embedding → BiGRU on the lengths (0 at padding) → h [B, T, 2H];
 * α = softmax(vᵀ tanh(W h_j + b), −∞ at padding); logits = classifier(Σ_j α_j h_j); probabilities = softmax.
 */
export function classifierHead(m: ModelGraph, model: AttentionClassifier, h: string, masked: string): void {
  const g = m.g;
  const scores = g.op('Squeeze', [
    m.module(g.op('Tanh', [m.module(h, model.pooling.W)]), model.pooling.v),
    g.ints([2]),
  ]);
  const weights = m.maskedSoftmax(scores, masked);
  const pooled = g.op('Squeeze', [
    g.op('MatMul', [g.op('Unsqueeze', [weights, g.ints([1])]), h]),
    g.ints([1]),
  ]);
  const logits = m.module(pooled, model.classifier);
  const C = model.numClasses;
  g.output('logits', logits, DataType.FLOAT, ['batch', C]);
  g.output('probabilities', g.op('Softmax', [logits], { axis: -1 }), DataType.FLOAT, ['batch', C]);
  g.output('attention_weights', weights, DataType.FLOAT, ['batch', 'sequence_length']);
}

export function exportBigruClassifier(model: AttentionClassifier): ExportedGraph[] {
  const rnn = model.encoder;
  if (!(rnn instanceof GRU)) return fail(OP, 'expected a BiGRU classifier');
  const g = new OnnxGraph('attn_classifier');
  const m = new ModelGraph(g, model);
  const { ids, mask } = m.tokenInputs('sequence_length');
  const { lengths, keep } = lengthsOf(m, mask);
  const { out } = gruStack(m, rnn, m.embed(model.embedding.weight, ids), lengths);
  classifierHead(m, model, g.op('Mul', [out, keep]), m.paddingMask(mask));
  return [{ file: 'model.onnx', graph: g, doc: 'attn AttentionClassifier (bigru)' }];
}

export { BahdanauSeq2Seq };
