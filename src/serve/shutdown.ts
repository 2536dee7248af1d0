/**
 * Graceful shutdown for a long-running server: the first SIGINT or SIGTERM starts `close` (stop accepting,
 * finish the requests under way, stop the worker); a second signal, or a close that takes longer than
 * `timeoutMs`, exits at once (128 + the signal number, or 1), as a user pressing Ctrl-C twice expects.
 */
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface ShutdownOptions {
  /** Longest wait for the requests under way (default 30 s). */
  timeoutMs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** Resolves with the signal's name once `close` has finished after the first signal. */
export function closeOnSignal(
  close: () => Promise<void>,
  options: ShutdownOptions = {},
): Promise<NodeJS.Signals> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log(`${signal} again: exiting without waiting`);
        process.exit(128 + (constants.signals[signal] ?? 0));
      }
      stopping = true;
      log(`${signal}: not accepting new requests; finishing the ones under way`);
      const timer = setTimeout(() => {
        log(`requests still running after ${timeoutMs} ms: exiting`);
        process.exit(1);
      }, timeoutMs);
      timer.unref();
      close().then(
        () => {
          clearTimeout(timer);
          for (const s of SIGNALS) process.off(s, handler);
          resolve(signal);
        },
        (error: unknown) => {
          clearTimeout(timer);
          for (const s of SIGNALS) process.off(s, handler);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    };
    for (const s of SIGNALS) process.on(s, handler);
  });
}
