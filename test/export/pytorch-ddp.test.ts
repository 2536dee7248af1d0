// train_ddp.py of the PyTorch export: two processes under torchrun (DistributedDataParallel, gloo on CPUs) train
// a Transformer a step on a TSV as attn reads it, and one process (no torchrun) trains a classifier; attn then
// loads the weights they wrote. Skipped, like pytorch.test.ts, only where /usr/bin/python3 has no torch and
// ATTN_REQUIRE_TORCH is not set (CI sets it).
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPyTorch } from '../../src/export/pytorch/index.js';
import {
  checkpointConfig,
  checkpointModel,
  checkpointTokenizers,
  predictorFromCheckpoint,
} from '../../src/inference/from-checkpoint.js';
import { readSafetensorsFile } from '../../src/io/safetensors-file.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { loadCheckpoint } from '../../src/train/node/checkpoint-dir.js';
import { CLASSIFY_TEXTS } from '../serve/checkpoints.js';
import { labelOf, reversalPairs, TORCH_CASES, torchCaseCheckpoint } from './torch-checkpoints.js';
import { PYTHON, skipWithoutTorch } from './torch-python.js';

/**
 * torchrun as Debian's torch 1.13 runs under Python 3.11: its default `--redirects 0 --tee 0` do not parse there
 * (Std.from_str('0') gives None), so both are set to 2 (stderr, teed); --monitor_interval ends the run promptly.
 */
const TORCHRUN = [
  '-m',
  'torch.distributed.run',
  '--standalone',
  '--nproc_per_node',
  '2',
  '--monitor_interval',
  '0.2',
  '--redirects',
  '2',
  '--tee',
  '2',
];

function run(args: string[], cwd: string): string {
  const result = spawnSync(PYTHON, args, { cwd, encoding: 'utf8', timeout: 150_000 });
  if (result.status !== 0)
    throw new Error(`${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The export of `name`'s checkpoint, and the checkpoint as attn loads it. */
async function exported(root: string, name: string) {
  const c = TORCH_CASES.find((x) => x.name === name)!;
  const checkpoint = join(root, name, 'run');
  const dir = join(root, name, 'export');
  await torchCaseCheckpoint(c, checkpoint);
  await mkdir(dir);
  await exportPyTorch(checkpoint, dir);
  return { dir, snapshot: await loadCheckpoint(checkpoint) };
}

/** attn's model of `dir`'s config and tokenizers with the weights PyTorch wrote there. */
async function attnModelOf(dir: string) {
  const { tensors } = await readSafetensorsFile(join(dir, 'weights.safetensors'));
  const parts = {
    weights: tensors,
    config: JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as unknown,
    tokenizers: JSON.parse(await readFile(join(dir, 'tokenizers.json'), 'utf8')) as Record<string, unknown>,
    source: dir,
  };
  const config = checkpointConfig(parts);
  checkpointModel(parts, config, checkpointTokenizers(parts, config));
  return { parts, weights: tensors };
}

function changed(before: Map<string, Tensor>, after: Map<string, Tensor>): number {
  let n = 0;
  for (const [name, t] of before) if (!t.data.every((v, i) => v === after.get(name)!.data[i])) n++;
  return n;
}

describe.skipIf(skipWithoutTorch('pytorch-ddp.test.ts'))('train_ddp.py of the PyTorch export', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'attn-ddp-'));
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('trains a Transformer a step on 2 processes under torchrun; attn loads what it wrote', async () => {
    const { dir, snapshot } = await exported(root, 'transformer-pre');
    const tsv = join(root, 'pairs.tsv');
    await writeFile(
      tsv,
      reversalPairs()
        .pairs.map((p) => `${p.source}\t${p.target}\n`)
        .join(''),
    );
    const out = join(root, 'next');
    const log = run(
      [...TORCHRUN, 'train_ddp.py', '--data', tsv, '--out', out, '--max-steps', '1', '--batch-size', '4'],
      dir,
    );
    expect(log).toMatch(/trained 1 steps on 2 process\(es\)/);
    const training = JSON.parse(await readFile(join(out, 'training.json'), 'utf8')) as {
      processes: number;
      steps: number;
      losses: number[];
    };
    expect(training).toMatchObject({ processes: 2, steps: 1 });
    expect(Number.isFinite(training.losses[0])).toBe(true);
    expect((await readdir(out)).sort()).toEqual(
      [
        'README.md',
        'config.json',
        'model.py',
        'tokenizers.json',
        'train_ddp.py',
        'training.json',
        'weights.safetensors',
      ].sort(),
    );
    const { parts, weights } = await attnModelOf(out);
    expect([...weights.keys()].sort()).toEqual([...snapshot.weights.keys()].sort());
    expect(changed(snapshot.weights, weights)).toBeGreaterThan(0);
    expect(predictorFromCheckpoint(parts).translateBatch(['a b c'])).toHaveLength(1);
  }, 180_000);

  it('trains a classifier in one process (no torchrun) from a TSV with a header', async () => {
    const { dir, snapshot } = await exported(root, 'bigru-attention-2');
    const tsv = join(root, 'texts.tsv');
    await writeFile(tsv, `text\tlabel\n${CLASSIFY_TEXTS.map((t) => `${t}\t${labelOf(t)}\n`).join('')}`);
    const out = join(root, 'classifier');
    run(['train_ddp.py', '--data', tsv, '--out', out, '--epochs', '2', '--batch-size', '3'], dir);
    const training = JSON.parse(await readFile(join(out, 'training.json'), 'utf8')) as {
      processes: number;
      steps: number;
      examples: number;
    };
    expect(training).toMatchObject({ processes: 1, steps: 4, examples: CLASSIFY_TEXTS.length });
    const { parts, weights } = await attnModelOf(out);
    expect(changed(snapshot.weights, weights)).toBeGreaterThan(0);
    expect(predictorFromCheckpoint(parts).classifyBatch(['a good film'])[0]!.labels).toEqual([
      'negative',
      'positive',
    ]);
  }, 120_000);

  it('refuses a label the model does not know and an empty column, naming the file and line', async () => {
    const dir = join(root, 'bigru-attention-2', 'export');
    const tsv = join(root, 'bad.tsv');
    await writeFile(tsv, 'a good film\tpositive\na bad film\tawful\n');
    const result = spawnSync(PYTHON, ['train_ddp.py', '--data', tsv, '--out', join(root, 'never')], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`${tsv}:2: label 'awful' is not one of the model's (negative, positive)`);
    await writeFile(tsv, 'a good film\tpositive\n\tnegative\n');
    const empty = spawnSync(PYTHON, ['train_ddp.py', '--data', tsv, '--out', join(root, 'never')], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toContain(`${tsv}:2: column 1 is empty`);
  });
});
