/**
 * Lines of a file, streamed (Node only): readline over a read stream, so a corpus larger than memory is read a
 * line at a time. Stopping early (break out of `for await`) closes the file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fail } from '../../tensor/errors.js';

export async function* readLines(path: string): AsyncGenerator<string> {
  // Opening first turns a missing or unreadable file into an error here, not a stream event lost by readline.
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    fail('readLines', `cannot open ${path}: ${(err as Error).message}`);
  }
  const stream = handle.createReadStream({ encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    let first = true;
    for await (const line of lines) {
      yield first && line.startsWith('\uFEFF') ? line.slice(1) : line;
      first = false;
    }
  } finally {
    lines.close();
    stream.destroy();
    await handle.close().catch(() => undefined);
  }
}
