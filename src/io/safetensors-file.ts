/**
 * safetensors files on disk (Node.js only). Errors name the file: `safetensors: <path>: <problem>` for
 * malformed contents, `safetensors: cannot read <path>: <cause>` / `cannot write` for I/O failures.
 */
import { fileURLToPath } from 'node:url';
import { AttnError } from '../tensor/errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { readRegularFile } from './regular-file.js';
import {
  parseSafetensors,
  serializeSafetensors,
  type NamedTensors,
  type SafetensorsContents,
} from './safetensors.js';
import { SAFETENSORS_OP } from './safetensors-header.js';

/**
 * Reads and decodes a safetensors file (see `parseSafetensors` for the dtype mapping). Only a regular file is
 * read (a symbolic link to one is followed).
 */
export async function readSafetensorsFile(path: string | URL): Promise<SafetensorsContents> {
  const file = pathString(path);
  // A FIFO or a device (a link to /dev/zero) is refused before reading; a regular file is read at its size.
  const bytes = await readRegularFile(file, { op: SAFETENSORS_OP });
  return parseSafetensors(bytes, file);
}

/**
 * Encodes tensors and metadata (see `serializeSafetensors`) and writes them to `path` atomically: a crash or
 * failure leaves either the old file or the complete new one.
 */
export async function writeSafetensorsFile(
  path: string | URL,
  tensors: NamedTensors,
  metadata?: Record<string, string>,
): Promise<void> {
  const file = pathString(path);
  const bytes = serializeSafetensors(tensors, metadata);
  try {
    await writeFileAtomic(file, bytes);
  } catch (err) {
    throw ioError(`cannot write ${file}`, err);
  }
}

function pathString(path: string | URL): string {
  return path instanceof URL ? fileURLToPath(path) : path;
}

/** An AttnError for a failed file operation, keeping the underlying error as its cause. */
function ioError(what: string, cause: unknown): AttnError {
  const error = new AttnError(
    SAFETENSORS_OP,
    `${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
  );
  error.cause = cause;
  return error;
}
