/**
 * Durable file creation for checkpoints (Node): a file fsynced before it counts. Directories are fsynced with
 * io/atomic-write's syncDirectory.
 */
import { open } from 'node:fs/promises';

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
