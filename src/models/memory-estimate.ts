/**
 * How many parameters a configured model has, and how many bytes it needs, computed from its hyper-parameters
 * before anything is allocated — so that a config.json (or a command line) describing a model larger than the
 * machine is refused with the estimate in the message, instead of failing after gigabytes were allocated.
 * Browser-safe: the caller says how much memory there is.
 *
 * The counts follow the layers each architecture builds (PyTorch's parameter shapes):
 * ```
 * GRU layer, input I, hidden H:    3H·(I + H + 2)                 weight_ih, weight_hh, bias_ih, bias_hh
 * Linear I → O:                    O·(I + 1)
 * Embedding V × E:                 V·E
 * Transformer encoder layer:       4d² + 4d (attention) + 2dF + F + d (feed-forward) + 4d (two norms)
 * Transformer decoder layer:       8d² + 8d (two attentions) + 2dF + F + d + 6d (three norms)
 * learned positions:               maxLen·d per table (source and target, or the classifier's one)
 * relative positions:              2·(2k + 1)·d/H per self-attention (a^K and a^V)
 * ```
 * Small terms that depend on a variant (a bridge, a score's vector) are counted at their largest, so the
 * estimate is close to and not below the real count. The Transformers' sinusoidal position table (maxLen × d) is
 * a buffer, not a parameter, and is left out: at most 8192 × 4096 floats, small beside what the check is for.
 */
import type { ConfigValue } from './config.js';
import type { Architecture, ModelSizes } from './registry.js';

/** Bytes of one float32 parameter. */
const FLOAT_BYTES = 4;

/**
 * Copies of the parameters training holds: the weights, their gradients and Adam's two moment buffers.
 * Activations come on top and depend on the batch; this is the floor below which training cannot run.
 */
export const TRAINING_COPIES = 4;

/** The number of parameters of `architecture` with hyper-parameters `h` for the given vocabularies. */
export function estimateParameterCount(
  architecture: Architecture,
  h: Readonly<Record<string, ConfigValue>>,
  sizes: ModelSizes,
): number {
  const n = (key: string): number => (typeof h[key] === 'number' ? h[key] : 0);
  const gru = (input: number, hidden: number): number => 3 * hidden * (input + hidden + 2);
  const linear = (input: number, output: number): number => output * (input + 1);
  // Learned position tables, and Shaw's a^K, a^V in every self-attention.
  const learned = h.positions === 'learned' ? n('maxLen') * n('dModel') : 0;
  const relative =
    h.positions === 'relative' && n('nhead') > 0
      ? 2 * (2 * n('maxRelativeDistance') + 1) * Math.ceil(n('dModel') / n('nhead'))
      : 0;
  switch (architecture) {
    case 'gru-bahdanau':
    case 'gru-luong': {
      const [vs, vt] = [sizes.srcVocabSize ?? 0, sizes.tgtVocabSize ?? 0];
      const [e, hidden, layers] = [n('embeddingDim'), n('hiddenSize'), n('numLayers')];
      const directions = h.bidirectional === true ? 2 : 1;
      const encoderOut = directions * hidden;
      const units = n('attentionUnits') > 0 ? n('attentionUnits') : hidden;
      const encoder = directions * (gru(e, hidden) + (layers - 1) * gru(encoderOut, hidden));
      const bridge = directions > 1 ? linear(encoderOut, hidden) : 0;
      const scorer = linear(encoderOut, units) + linear(hidden, units) + linear(units, 1);
      // The location score's W_a [maxSourceLength, H] can outgrow every other score.
      const location = h.score === 'location' ? n('maxSourceLength') * hidden : 0;
      const attention = Math.max(scorer, location);
      const combine = linear(encoderOut + hidden, hidden);
      const decoder = gru(e + encoderOut + hidden, hidden) + (layers - 1) * gru(hidden, hidden);
      return (vs + vt) * e + encoder + bridge + attention + combine + decoder + linear(hidden, vt);
    }
    case 'transformer': {
      const [vs, vt] = [sizes.srcVocabSize ?? 0, sizes.tgtVocabSize ?? 0];
      const [d, f] = [n('dModel'), n('dimFeedforward')];
      const feedForward = 2 * d * f + f + d;
      const encoderLayer = 4 * d * d + 4 * d + feedForward + 4 * d;
      const decoderLayer = 8 * d * d + 8 * d + feedForward + 6 * d;
      const layers = n('numEncoderLayers') * encoderLayer + n('numDecoderLayers') * decoderLayer + 4 * d;
      const positions = 2 * learned + (n('numEncoderLayers') + n('numDecoderLayers')) * relative;
      return (vs + vt) * d + layers + positions + linear(d, vt);
    }
    case 'bigru-attention': {
      const [v, classes] = [sizes.vocabSize ?? 0, sizes.numClasses ?? 0];
      const [e, hidden, layers] = [n('embeddingDim'), n('hiddenSize'), n('numLayers')];
      const out = 2 * hidden;
      const units = n('attentionUnits') > 0 ? n('attentionUnits') : out;
      const encoder = 2 * (gru(e, hidden) + (layers - 1) * gru(out, hidden));
      return v * e + encoder + linear(out, units) + linear(units, 1) + linear(out, classes);
    }
    case 'transformer-cls': {
      const [v, classes] = [sizes.vocabSize ?? 0, sizes.numClasses ?? 0];
      const [d, f] = [n('dModel'), n('dimFeedforward')];
      const units = n('attentionUnits') > 0 ? n('attentionUnits') : d;
      const layer = 4 * d * d + 4 * d + 2 * d * f + f + d + 4 * d;
      const pooling = linear(d, units) + linear(units, 1);
      const positions = learned + n('numLayers') * relative;
      return v * d + n('numLayers') * layer + positions + 2 * d + pooling + linear(d, classes);
    }
  }
}

/** Bytes the parameters need: once for inference, `TRAINING_COPIES` times for training. */
export function estimateModelBytes(parameters: number, purpose: 'inference' | 'training'): number {
  return parameters * FLOAT_BYTES * (purpose === 'training' ? TRAINING_COPIES : 1);
}

/** A byte count for messages: `3.2 GB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
