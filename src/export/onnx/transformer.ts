/**
 * ONNX graphs of the Transformer architectures: transformer (an encoder graph and a decoder-step graph with
 * past keys and values, in the layout Hugging Face Optimum uses for Marian) and transformer-cls (one
 * classifier graph). Each mirrors attn's forward (formulas beside each part); the step is
 * TransformerSeq2SeqStepper's cached step.
 *
 * Encoder (encoder.onnx):
 *   input_ids int64 [batch, source_length], attention_mask int64 [batch, source_length] (1 token, 0 padding)
 *   → last_hidden_state [batch, source_length, d_model], and per decoder layer i the cross-attention keys and
 *     values of the memory, computed once: present.{i}.encoder.key / .value [batch, heads, source_length, head_dim]
 * Decoder step (decoder_step.onnx):
 *   input_ids int64 [batch, 1] (the previous token), encoder_attention_mask,
 *   past_key_values.{i}.decoder.key / .value [batch, heads, past_length, head_dim] (past_length 0 first),
 *   past_key_values.{i}.encoder.key / .value (the encoder's present.{i}.encoder.*)
 *   → logits [batch, 1, vocab], log_probs [batch, vocab], present.{i}.decoder.key / .value
 *     [batch, heads, past_length + 1, head_dim], cross_attentions [layers, batch, heads, source_length]
 */
import type { AttentionClassifier } from '../../models/classifier/classifier.js';
import type { TransformerEncoderLayer } from '../../models/transformer/encoder-layer.js';
import type { TransformerDecoderLayer } from '../../models/transformer/decoder-layer.js';
import { SinusoidalPositionalEncoding } from '../../models/transformer/sinusoidal-positional-encoding.js';
import type { TransformerSeq2Seq } from '../../models/transformer-seq2seq/model.js';
import { TransformerEncoder } from '../../models/transformer/encoder.js';
import type { LayerNorm } from '../../nn/layer-norm.js';
import { fail } from '../../tensor/errors.js';
import { OnnxGraph } from './graph.js';
import { DataType, ModelGraph } from './ops.js';
import { classifierHead, type ExportedGraph } from './rnn.js';

const OP = 'exportOnnx';

function checkLayer(layer: TransformerEncoderLayer | TransformerDecoderLayer): void {
  if (layer.activation !== 'relu') fail(OP, 'only Transformer layers with the relu activation are exported');
}

/** ff(x) = linear2(relu(linear1(x))). */
function feedForward(
  m: ModelGraph,
  x: string,
  layer: TransformerEncoderLayer | TransformerDecoderLayer,
): string {
  return m.module(m.g.op('Relu', [m.module(x, layer.linear1)]), layer.linear2);
}

/**
 * A block with its residual and norm: pre-norm x + f(norm(x)), post-norm norm(x + f(x)). `f` returns the
 * block's output.
 */
function residual(
  m: ModelGraph,
  x: string,
  norm: LayerNorm,
  normFirst: boolean,
  f: (y: string) => string,
): string {
  if (normFirst) return m.g.op('Add', [x, f(m.layerNorm(x, norm))]);
  return m.layerNorm(m.g.op('Add', [x, f(x)]), norm);
}

/** An encoder stack over x [B, T, E] with key padding `masked` (bool [B, 1, 1, T]), then its final norm. */
function encoderStack(m: ModelGraph, encoder: TransformerEncoder, x: string, masked: string): string {
  let h = x;
  for (const layer of encoder.layers) {
    checkLayer(layer);
    h = residual(m, h, layer.norm1, layer.normFirst, (y) => {
      const mha = layer.selfAttn;
      return m.attention(y, mha, m.headsOf(y, mha, 1), m.headsOf(y, mha, 2), masked).out;
    });
    h = residual(m, h, layer.norm2, layer.normFirst, (y) => feedForward(m, y, layer));
  }
  return encoder.norm ? m.layerNorm(h, encoder.norm) : h;
}

/** PE[offset : offset + length] of a sinusoidal table, as the initializer `{name}.pe` (not a parameter). */
function positions(m: ModelGraph, pos: unknown, name: string, start: string, end: string): string {
  if (!(pos instanceof SinusoidalPositionalEncoding))
    return fail(OP, 'only sinusoidal positions are exported');
  const g = m.g;
  return g.op('Slice', [m.buffer(`${name}.pe`, pos.pe), start, end, g.ints([0])]);
}

/** Bool [B, 1, 1, S], true at padding, from an int64 attention mask [B, S]. */
function keyPadding(m: ModelGraph, mask: string): string {
  return m.g.op('Unsqueeze', [m.paddingMask(mask), m.g.ints([1, 2])]);
}

/** The length of axis `axis` of x as an int64 [1]. */
function length(m: ModelGraph, x: string, axis: number): string {
  return m.g.op('Shape', [x], { start: axis, end: axis + 1 });
}

function transformerEncoder(model: TransformerSeq2Seq): ExportedGraph {
  const g = new OnnxGraph('attn_encoder');
  const m = new ModelGraph(g, model);
  const { ids, mask } = m.tokenInputs('source_length', 'source token ids');
  // x = Embedding(src)·√E + PE[0 : S]
  const scaled = g.op('Mul', [
    m.embed(model.srcEmbedding.weight, ids),
    g.floats([Math.sqrt(model.dModel)], []),
  ]);
  const x = g.op('Add', [scaled, positions(m, model.srcPos, 'src_pos', g.ints([0]), length(m, ids, 1))]);
  const memory = encoderStack(m, model.encoder, x, keyPadding(m, mask));
  const E = model.dModel;
  g.output('last_hidden_state', memory, DataType.FLOAT, ['batch', 'source_length', E]);
  const heads = model.nhead;
  const d = E / heads;
  model.decoder.layers.forEach((layer, i) => {
    const mha = layer.multiheadAttn;
    const dims = ['batch', heads, 'source_length', d];
    g.output(`present.${i}.encoder.key`, m.headsOf(memory, mha, 1), DataType.FLOAT, dims);
    g.output(`present.${i}.encoder.value`, m.headsOf(memory, mha, 2), DataType.FLOAT, dims);
  });
  return { file: 'encoder.onnx', graph: g, doc: 'attn TransformerSeq2Seq encoder' };
}

function transformerDecoderStep(model: TransformerSeq2Seq): ExportedGraph {
  const g = new OnnxGraph('attn_decoder_step');
  const m = new ModelGraph(g, model);
  const heads = model.nhead;
  const E = model.dModel;
  const d = E / heads;
  const ids = g.input(
    'input_ids',
    DataType.INT64,
    ['batch', 1],
    'the previous target token (<sos> = 1 first)',
  );
  const mask = g.input('encoder_attention_mask', DataType.INT64, ['batch', 'source_length']);
  const layers = model.decoder.layers;
  const past = layers.map((_, i) => {
    const self = ['batch', heads, 'past_length', d];
    const cross = ['batch', heads, 'source_length', d];
    return {
      key: g.input(`past_key_values.${i}.decoder.key`, DataType.FLOAT, self),
      value: g.input(`past_key_values.${i}.decoder.value`, DataType.FLOAT, self),
      crossKey: g.input(`past_key_values.${i}.encoder.key`, DataType.FLOAT, cross),
      crossValue: g.input(`past_key_values.${i}.encoder.value`, DataType.FLOAT, cross),
    };
  });
  // x = Embedding(y)·√E + PE[t : t + 1], t = past_length (the tokens fed so far).
  const t = length(m, past[0]!.key, 2);
  const end = g.op('Add', [t, g.ints([1])]);
  const scaled = g.op('Mul', [m.embed(model.tgtEmbedding.weight, ids), g.floats([Math.sqrt(E)], [])]);
  let x = g.op('Add', [scaled, positions(m, model.tgtPos, 'tgt_pos', t, end)]);
  const masked = keyPadding(m, mask);
  const cross: string[] = [];
  layers.forEach((layer, i) => {
    checkLayer(layer);
    // Self-attention over the past keys and values and the new position's (all in the past: no mask).
    x = residual(m, x, layer.norm1, layer.normFirst, (y) => {
      const mha = layer.selfAttn;
      const key = g.op('Concat', [past[i]!.key, m.headsOf(y, mha, 1)], { axis: 2 });
      const value = g.op('Concat', [past[i]!.value, m.headsOf(y, mha, 2)], { axis: 2 });
      const dims = ['batch', heads, 'past_length + 1', d];
      g.output(`present.${i}.decoder.key`, key, DataType.FLOAT, dims);
      g.output(`present.${i}.decoder.value`, value, DataType.FLOAT, dims);
      return m.attention(y, mha, key, value, null).out;
    });
    // Cross-attention over the memory's keys and values, padding masked.
    x = residual(m, x, layer.norm2, layer.normFirst, (y) => {
      const a = m.attention(y, layer.multiheadAttn, past[i]!.crossKey, past[i]!.crossValue, masked);
      // [B, H, 1, S] → [1, B, H, S]
      cross.push(g.op('Unsqueeze', [g.op('Squeeze', [a.weights, g.ints([2])]), g.ints([0])]));
      return a.out;
    });
    x = residual(m, x, layer.norm3, layer.normFirst, (y) => feedForward(m, y, layer));
  });
  if (model.decoder.norm) x = m.layerNorm(x, model.decoder.norm);
  // logits = x·Wᵀ + b (W the generator's, or the target embedding's when tied).
  const out = model.generator;
  const logits = g.op('Add', [
    g.op('MatMul', [x, g.op('Transpose', [m.param(out.weight)], { perm: [1, 0] })]),
    m.param(out.bias),
  ]);
  const V = model.tgtVocabSize;
  g.output('logits', logits, DataType.FLOAT, ['batch', 1, V]);
  const flat = g.op('Squeeze', [logits, g.ints([1])]);
  g.output('log_probs', g.op('LogSoftmax', [flat], { axis: -1 }), DataType.FLOAT, ['batch', V]);
  const weights = cross.length === 1 ? cross[0]! : g.op('Concat', cross, { axis: 0 });
  g.output('cross_attentions', weights, DataType.FLOAT, [layers.length, 'batch', heads, 'source_length']);
  return { file: 'decoder_step.onnx', graph: g, doc: 'attn TransformerSeq2Seq decoder step' };
}

export function exportTransformerSeq2Seq(model: TransformerSeq2Seq): ExportedGraph[] {
  return [transformerEncoder(model), transformerDecoderStep(model)];
}

/**
 * transformer-cls: ids → Embedding + PE[0 : T] → encoder layers (key padding masked) → h [B, T, E]; then the
 * attention pooling head of every classifier (see rnn.ts).
 */
export function exportTransformerClassifier(model: AttentionClassifier): ExportedGraph[] {
  const encoder = model.encoder;
  if (!(encoder instanceof TransformerEncoder)) return fail(OP, 'expected a Transformer classifier');
  const g = new OnnxGraph('attn_classifier');
  const m = new ModelGraph(g, model);
  const { ids, mask } = m.tokenInputs('sequence_length');
  const x = g.op('Add', [
    m.embed(model.embedding.weight, ids),
    positions(m, model.positions, 'positions', g.ints([0]), length(m, ids, 1)),
  ]);
  const h = encoderStack(m, encoder, x, keyPadding(m, mask));
  classifierHead(m, model, h, m.paddingMask(mask));
  return [{ file: 'model.onnx', graph: g, doc: 'attn AttentionClassifier (transformer)' }];
}
