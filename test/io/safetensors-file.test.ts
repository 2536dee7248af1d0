import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSafetensorsFile, writeSafetensorsFile } from '../../src/io/safetensors-file.js';
import { AttnError } from '../../src/tensor/errors.js';
import { Tensor } from '../../src/tensor/tensor.js';

const FIXTURES = new URL('../../../shared/fixtures/torch/', import.meta.url);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attn-safetensors-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const weights = () => ({
  'layer.weight': new Tensor(new Float32Array([0.5, -1, 2, 3.25]), [2, 2], 'float32'),
  'layer.ids': new Tensor(new Int32Array([1, -2, 3]), [3], 'int32'),
  'layer.mask': new Tensor(new Uint8Array([1, 0]), [2], 'bool'),
});

describe('writeSafetensorsFile / readSafetensorsFile', () => {
  it('writes then reads tensors and metadata, leaving no temporary file', async () => {
    const path = join(dir, 'model.safetensors');
    await writeSafetensorsFile(path, weights(), { step: '10' });
    const { tensors, metadata } = await readSafetensorsFile(path);
    expect(metadata).toEqual({ step: '10' });
    for (const [name, t] of Object.entries(weights())) {
      expect(tensors.get(name)!.dtype).toBe(t.dtype);
      expect(tensors.get(name)!.shape).toEqual(t.shape);
      expect(tensors.get(name)!.data).toEqual(t.data);
    }
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('accepts file URLs', async () => {
    const url = pathToFileURL(join(dir, 'u.safetensors'));
    await writeSafetensorsFile(url, weights());
    expect((await readSafetensorsFile(url)).tensors.size).toBe(3);
  });

  it('replaces an existing file', async () => {
    const path = join(dir, 'model.safetensors');
    await writeFile(path, 'old contents');
    await writeSafetensorsFile(path, weights());
    expect((await readSafetensorsFile(path)).tensors.size).toBe(3);
    await writeSafetensorsFile(path, { only: new Tensor(new Float32Array([9]), [], 'float32') });
    const { tensors } = await readSafetensorsFile(path);
    expect([...tensors.keys()]).toEqual(['only']);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('throws an error naming the path when the directory is missing', async () => {
    const path = join(dir, 'missing', 'model.safetensors');
    const write = writeSafetensorsFile(path, weights());
    await expect(write).rejects.toThrow(AttnError);
    await expect(write).rejects.toThrow(`safetensors: cannot write ${path}: ENOENT`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('cleans up and leaves the target untouched when the rename fails', async () => {
    // The target is a non-empty directory, so renaming the written temporary file over it fails.
    const path = join(dir, 'model.safetensors');
    await mkdir(path);
    await writeFile(join(path, 'keep'), 'x');
    await expect(writeSafetensorsFile(path, weights())).rejects.toThrow(
      `safetensors: cannot write ${path}: `,
    );
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    expect(await readFile(join(path, 'keep'), 'utf8')).toBe('x');
  });

  it('names the path when the file cannot be read', async () => {
    const path = join(dir, 'nope.safetensors');
    await expect(readSafetensorsFile(path)).rejects.toThrow(`safetensors: cannot read ${path}: ENOENT`);
  });

  it('names the path when the file is malformed', async () => {
    const path = join(dir, 'short.safetensors');
    await writeFile(path, new Uint8Array([1, 2, 3]));
    await expect(readSafetensorsFile(path)).rejects.toThrow(
      `safetensors: ${path}: file is 3 bytes, shorter than the 8-byte header length`,
    );
  });

  it('reads a PyTorch fixture', async () => {
    const { tensors } = await readSafetensorsFile(new URL('sdpa_padding.safetensors', FIXTURES));
    expect(tensors.get('input.key_padding_mask')!.dtype).toBe('bool');
  });
});
