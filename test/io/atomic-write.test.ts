import { mkdtemp, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../../src/io/atomic-write.js';

// Spies that pass through to the real functions unless a test makes them fail.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, open: vi.fn(actual.open), rename: vi.fn(actual.rename) };
});

const failure = (code: string) => Object.assign(new Error(`${code}: injected failure`), { code });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attn-atomic-'));
});
afterEach(async () => {
  vi.mocked(open).mockClear();
  vi.mocked(rename).mockClear();
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes the bytes through a temporary file in the same directory, then renames it', async () => {
    const path = join(dir, 'out.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array([1, 2, 3]));
    const [from, to] = vi.mocked(rename).mock.calls[0]!;
    expect(String(from)).toMatch(new RegExp(`^${dir}/\\.out\\.bin\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
    expect(to).toBe(path);
    expect(await readdir(dir)).toEqual(['out.bin']);
  });

  it('replaces an existing file', async () => {
    const path = join(dir, 'out.bin');
    await writeFile(path, 'old');
    await writeFileAtomic(path, new TextEncoder().encode('new'));
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['out.bin']);
  });

  it('keeps the old file and removes the temporary one when the rename fails', async () => {
    const path = join(dir, 'out.bin');
    await writeFile(path, 'old');
    vi.mocked(rename).mockRejectedValueOnce(failure('EXDEV'));
    await expect(writeFileAtomic(path, new TextEncoder().encode('new'))).rejects.toThrow(/EXDEV/);
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['out.bin']);
  });

  it('keeps the old file and removes the temporary one when fsync fails', async () => {
    const path = join(dir, 'out.bin');
    await writeFile(path, 'old');
    const actualOpen = (await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')).open;
    vi.mocked(open).mockImplementationOnce(async (...args: Parameters<typeof open>) => {
      const handle = await actualOpen(...args);
      handle.sync = () => Promise.reject(failure('EIO'));
      return handle;
    });
    await expect(writeFileAtomic(path, new TextEncoder().encode('new'))).rejects.toThrow(/EIO/);
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['out.bin']);
  });

  it.each(['EISDIR', 'EPERM', 'EINVAL'])('ignores %s from fsync on the directory', async (code) => {
    const path = join(dir, 'out.bin');
    const actualOpen = (await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')).open;
    vi.mocked(open).mockImplementation(async (...args: Parameters<typeof open>) => {
      const handle = await actualOpen(...args);
      if (args[0] === dir) handle.sync = () => Promise.reject(failure(code));
      return handle;
    });
    try {
      await writeFileAtomic(path, new Uint8Array([7]));
    } finally {
      vi.mocked(open).mockImplementation(actualOpen);
    }
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array([7]));
  });

  it('rethrows other errors from fsync on the directory', async () => {
    const path = join(dir, 'out.bin');
    const actualOpen = (await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')).open;
    vi.mocked(open).mockImplementation(async (...args: Parameters<typeof open>) => {
      const handle = await actualOpen(...args);
      if (args[0] === dir) handle.sync = () => Promise.reject(failure('EIO'));
      return handle;
    });
    try {
      await expect(writeFileAtomic(path, new Uint8Array([7]))).rejects.toThrow(/EIO/);
    } finally {
      vi.mocked(open).mockImplementation(actualOpen);
    }
  });

  it('fails with the error of the missing directory and leaves nothing behind', async () => {
    const path = join(dir, 'missing', 'out.bin');
    await expect(writeFileAtomic(path, new Uint8Array([1]))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
  });
});
