/**
 * `createPredictor`: a trained model, its tokenizers and its configuration as a `Predictor` (types.ts), the one
 * object the CLI, the server and the web page use to translate or classify text. Browser-safe. Inputs are
 * decoded in batches (`translateBatch`, `classifyBatch`; sorted by length so that little is padded), and every
 * result carries the attention that produced it as plain arrays.
 */
import { Padding } from '../attention/padding.js';
import { EOS_ID, SOS_ID } from '../data/vocabulary.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { beamSearch } from '../decode/beam.js';
import { greedyDecode } from '../decode/greedy.js';
import { sampleDecode } from '../decode/sample.js';
import type { Hypothesis } from '../decode/stepper.js';
import { noGrad } from '../tensor/autograd.js';
import { fail, numberOption } from '../tensor/errors.js';
import { softmax } from '../tensor/ops/index.js';
import { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { ModelCheckpointConfig } from './model-config.js';
import type { BuiltModel } from '../models/registry.js';
import type {
  AttentionWeights,
  ClassificationResult,
  Predictor,
  PredictorInfo,
  TranslateOptions,
  TranslationHypothesis,
  TranslationResult,
} from './types.js';
import { ATTENTION_CHOICES, MAX_TEMPERATURE } from './types.js';

export { MAX_TEMPERATURE };

/** The tokenizers of a model: source and target for translation, text for classification. */
export type PredictorTokenizers = { source: Tokenizer; target: Tokenizer } | { text: Tokenizer };

export interface PredictorParts {
  /** The model, as `buildModel` returns it (its weights already loaded). */
  model: BuiltModel;
  config: ModelCheckpointConfig;
  tokenizers: PredictorTokenizers;
  /** Where the model came from (a checkpoint directory), for error messages. */
  name?: string;
  /** Inputs decoded together by the batch methods (default 32). */
  batchSize?: number;
}

/** One text to translate with its own options. */
export interface TranslationRequest {
  text: string;
  options?: TranslateOptions;
}

/**
 * A Predictor that also takes many inputs at once (faster than one by one). Each answer is the one the input
 * gets alone: a source's search never depends on another's (bounds and nBest are per source, padding is
 * masked). On the JavaScript backend that holds to the bit; on the native backend, with its default kernels, a
 * product of four rows or fewer takes a matrix-vector path that rounds differently from the tiled one, so a
 * batch may differ from a lone input in the last bits unless its batch-invariant mode is on (see the server).
 */
export interface BatchPredictor extends Predictor {
  /** One result per text, in order. */
  translateBatch(texts: readonly string[], options?: TranslateOptions): TranslationResult[];
  /**
   * One result per request, in order: requests searching alike (greedy, one beam size, or sampling with the same
   * temperature, topK and topP, each from its own seed) decode together.
   */
  translateEach(requests: readonly TranslationRequest[]): TranslationResult[];
  classifyBatch(texts: readonly string[]): ClassificationResult[];
}

interface ResolvedOptions {
  beamSize: number;
  nBest: number;
  attention: NonNullable<TranslateOptions['attention']>;
  maxLength: number | undefined;
  sampling: { temperature: number; topK: number; topP: number; seed: number } | null;
  /** Requests with the same key decode together. */
  key: string;
}

const TRANSLATE_OPTIONS = [
  'beamSize',
  'maxLength',
  'nBest',
  'attention',
  'sample',
  'temperature',
  'topK',
  'topP',
  'seed',
];
const SAMPLING_OPTIONS = ['temperature', 'topK', 'topP', 'seed'] as const;

/** The largest beam the predictor accepts (beam search keeps beamSize × vocabulary candidates per step). */
export const MAX_BEAM_SIZE = 64;

interface Encoded {
  index: number;
  ids: number[];
}

export function createPredictor(parts: PredictorParts): BatchPredictor {
  const { model: built, config, tokenizers } = parts;
  const name = parts.name ? `${parts.name} holds ` : '';
  if (built.task !== config.task) {
    fail('createPredictor', `the model is a ${built.task} model but the configuration says ${config.task}`);
  }
  const batchSize = parts.batchSize ?? 32;
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    fail('createPredictor', `batchSize must be a positive integer, got ${batchSize}`);
  const info: PredictorInfo = {
    task: config.task,
    architecture: config.architecture,
    config: { ...config.model },
    parameters: built.model.numParameters(),
    attentionLayers: built.attentionLayers,
    attentionHeads: built.attentionHeads,
  };
  const wrongTask = (op: string, want: string): never =>
    fail(
      `Predictor.${op}`,
      `${name}a ${config.task === 'translate' ? 'translation' : 'classification'} model (${config.architecture}); ` +
        `use ${want}`,
    );

  /** Encodes texts, failing on one without tokens or longer than the model takes. */
  const encode = (op: string, tokenizer: Tokenizer, texts: readonly string[], eos: boolean): Encoded[] =>
    texts.map((text, index) => {
      if (typeof text !== 'string') fail(op, `text ${index} must be a string, got ${typeof text}`);
      const ids = tokenizer.encode(text, { eos });
      if (ids.length === (eos ? 1 : 0))
        fail(op, `text ${index} has no tokens (it is empty after normalisation)`);
      if (ids.length > built.maxLength)
        fail(op, `text ${index} has ${ids.length} tokens; the model takes at most ${built.maxLength}`);
      return { index, ids };
    });

  // The longest output a request may ask for.
  const lengthLimit = Math.min(built.maxLength, 10_000);

  const translateEach = (requests: readonly TranslationRequest[]): TranslationResult[] => {
    const op = 'Predictor.translate';
    if (built.task !== 'translate' || !('source' in tokenizers)) return wrongTask('translate', 'classify');
    const options = requests.map((r) => resolveTranslateOptions(op, r.options ?? {}, lengthLimit));
    const { source, target } = tokenizers;
    const model = built.model;
    model.eval();
    const encoded = encode(
      op,
      source,
      requests.map((r) => r.text),
      config.sourceEos ?? false,
    );
    // Requests decode together when they search alike (greedy, beams of one size, or sampling alike); each keeps
    // its own bound on the output length, its own nBest and its own generator, which the searches take per source.
    const results = new Array<TranslationResult>(requests.length);
    for (const key of new Set(options.map((o) => o.key))) {
      const group = encoded.filter((e) => options[e.index]!.key === key);
      const { beamSize, sampling } = options[group[0]!.index]!;
      const answers = inBatches(group, batchSize, (batch) =>
        noGrad(() => {
          const { ids, padding } = padBatch(batch);
          const own = batch.map((item) => options[item.index]!);
          // Without a bound of its own, a source may generate twice its length and ten more tokens.
          const maxLength = batch.map(
            (item, b) =>
              own[b]!.maxLength ??
              Math.min(lengthLimit, config.maxDecodeLength ?? Infinity, 2 * item.ids.length + 10),
          );
          const stepper = model.stepper(ids, padding);
          const search = { sos: SOS_ID, eos: EOS_ID, maxLength };
          const found: Hypothesis[][] = sampling
            ? sampleDecode(stepper, {
                ...search,
                temperature: sampling.temperature,
                topK: sampling.topK,
                topP: sampling.topP,
                generator: own.map((o) => new Generator(o.sampling!.seed)),
              }).map((h) => [h])
            : beamSize > 1
              ? beamSearch(stepper, { ...search, beamSize, nBest: own.map((o) => o.nBest) })
              : greedyDecode(stepper, search).map((h) => [h]);
          return batch.map((item, b) => ({
            sourceTokens: item.ids.map((id) => source.vocabulary.token(id)),
            hypotheses: found[b]!.map((h, rank) => {
              const { attention } = own[b]!;
              const weights = attention === 'all' || (attention === 'best' && rank === 0);
              const shape = {
                sourceLength: item.ids.length,
                layers: built.attentionLayers,
                heads: built.attentionHeads,
              };
              return hypothesis(h, target, weights ? shape : null);
            }),
          }));
        }),
      );
      group.forEach((item, i) => (results[item.index] = answers[i]!));
    }
    return results;
  };

  const translateBatch = (texts: readonly string[], options: TranslateOptions = {}): TranslationResult[] =>
    translateEach(texts.map((text) => ({ text, options })));

  const classifyBatch = (texts: readonly string[]): ClassificationResult[] => {
    const op = 'Predictor.classify';
    if (built.task !== 'classify' || !('text' in tokenizers)) return wrongTask('classify', 'translate');
    const labels = config.labels!;
    const { text: tokenizer } = tokenizers;
    const model = built.model;
    model.eval();
    const encoded = encode(op, tokenizer, texts, false);
    return inBatches(encoded, batchSize, (batch) =>
      noGrad(() => {
        const { ids, padding } = padBatch(batch);
        const out = model.forward(ids, padding);
        const probs = softmax(out.logits, -1).data;
        const t = ids.shape[1]!;
        const c = labels.length;
        return batch.map((item, b) => {
          const probabilities = Array.from(probs.subarray(b * c, (b + 1) * c));
          let best = 0;
          for (let k = 1; k < c; k++) if (probabilities[k]! > probabilities[best]!) best = k;
          return {
            tokens: item.ids.map((id) => tokenizer.vocabulary.token(id)),
            label: labels[best]!,
            labels: [...labels],
            probabilities,
            weights: Array.from(out.weights.data.subarray(b * t, b * t + item.ids.length)),
          };
        });
      }),
    );
  };

  return {
    info,
    translate: (text, options) => translateBatch([text], options)[0]!,
    classify: (text) => classifyBatch([text])[0]!,
    translateBatch,
    translateEach,
    classifyBatch,
  };
}

/** Runs `fn` over batches of similar length and returns its results in the order of `items`. */
function inBatches<R>(items: Encoded[], batchSize: number, fn: (batch: Encoded[]) => R[]): R[] {
  const order = items.map((_, i) => i).sort((a, b) => items[a]!.ids.length - items[b]!.ids.length);
  const out = new Array<R>(items.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const positions = order.slice(start, start + batchSize);
    fn(positions.map((p) => items[p]!)).forEach((r, i) => (out[positions[i]!] = r));
  }
  return out;
}

/** One request's options checked, with their defaults filled in; maxLength at most `lengthLimit`. */
function resolveTranslateOptions(
  op: string,
  options: TranslateOptions,
  lengthLimit: number,
): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    fail(op, `options must be an object, got ${String(options)}`);
  for (const [key, value] of Object.entries(options))
    if (value !== undefined && !TRANSLATE_OPTIONS.includes(key))
      fail(op, `unknown option '${key}'; the options are ${TRANSLATE_OPTIONS.join(', ')}`);
  const beamSize = numberOption(op, 'beamSize', options.beamSize, 1, {
    min: 1,
    max: MAX_BEAM_SIZE,
    integer: true,
  });
  const nBest = numberOption(op, 'nBest', options.nBest, 1, { min: 1, max: beamSize, integer: true });
  const attention = options.attention ?? 'all';
  if (!ATTENTION_CHOICES.includes(attention))
    fail(op, `attention must be one of ${ATTENTION_CHOICES.join(', ')}, got ${String(attention)}`);
  const maxLength =
    options.maxLength === undefined
      ? undefined
      : numberOption(op, 'maxLength', options.maxLength, 0, { min: 1, max: lengthLimit, integer: true });
  const sample = options.sample ?? false;
  if (typeof sample !== 'boolean') fail(op, `sample must be true or false, got ${String(sample)}`);
  let sampling: ResolvedOptions['sampling'] = null;
  if (sample) {
    if (beamSize > 1) fail(op, `sample draws one output: it does not go with beamSize ${beamSize}`);
    if (nBest > 1) fail(op, `sample draws one output: it does not go with nBest ${nBest}`);
    const temperature = numberOption(op, 'temperature', options.temperature, 1, {
      min: 0,
      max: MAX_TEMPERATURE,
    });
    if (temperature === 0)
      fail(op, 'temperature must be > 0 (use greedy decoding for the most probable tokens)');
    sampling = {
      temperature,
      topK: numberOption(op, 'topK', options.topK, 0, {
        min: 0,
        max: Number.MAX_SAFE_INTEGER,
        integer: true,
      }),
      topP: numberOption(op, 'topP', options.topP, 1, { min: 0, max: 1 }),
      // Without a seed, a fresh one: two calls draw differently.
      seed: numberOption(op, 'seed', options.seed, Math.floor(Math.random() * 2 ** 32), {
        min: 0,
        max: Number.MAX_SAFE_INTEGER,
        integer: true,
      }),
    };
    if (sampling.topP === 0) fail(op, 'topP must be > 0 (it keeps the tokens whose mass reaches topP)');
  } else {
    for (const key of SAMPLING_OPTIONS)
      if (options[key] !== undefined) fail(op, `${key} applies only when sampling (sample: true)`);
  }
  const key = sampling
    ? `sample ${sampling.temperature} ${sampling.topK} ${sampling.topP}`
    : beamSize > 1
      ? `beam ${beamSize}`
      : 'greedy';
  return { beamSize, nBest, attention, maxLength, sampling, key };
}

/** Right-padded ids [B, S] (pad id 0) and their padding. */
function padBatch(batch: Encoded[]): { ids: Tensor; padding: Padding; longest: number } {
  const longest = Math.max(...batch.map((e) => e.ids.length));
  const ids = new Int32Array(batch.length * longest);
  batch.forEach((e, b) => ids.set(e.ids, b * longest));
  return {
    ids: new Tensor(ids, [batch.length, longest], 'int32'),
    padding: Padding.fromLengths(
      batch.map((e) => e.ids.length),
      longest,
    ),
    longest,
  };
}

/** A search hypothesis as plain data: tokens, text, scores and attention over the source's own tokens. */
function hypothesis(
  h: Hypothesis,
  target: Tokenizer,
  weights: { sourceLength: number; layers: number; heads: number } | null,
): TranslationHypothesis {
  return {
    tokens: h.tokens.map((id) => target.vocabulary.token(id)),
    text: target.decode(h.tokens),
    logProb: h.logProb,
    score: h.score,
    attention: weights
      ? attentionOf(h.attention, weights.layers, weights.heads, weights.sourceLength)
      : { layers: [] },
  };
}

/**
 * Per-step attention tensors ([S] for an RNN decoder, [layers, heads, S] for a Transformer's cross-attention)
 * as `layers[l][h][t][s]`, cut to the source's own `sourceLength` tokens (the rest is padding, weight 0).
 */
export function attentionOf(
  steps: readonly Tensor[],
  layers: number,
  heads: number,
  sourceLength: number,
): AttentionWeights {
  const out: number[][][][] = Array.from({ length: layers }, () => Array.from({ length: heads }, () => []));
  for (const [t, step] of steps.entries()) {
    const width = step.size / (layers * heads);
    if (!Number.isInteger(width) || width < sourceLength) {
      fail(
        'attentionOf',
        `step ${t}: attention of ${step.size} values does not fit ${layers} layers × ${heads} heads × ${sourceLength} source tokens`,
      );
    }
    for (let l = 0; l < layers; l++) {
      for (let k = 0; k < heads; k++) {
        const offset = (l * heads + k) * width;
        out[l]![k]!.push(Array.from(step.data.subarray(offset, offset + sourceLength)));
      }
    }
  }
  return { layers: out };
}
