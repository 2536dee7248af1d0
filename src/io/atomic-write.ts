/**
 * Atomic file writes for Node.js: a reader (or a crash, or Ctrl-C) sees either the old file or the complete
 * new one, never a half-written file. Checkpoints, safetensors and reports all write through this.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `bytes` to `path` atomically: writes a uniquely named temporary file in the same directory (rename
 * is only atomic within one file system), fsyncs it so the data is on disk before it becomes visible, renames
 * it over `path`, then fsyncs the directory so the rename itself survives a power cut. On failure the
 * temporary file is removed, `path` is left as it was, and the error is rethrown.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const directory = dirname(path);
  const temporary = join(
    directory,
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  let handle: FileHandle | undefined;
  try {
    // 'wx' fails rather than follow or clobber anything already at the temporary name.
    handle = await open(temporary, 'wx');
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(directory);
}

/**
 * Error codes from fsync on a directory where the platform does not support it (Windows, some file systems):
 * EISDIR, EPERM or EINVAL from the sync, EACCES from opening a directory for reading.
 */
const UNSUPPORTED_DIRECTORY_SYNC = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EACCES']);

/** Fsyncs a directory so that entries created or renamed in it survive a power cut; a no-op where unsupported. */
export async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch (err) {
    if (!UNSUPPORTED_DIRECTORY_SYNC.has(errorCode(err))) throw err;
  } finally {
    await handle?.close();
  }
}

/** The `code` of a Node.js system error (ENOENT, EEXIST, …), or '' for anything else. */
export function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return '';
}
