/**
 * The data handoff from an `attn train` run to bench/torch_train.py, so that PyTorch trains on exactly what attn
 * trained on: the run's checkpoint gives its saved settings and tokenizers, and the CLI's own data preparation
 * (src/cli/training-data.ts) rebuilds the training examples from them — the same files, length filters and ids.
 * The dev examples are those `attn eval` scores: every line of the dev file, its references normalised and
 * tokenized as the model's target side (target.decode(target.encode(reference))), as attn eval compares them.
 *
 *   npx tsx bench/export-data.ts --run RUN_DIR --out data.json
 *
 * Output (JSON): { task, arch, config (the model's hyper-parameters), sourceEos, labels, training (the run's
 * optimiser settings: lr, batchSize, optimizer, schedule, warmup, clip, ...), vocab: { src, tgt }, targetTokens,
 * train, dev }. Translation: train { source, target } id lists (no <sos>/<eos>: the batching adds them) and dev
 * { source, references }; classification: train and dev { ids, labels }.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { prepareData } from '../src/cli/training-data.js';
import type { TrainSettings } from '../src/cli/train-settings.js';
import { loadClassificationFile, loadCheckpoint, loadPairsFile } from '../src/node.js';
import { checkpointConfig, checkpointTokenizers } from '../src/inference/from-checkpoint.js';

const { values } = parseArgs({
  options: { run: { type: 'string' }, out: { type: 'string' } },
  strict: true,
});
if (!values.run || !values.out) {
  process.stderr.write('usage: npx tsx bench/export-data.ts --run RUN_DIR --out data.json\n');
  process.exit(2);
}

const snapshot = await loadCheckpoint(values.run);
const config = checkpointConfig(snapshot);
const tokenizers = checkpointTokenizers(snapshot, config);
const settings = (config.training as { settings?: TrainSettings } | undefined)?.settings;
if (!settings?.data || !settings.training) {
  throw new Error(
    `export-data: ${snapshot.source}/config.json has no training.settings (not an attn train run?)`,
  );
}
const maxLength = 'maxLen' in config.model ? config.model.maxLen : Infinity;
const data = await prepareData(config.task, settings.data, settings.training.seed, maxLength, {
  tokenizers,
  labels: config.labels,
});
const devFile = settings.data.dev;
if (devFile === undefined) throw new Error('export-data: the run has no --dev file');

const common = {
  task: config.task,
  arch: config.architecture,
  config: config.model,
  sourceEos: config.sourceEos ?? false,
  labels: config.labels ?? null,
  training: settings.training,
};
let body: Record<string, unknown>;
if (data.task === 'translate') {
  const { source, target } = data.tokenizers;
  const dev = (await loadPairsFile(devFile, { sourceColumn: settings.data.sourceColumn })).pairs;
  body = {
    vocab: { src: source.vocabulary.size, tgt: target.vocabulary.size },
    targetTokens: target.vocabulary.tokens,
    train: {
      source: data.train.map((e) => Array.from(e.source)),
      target: data.train.map((e) => Array.from(e.target)),
    },
    dev: {
      source: dev.map((p) => source.encode(p.source)),
      references: dev.map((p) => target.decode(target.encode(p.target))),
    },
  };
} else {
  const dev = await loadClassificationFile(devFile, {
    labels: data.labels,
    textColumn: settings.data.textColumn,
    labelColumn: settings.data.labelColumn,
    format: settings.data.format,
  });
  body = {
    vocab: { src: data.tokenizers.text.vocabulary.size },
    train: { ids: data.train.map((e) => Array.from(e.ids)), labels: data.train.map((e) => e.label!) },
    dev: {
      ids: dev.examples.map((e) => data.tokenizers.text.encode(e.text)),
      labels: dev.examples.map((e) => e.label),
    },
  };
}
writeFileSync(values.out, JSON.stringify({ ...common, ...body }));
process.stderr.write(
  `export-data: ${data.train.length} training examples, ${(body.dev as { references?: unknown[]; ids?: unknown[] }).references?.length ?? (body.dev as { ids: unknown[] }).ids.length} dev examples → ${values.out}\n`,
);
