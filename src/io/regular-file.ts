/**
 * Reading a file whose size is checked before its bytes are (Node only). A path that names a FIFO, a device
 * (`/dev/zero`), a directory or — where the caller says so — a symbolic link is refused before anything is read,
 * and the file's size is compared with what the caller expects and with a limit, so that a crafted checkpoint
 * can neither hang the reader (a FIFO with no writer) nor make it allocate without bound (`/dev/zero`).
 *
 * The file is opened with O_NONBLOCK (opening a FIFO then returns at once instead of waiting for a writer) and,
 * when links are refused, O_NOFOLLOW; every check is made on the open descriptor (fstat), so the file cannot be
 * swapped between the check and the read.
 */
import { constants } from 'node:buffer';
import { constants as fs } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { AttnError } from '../tensor/errors.js';

export interface RegularFileOptions {
  /** The op that starts error messages. */
  op: string;
  /**
   * The file belongs to a checkpoint directory: a symbolic link in its place is refused (it could lead out of
   * the directory), and a missing file is reported as `<path> is missing`. Default false: links are followed,
   * and failures read `cannot read <path>: <cause>`.
   */
  inCheckpoint?: boolean;
  /** The exact size the file must have (from a manifest); checked before reading. */
  expectedBytes?: number;
  /** The largest size read. Default: the largest buffer Node can allocate. */
  maxBytes?: number;
}

/** The bytes of a regular file, read after its type and size are checked (see the module comment). */
export async function readRegularFile(path: string, options: RegularFileOptions): Promise<Uint8Array> {
  const { op } = options;
  const maxBytes = Math.min(options.maxBytes ?? constants.MAX_LENGTH, constants.MAX_LENGTH);
  const flags = fs.O_RDONLY | (fs.O_NONBLOCK ?? 0) | (options.inCheckpoint ? (fs.O_NOFOLLOW ?? 0) : 0);
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (err) {
    throw fileError(op, path, err, options.inCheckpoint === true);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new AttnError(op, `${path} is not a regular file (it is ${kindOf(stats)}); refusing to read it`);
    }
    const size = stats.size;
    if (options.expectedBytes !== undefined && size !== options.expectedBytes) {
      throw new AttnError(
        op,
        `${path} is corrupt: ${size} bytes, the manifest says ${options.expectedBytes}`,
      );
    }
    if (size > maxBytes) {
      throw new AttnError(op, `${path} is ${size} bytes, more than the limit of ${maxBytes} bytes`);
    }
    const bytes = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    // A file that shrank or grew while being read is not the file whose size was checked.
    const probe = new Uint8Array(1);
    const { bytesRead: extra } = await handle.read(probe, 0, 1, size);
    if (filled !== size || extra !== 0) {
      throw new AttnError(op, `${path} changed size while it was being read`);
    }
    return bytes;
  } catch (err) {
    if (err instanceof AttnError) throw err;
    throw fileError(op, path, err, false);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function kindOf(stats: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
  isSymbolicLink(): boolean;
}): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a plain file';
}

/** An AttnError for a failed open or read, naming the path, with the system error as its cause. */
function fileError(op: string, path: string, err: unknown, inCheckpoint: boolean): AttnError {
  const code = (err as { code?: string } | null)?.code;
  const cause = err instanceof Error ? err.message : String(err);
  const message = !inCheckpoint
    ? `cannot read ${path}: ${cause}`
    : code === 'ENOENT'
      ? `${path} is missing`
      : code === 'ELOOP'
        ? `${path} is a symbolic link; files in a checkpoint must be regular files inside its directory`
        : `${path} cannot be read: ${cause}`;
  const error = new AttnError(op, message);
  error.cause = err;
  return error;
}
