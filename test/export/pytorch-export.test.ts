// exportPyTorch's checks of its arguments (no Python needed): the output directory must exist and be empty, and
// the checkpoint must be one attn can load; nothing is written otherwise.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPyTorch } from '../../src/export/pytorch/index.js';
import { tinyCheckpoint } from '../serve/checkpoints.js';
import { TORCH_CASES, torchCaseCheckpoint } from './torch-checkpoints.js';

describe('exportPyTorch', () => {
  let root: string;
  let checkpoint: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'attn-export-'));
    checkpoint = join(root, 'run');
    await torchCaseCheckpoint(
      TORCH_CASES.find((c) => c.architecture === 'transformer-cls')!,
      checkpoint,
    );
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('refuses an output directory that does not exist, is a file, or is not empty', async () => {
    const missing = join(root, 'missing');
    await expect(exportPyTorch(checkpoint, missing)).rejects.toThrow(
      `exportPyTorch: outDir ${missing} does not exist; create an empty directory for the export`,
    );
    const file = join(root, 'file');
    await writeFile(file, 'x');
    await expect(exportPyTorch(checkpoint, file)).rejects.toThrow(
      `exportPyTorch: outDir ${file} is not a directory`,
    );
    const full = join(root, 'full');
    await mkdir(full);
    await writeFile(join(full, 'model.py'), '# mine');
    await expect(exportPyTorch(checkpoint, full)).rejects.toThrow(
      `exportPyTorch: outDir ${full} is not empty (it holds model.py); export into an empty directory`,
    );
    expect(await readdir(full)).toEqual(['model.py']);
  });

  it('refuses a directory that holds no checkpoint, writing nothing', async () => {
    const empty = join(root, 'empty');
    const out = join(root, 'out-empty');
    await mkdir(empty);
    await mkdir(out);
    await expect(exportPyTorch(empty, out)).rejects.toThrow(/holds no checkpoint/);
    expect(await readdir(out)).toEqual([]);
  });

  it('refuses empty paths', async () => {
    await expect(exportPyTorch('', root)).rejects.toThrow(
      'exportPyTorch: checkpointDir must be a checkpoint directory path',
    );
    await expect(exportPyTorch(checkpoint, '')).rejects.toThrow(
      'exportPyTorch: outDir must be a directory path',
    );
  });

  it('returns the paths it wrote', async () => {
    const out = join(root, 'out');
    await mkdir(out);
    const written = await exportPyTorch(checkpoint, out);
    expect(written.map((p) => p.slice(out.length + 1)).sort()).toEqual((await readdir(out)).sort());
    expect(written).toHaveLength(6);
  });

  it('refuses a model model.py does not implement (positions, normaliser, score), writing nothing', async () => {
    for (const [arch, overrides, says] of [
      ['transformer', { positions: 'rope' }, 'model.py does not implement positions "rope"'],
      ['transformer-cls', { positions: 'alibi' }, 'model.py does not implement positions "alibi"'],
      ['gru-bahdanau', { normalizer: 'entmax15' }, 'model.py does not implement normalizer "entmax15"'],
      ['gru-luong', { score: 'location' }, 'model.py does not implement score "location"'],
      ['transformer', { normalizer: 'entmax15' }, 'model.py does not implement normalizer "entmax15"'],
    ] as const) {
      const run = join(root, `unimplemented-${arch}-${says.length}`);
      const out = join(root, `out-unimplemented-${arch}-${says.length}`);
      await tinyCheckpoint(arch, run, 3, overrides, 1);
      await mkdir(out);
      await expect(exportPyTorch(run, out)).rejects.toThrow(says);
      expect(await readdir(out)).toEqual([]);
    }
  });
});
