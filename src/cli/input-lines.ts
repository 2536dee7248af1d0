/**
 * The texts a command works on: its positional arguments, or else the lines of stdin (read as a stream, in
 * chunks, so that output follows input line for line even on a pipe that stays open).
 */
import { LineSplitter, type LineRecord } from '../data/line-splitter.js';
import { AttnError } from '../tensor/errors.js';

/**
 * Lines of stdin in chunks of at most `size`, in order (a last unterminated line included), each its text or
 * the problem with it: a line longer than `maxLineBytes` is never assembled (so `attn translate < /dev/zero`
 * reports one over-long line instead of running out of memory), and one that is not UTF-8 is reported too. A
 * chunk holds the lines that have arrived when the caller asks: a piped file gives full chunks (batched work), a
 * person typing gets each line answered at once. Reading pauses while many lines wait.
 */
export async function* stdinChunks(size: number, maxLineBytes: number): AsyncGenerator<LineRecord[]> {
  const input = process.stdin;
  const splitter = new LineSplitter(maxLineBytes);
  const queue: LineRecord[] = [];
  let done = false;
  let failure: Error | undefined;
  let wake: (() => void) | null = null;
  let first = true;
  const onData = (chunk: Buffer): void => {
    // Binary input (a NUL byte at the start: an image, /dev/zero) is refused whole, as the file readers do.
    if (first && chunk.includes(0))
      onError(new AttnError('stdin', 'the input is binary (a NUL byte), not text lines'));
    first = false;
    if (failure) return;
    queue.push(...splitter.push(chunk));
    if (queue.length >= 4 * size) input.pause();
    wake?.();
  };
  const onEnd = (): void => {
    queue.push(...splitter.finish());
    done = true;
    wake?.();
  };
  const onError = (err: Error): void => {
    failure = err;
    done = true;
    wake?.();
  };
  input.on('data', onData).on('end', onEnd).on('error', onError);
  try {
    while (true) {
      if (queue.length === 0) {
        if (failure) throw failure;
        if (done) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      const chunk = queue.splice(0, size);
      if (queue.length < 2 * size) input.resume();
      yield chunk;
    }
  } finally {
    input.off('data', onData).off('end', onEnd).off('error', onError);
    input.pause();
  }
}

/** The texts in chunks: the arguments as one chunk, or stdin's lines. */
export async function* inputChunks(
  positionals: readonly string[],
  size: number,
  maxLineBytes: number,
): AsyncGenerator<LineRecord[]> {
  if (positionals.length > 0) {
    yield positionals.map((text) => ({ text }));
    return;
  }
  yield* stdinChunks(size, maxLineBytes);
}

/** Writes to stdout, waiting when the pipe is full (so a large output is never held in memory). */
export function writeOut(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
