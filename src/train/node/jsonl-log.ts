/**
 * The trainer's metrics log as JSON lines (Node): one record per line (see log-record.ts), appended, so a
 * resumed run continues the same file (after a `resume` record). Each line is appended whole with one write.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LogSink, TrainerLogRecord } from '../log-record.js';

/** A LogSink appending each record to `path` as one line of JSON (the directory is created if needed). */
export function jsonlLog(path: string): LogSink {
  let ready: Promise<unknown> | null = null;
  return async (record: TrainerLogRecord) => {
    ready ??= mkdir(dirname(path), { recursive: true });
    await ready;
    await appendFile(path, `${JSON.stringify(record)}\n`);
  };
}
