/** Small durable-write helpers for checkpoints (Node): files and directories fsynced before they count. */
import { open, type FileHandle } from 'node:fs/promises';

/** Creates `path` (failing if it exists), writes `bytes`, fsyncs and closes it. */
export async function writeDurable(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Error codes from fsync on a directory where the platform does not support it (Windows, some file systems). */
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

export function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return '';
}
