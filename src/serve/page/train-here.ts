/**
 * "Train the date model here": the model of `attn demo` (a GRU encoder and a Bahdanau-attention decoder that
 * turn dates as people write them into ISO dates, character by character), trained in this tab on the
 * WebAssembly backend with the demo's settings. It reports each step, and every `previewEvery` steps how the
 * model translates and attends to one date so far; at the end, its exact match on dates it never saw.
 */
import { dateTask } from '../../data/tasks/date-task.js';
import { Adam } from '../../optim/adam.js';
import { cosineWithWarmup, LRScheduler } from '../../optim/schedules.js';
import { parseModelConfig } from '../../inference/model-config.js';
import { createPredictor, type BatchPredictor } from '../../inference/predictor.js';
import type { TranslationResult } from '../../inference/types.js';
import { buildModel } from '../../models/registry.js';
import { Generator } from '../../tensor/random.js';
import { Trainer } from '../../train/trainer.js';
import { TranslationTask } from '../../train/translation-task.js';
import { tabBackend } from './in-tab.js';

export interface DateTraining {
  /** Updates to make (default 900, the demo's); training stops earlier once the dev exact match reaches 99.8%. */
  steps?: number;
  /** Evaluate on the dev split every this many steps (default 150). */
  evalEvery?: number;
  /** Draw the preview every this many steps (default 25). */
  previewEvery?: number;
  /** The date the preview translates. */
  previewText?: string;
  onStep?: (step: number, steps: number, loss: number) => void;
  onPreview?: (step: number, result: TranslationResult) => void;
  signal?: AbortSignal;
}

export interface DateTrainingResult {
  predictor: BatchPredictor;
  steps: number;
  seconds: number;
  /** Exact match on held-out dates (none of them a training source). */
  heldOutExactMatch: number;
  heldOut: number;
}

/** The demo's settings (src/cli/demo.ts), so a model trained here is the one `attn demo` trains. */
const SETTINGS = {
  count: 20000,
  devFraction: 0.025,
  embeddingDim: 32,
  hiddenSize: 64,
  batchSize: 64,
  lr: 0.004,
};
const TARGET_EXACT_MATCH = 0.998;
const HELD_OUT = 500;

export async function trainDateModel(options: DateTraining = {}): Promise<DateTrainingResult> {
  const steps = options.steps ?? 900;
  const previewEvery = options.previewEvery ?? 25;
  const previewText = options.previewText ?? 'Monday the 8th of March 1999';
  await tabBackend();
  const seed = 0;
  const {
    pairs,
    sourceTokenizer: source,
    targetTokenizer: target,
  } = dateTask({ count: SETTINGS.count, seed });
  const encode = (p: { source: string; target: string }) => ({
    source: source.encode(p.source, { eos: true }),
    target: target.encode(p.target),
  });
  const devCount = Math.round(pairs.length * SETTINGS.devFraction);
  const trainPairs = pairs.slice(devCount);
  const sizes = { srcVocabSize: source.vocabulary.size, tgtVocabSize: target.vocabulary.size };
  const model = { embeddingDim: SETTINGS.embeddingDim, hiddenSize: SETTINGS.hiddenSize, dropout: 0 };
  const architecture = 'gru-bahdanau';
  const built = buildModel(architecture, model, sizes, new Generator(seed));
  if (built.task !== 'translate') throw new Error(`${architecture} is not a translation model`);
  const config = parseModelConfig(
    { format: 'attn-model', version: 1, task: 'translate', architecture, model, sourceEos: true },
    'the date model',
  );
  const predictorOf = () => createPredictor({ model: built, config, tokenizers: { source, target } });
  const task = new TranslationTask({
    model: built.model,
    train: trainPairs.map(encode),
    splits: { dev: pairs.slice(0, devCount).map(encode) },
    batching: { batchSize: SETTINGS.batchSize, sourceEos: true },
    targetTokenizer: target,
  });
  const optimizer = new Adam(built.model.parameters(), { lr: SETTINGS.lr });
  const stop = new AbortController();
  options.signal?.addEventListener('abort', () => stop.abort());
  const started = performance.now();
  const result = await new Trainer({
    task,
    optimizer,
    scheduler: new LRScheduler(optimizer, cosineWithWarmup(0, steps)),
    maxSteps: steps,
    seed,
    evalEveryEpoch: false,
    evalEvery: options.evalEvery ?? 150,
    abortSignal: stop.signal,
    onStep: ({ step, loss }) => {
      options.onStep?.(step, steps, loss);
      if (options.onPreview && (step % previewEvery === 0 || step === steps)) {
        options.onPreview(step, predictorOf().translate(previewText));
        built.model.train();
      }
    },
    log: (record) => {
      if (record.kind === 'eval' && (record.metrics.exactMatch ?? 0) >= TARGET_EXACT_MATCH) stop.abort();
    },
  }).fit();
  const seconds = (performance.now() - started) / 1000;
  if (options.signal?.aborted) throw new Error('training stopped');

  // Held out: dates from another seed whose written form the model never trained on.
  const seen = new Set(trainPairs.map((p) => p.source));
  const test = dateTask({ count: HELD_OUT + 200, seed: seed + 7919 })
    .pairs.filter((p) => !seen.has(p.source))
    .slice(0, HELD_OUT);
  const predictor = predictorOf();
  const answers = predictor.translateBatch(test.map((p) => p.source));
  const correct = answers.filter((a, i) => a.hypotheses[0]!.text === test[i]!.target).length;
  return {
    predictor,
    steps: result.step,
    seconds,
    heldOutExactMatch: correct / test.length,
    heldOut: test.length,
  };
}
