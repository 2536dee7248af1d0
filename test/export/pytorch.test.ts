// The PyTorch export against PyTorch itself (Debian's /usr/bin/python3 with torch): for every architecture, in
// the variants of torch-checkpoints.ts, the exported model.py gives attn's logits on a padded batch to 1e-4;
// after PyTorch trains it a step and writes the weights (as F32, F64, F16 or BF16 safetensors), attn loads that
// state dict and gives PyTorch's logits again.
//
// CI installs python3-torch (.ci/run) and sets ATTN_REQUIRE_TORCH=1: there a missing torch fails these tests.
// Elsewhere, without torch, they are skipped with a message saying how to run them.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPyTorch, PYTORCH_EXPORT_FILES } from '../../src/export/pytorch/index.js';
import {
  checkpointConfig,
  checkpointModel,
  checkpointTokenizers,
  predictorFromCheckpoint,
  type CheckpointParts,
} from '../../src/inference/from-checkpoint.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import { readSafetensorsFile } from '../../src/io/safetensors-file.js';
import type { BuiltModel } from '../../src/models/registry.js';
import { AttentionClassifier } from '../../src/models/classifier/classifier.js';
import { RNNSeq2Seq } from '../../src/models/seq2seq/rnn-seq2seq.js';
import { TransformerSeq2Seq } from '../../src/models/transformer-seq2seq/model.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { loadCheckpoint } from '../../src/train/node/checkpoint-dir.js';
import { CLASSIFY_TEXTS } from '../serve/checkpoints.js';
import { TORCH_CASES, torchCaseCheckpoint, type TorchCase } from './torch-checkpoints.js';
import { PYTHON, skipWithoutTorch } from './torch-python.js';

/** Sources in the reversal task's words, of several lengths (greedy decoding ends at <eos> or maxDecodeLength). */
const TRANSLATE_TEXTS = ['a b c', 'd e f a b', 'f', 'c c d e'];

const HARNESS = fileURLToPath(new URL('./torch_parity.py', import.meta.url));
/** The dtype PyTorch writes each case's trained weights in: every dtype attn reads as float32 occurs. */
const TRAINED_DTYPES = ['F32', 'F64', 'BF16', 'F32', 'F16', 'F32', 'F16', 'BF16'] as const;

/** A padded batch of ids: translation (src, lengths, tgt_in, tgt_out) or classification (ids, lengths, labels). */
type Batch =
  | { src: number[][]; lengths: number[]; tgt_in: number[][]; tgt_out: number[][] }
  | { ids: number[][]; lengths: number[]; labels: number[] };

/**
 * Right-padded rows of the given lengths, each token drawn from [4, vocab) (past the specials); translation rows
 * end with <eos> (2), as attn's sources do with sourceEos.
 */
function padded(lengths: number[], vocab: number, salt: number, eos: boolean): number[][] {
  const width = Math.max(...lengths);
  return lengths.map((n, row) =>
    Array.from({ length: width }, (_, j) =>
      j >= n ? 0 : eos && j === n - 1 ? 2 : 4 + ((row * 7 + j * 3 + salt) % (vocab - 4)),
    ),
  );
}

function batchFor(built: BuiltModel, vocab: number): Batch {
  if (built.task === 'classify') {
    const lengths = [3, 5, 1, 4];
    return { ids: padded(lengths, vocab, 1, false), lengths, labels: [1, 0, 0, 1] };
  }
  const lengths = [5, 3, 1];
  const targets = padded([4, 2, 1], vocab, 2, false);
  const tgtIn = targets.map((row) => [1, ...row]);
  const tgtOut = targets.map((row, i) => {
    const out = [...row, 0];
    out[[4, 2, 1][i]!] = 2;
    return out;
  });
  return { src: padded(lengths, vocab, 0, true), lengths, tgt_in: tgtIn, tgt_out: tgtOut };
}

const ids = (rows: number[][]) =>
  new Tensor(Int32Array.from(rows.flat()), [rows.length, rows[0]!.length], 'int32');

/** attn's logits of the batch, as forward computes them in eval mode. */
function attnLogits(built: BuiltModel, batch: Batch): Tensor {
  return noGrad(() => {
    const model = built.model;
    if ('ids' in batch) {
      if (!(model instanceof AttentionClassifier)) throw new Error('expected a classifier');
      return model.forward(ids(batch.ids), batch.lengths).logits;
    }
    if (model instanceof TransformerSeq2Seq)
      return model.forward(ids(batch.src), ids(batch.tgt_in), batch.lengths);
    if (model instanceof RNNSeq2Seq)
      return model.forward(ids(batch.src), batch.lengths, ids(batch.tgt_in)).logits;
    throw new Error('unexpected model');
  });
}

function maxAbsDifference(actual: Tensor, expected: number[], shape: number[]): number {
  expect(actual.shape).toEqual(shape);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual.data[i]! - expected[i]!));
  return worst;
}

interface CaseRun {
  case: TorchCase;
  parts: CheckpointParts;
  exportDir: string;
  trained: string;
  batch: Batch;
  logits: Tensor;
  texts: string[];
  python?: { logits: number[]; after: number[]; shape: number[]; texts: (string | [string, number])[] };
}

describe.skipIf(skipWithoutTorch('pytorch.test.ts'))('PyTorch export against PyTorch', () => {
  let root: string;
  const runs = new Map<string, CaseRun>();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'attn-pytorch-'));
    const manifest = [];
    for (const [i, c] of TORCH_CASES.entries()) {
      const checkpoint = join(root, c.name, 'run');
      const exportDir = join(root, c.name, 'export');
      await torchCaseCheckpoint(c, checkpoint);
      await mkdir(exportDir);
      await exportPyTorch(checkpoint, exportDir);
      const snapshot = await loadCheckpoint(checkpoint);
      const parts = { ...snapshot, source: checkpoint };
      const config = checkpointConfig(parts);
      const tokenizers = checkpointTokenizers(parts, config);
      const built = checkpointModel(parts, config, tokenizers);
      const vocab =
        'text' in tokenizers ? tokenizers.text.vocabulary.size : tokenizers.source.vocabulary.size;
      const batch = batchFor(built, vocab);
      const trained = join(root, c.name, 'trained.safetensors');
      const texts = built.task === 'translate' ? TRANSLATE_TEXTS : CLASSIFY_TEXTS;
      runs.set(c.name, {
        case: c,
        parts,
        exportDir,
        trained,
        batch,
        texts,
        logits: attnLogits(built, batch),
      });
      manifest.push({ name: c.name, dir: exportDir, batch, texts, dtype: TRAINED_DTYPES[i], trained });
    }
    await writeFile(join(root, 'manifest.json'), JSON.stringify(manifest));
    const out = join(root, 'result.json');
    const python = spawnSync(PYTHON, [HARNESS, join(root, 'manifest.json'), out], { encoding: 'utf8' });
    if (python.status !== 0) throw new Error(`torch_parity.py failed:\n${python.stderr}`);
    const result = JSON.parse(await readFile(out, 'utf8')) as Record<string, CaseRun['python']>;
    for (const [name, run] of runs) run.python = result[name];
  }, 300_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('writes the files of an export', async () => {
    const run = runs.get(TORCH_CASES[0]!.name)!;
    expect((await readdir(run.exportDir)).sort()).toEqual([...PYTORCH_EXPORT_FILES].sort());
    const config = JSON.parse(await readFile(join(run.exportDir, 'config.json'), 'utf8')) as {
      architecture: string;
      model: Record<string, unknown>;
    };
    expect(config.architecture).toBe('gru-bahdanau');
    // Every hyper-parameter is spelt out, defaults included: model.py reads them without attn's defaults.
    expect(config.model).toMatchObject({
      numLayers: 2,
      bidirectional: true,
      attentionUnits: 10,
      dropout: 0.1,
    });
    const { tensors } = await readSafetensorsFile(join(run.exportDir, 'weights.safetensors'));
    expect([...tensors.keys()].sort()).toEqual([...run.parts.weights.keys()].sort());
    for (const [name, t] of tensors) expect(t.data).toEqual(run.parts.weights.get(name)!.data);
  });

  it.each(TORCH_CASES.map((c) => c.name))('%s: model.py gives attn logits to 1e-4', (name) => {
    const run = runs.get(name)!;
    expect(maxAbsDifference(run.logits, run.python!.logits, run.python!.shape)).toBeLessThanOrEqual(1e-4);
  });

  it.each(TORCH_CASES.map((c) => c.name))(
    '%s: model.py translates or classifies text as attn predicts it',
    (name) => {
      const run = runs.get(name)!;
      const predictor = predictorFromCheckpoint(run.parts);
      if (predictor.info.task === 'translate') {
        const attn = predictor.translateBatch(run.texts).map((r) => r.hypotheses[0]!.text);
        expect(run.python!.texts).toEqual(attn);
      } else {
        const attn = predictor.classifyBatch(run.texts);
        const python = run.python!.texts as [string, number][];
        expect(python.map(([label]) => label)).toEqual(attn.map((r) => r.label));
        python.forEach(([label, p], i) => {
          const r = attn[i]!;
          expect(Math.abs(p - r.probabilities[r.labels.indexOf(label)]!)).toBeLessThanOrEqual(1e-5);
        });
      }
    },
  );

  it.each(TORCH_CASES.map((c, i) => [c.name, TRAINED_DTYPES[i]!]))(
    '%s: weights PyTorch trained and wrote as %s load into attn with its logits',
    async (name, dtype) => {
      const run = runs.get(name)!;
      const bytes = new Uint8Array(await readFile(run.trained));
      expect(new Set(readSafetensorsHeader(bytes).entries.map((e) => e.dtype))).toEqual(new Set([dtype]));
      const { tensors } = await readSafetensorsFile(run.trained);
      const parts = { ...run.parts, weights: tensors, source: run.trained };
      const config = checkpointConfig(parts);
      const built = checkpointModel(parts, config, checkpointTokenizers(parts, config));
      const after = attnLogits(built, run.batch);
      expect(maxAbsDifference(after, run.python!.after, run.python!.shape)).toBeLessThanOrEqual(1e-4);
      // The step changed the model: the comparison is of trained weights, not the exported ones again.
      expect(maxAbsDifference(after, run.python!.logits, run.python!.shape)).toBeGreaterThan(1e-3);
    },
  );
});
