/**
 * Lines of a file, streamed and bounded (Node only): the file is read in chunks and split by a `LineSplitter`,
 * so a corpus larger than memory is read a line at a time and no line longer than `maxLineBytes` is ever
 * assembled. A directory is refused with its path, and so is a binary file (a NUL byte in its first block:
 * images, archives, `/dev/zero`), whatever the caller does with malformed lines. Stopping early (break out of
 * `for await`) closes the file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { fail } from '../../tensor/errors.js';
import { LineSplitter, type LineRecord } from '../line-splitter.js';
import { maxLineBytesFor } from '../length-filter.js';
import { DataFormatError } from '../problems.js';

/** The longest line read by default, in bytes: far above any sentence or review, far below memory trouble. */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/** How much of a file is read at a time, and how much of its start is searched for a NUL byte. */
const CHUNK_BYTES = 1 << 16;

export interface ReadLinesOptions {
  /** The longest line accepted, in bytes (default 1 MiB). */
  maxLineBytes?: number;
}

/**
 * The lines of a file as records: each line's text, or the problem with it (too long, not UTF-8, a NUL byte),
 * in order, so that the caller can report the problem with its line number and read on.
 */
export async function* readLineRecords(
  path: string,
  options: ReadLinesOptions = {},
): AsyncGenerator<LineRecord> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!(Number.isInteger(maxLineBytes) && maxLineBytes > 0)) {
    fail('readLines', `maxLineBytes must be a positive integer, got ${maxLineBytes}`);
  }
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    fail('readLines', `cannot open ${path}: ${(err as Error).message}`);
  }
  try {
    if ((await handle.stat()).isDirectory())
      fail('readLines', `${path} is a directory, not a text file (EISDIR)`);
    const splitter = new LineSplitter(maxLineBytes);
    const buffer = new Uint8Array(CHUNK_BYTES);
    let first = true;
    while (true) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, buffer.length, null));
      } catch (err) {
        fail('readLines', `cannot read ${path}: ${(err as Error).message}`);
      }
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      if (first) {
        const nul = chunk.indexOf(0);
        if (nul >= 0) {
          fail('readLines', `${path} is a binary file (a NUL byte at offset ${nul}), not a text corpus`);
        }
        first = false;
      }
      yield* splitter.push(chunk);
    }
    yield* splitter.finish();
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * The lines of a file as strings (see `readLineRecords`); a line that is too long, not UTF-8 or binary is a
 * `DataFormatError` naming `path` and the line.
 */
export async function* readLines(path: string, options: ReadLinesOptions = {}): AsyncGenerator<string> {
  let line = 0;
  for await (const record of readLineRecords(path, options)) {
    line++;
    if ('problem' in record) throw new DataFormatError({ file: path, line, message: record.problem });
    yield record.text;
  }
}

/** A parser of one record per line, told of the lines that could not be read so it can report them. */
export interface LineParser<T> {
  /** The record of one line, or undefined for a line that holds none (blank, skipped or filtered). */
  parseLine(text: string): T | undefined;
  rejectLine(problem: string): void;
}

/**
 * The records `parser` makes of the lines of `path`, in order, lines longer than `maxLineTokens` allows
 * (see maxLineBytesFor) handed to `parser.rejectLine` with the other unreadable ones.
 */
export async function* parseLineRecords<T>(
  path: string,
  parser: LineParser<T>,
  maxLineTokens: number | undefined,
): AsyncGenerator<T> {
  for await (const record of readLineRecords(path, { maxLineBytes: maxLineBytesFor(maxLineTokens) })) {
    if ('problem' in record) {
      parser.rejectLine(record.problem);
      continue;
    }
    const parsed = parser.parseLine(record.text);
    if (parsed) yield parsed;
  }
}
