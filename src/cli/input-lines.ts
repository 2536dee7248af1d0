/**
 * The texts a command works on: its positional arguments, or else the lines of stdin (read as a stream, in
 * chunks, so that output follows input line for line even on a pipe that stays open).
 */
import { createInterface } from 'node:readline';

/**
 * Lines of stdin in chunks of at most `size`, in order (a last unterminated line included). A chunk holds the
 * lines that have arrived when the caller asks: a piped file gives full chunks (batched work), a person typing
 * gets each line answered at once. Reading pauses while many lines wait.
 */
export async function* stdinChunks(size: number): AsyncGenerator<string[]> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const queue: string[] = [];
  let done = false;
  let wake: (() => void) | null = null;
  let first = true;
  lines.on('line', (line) => {
    queue.push(first && line.startsWith('\uFEFF') ? line.slice(1) : line);
    first = false;
    if (queue.length >= 4 * size) lines.pause();
    wake?.();
  });
  lines.on('close', () => {
    done = true;
    wake?.();
  });
  try {
    while (true) {
      if (queue.length === 0) {
        if (done) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      const chunk = queue.splice(0, size);
      if (queue.length < 2 * size) lines.resume();
      yield chunk;
    }
  } finally {
    lines.close();
  }
}

/** The texts in chunks: the arguments as one chunk, or stdin's lines. */
export async function* inputChunks(positionals: readonly string[], size: number): AsyncGenerator<string[]> {
  if (positionals.length > 0) {
    yield [...positionals];
    return;
  }
  yield* stdinChunks(size);
}

/** Writes to stdout, waiting when the pipe is full (so a large output is never held in memory). */
export function writeOut(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
