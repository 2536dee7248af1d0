/**
 * What one request may ask of the server. The model runs on one worker thread, so every bound here is also a
 * bound on how long one request can hold it: characters and words bound the source length, beamSize × maxLength
 * bounds the decoding work, and the queue bounds how many requests wait (the rest are answered 503).
 */
import { MAX_BEAM_SIZE } from '../inference/predictor.js';

export interface ServeLimits {
  /** Largest request body in bytes (default 16 KiB); larger bodies are answered 413. */
  bodyLimit: number;
  /** Most characters in `text` (default 1000). */
  maxChars: number;
  /**
   * Most whitespace-separated words in `text` (default 200). The server cannot tokenise before the model does;
   * words are a lower bound on a word or subword tokenizer's tokens, and characters bound a character one.
   */
  maxWords: number;
  /** Largest `beamSize` (default 8). */
  maxBeamSize: number;
  /** Largest `maxLength` (target tokens to generate; default 200). */
  maxLength: number;
  /** Requests that may wait for the model beside the one it is running (default 32); more are answered 503. */
  maxQueue: number;
  /**
   * Largest answer in bytes (default 4 MiB): a translation whose attention would make it larger is sent with
   * less attention (the best hypothesis's, then none), saying so.
   */
  maxResponseBytes: number;
  /**
   * Bytes of answers that may wait for slow readers (default 64 MiB); while they fill it, new requests are
   * answered 503.
   */
  maxPendingBytes: number;
  /** Open connections at once (default 256); more are refused by the socket layer. */
  maxConnections: number;
  /** Seconds a connection may stay idle — a client that neither sends nor reads — before it is closed (default 30). */
  socketTimeoutSeconds: number;
}

export const DEFAULT_LIMITS: Readonly<ServeLimits> = Object.freeze({
  bodyLimit: 16 * 1024,
  maxChars: 1000,
  maxWords: 200,
  maxBeamSize: 8,
  maxLength: 200,
  maxQueue: 32,
  maxResponseBytes: 4 * 1024 * 1024,
  maxPendingBytes: 64 * 1024 * 1024,
  maxConnections: 256,
  socketTimeoutSeconds: 30,
});

/** The smallest and largest value of each limit. */
export const LIMIT_BOUNDS: Readonly<Record<keyof ServeLimits, readonly [number, number]>> = {
  bodyLimit: [64, 16 * 1024 * 1024],
  maxChars: [1, 1_000_000],
  maxWords: [1, 100_000],
  maxBeamSize: [1, MAX_BEAM_SIZE],
  maxLength: [1, 10_000],
  maxQueue: [0, 100_000],
  maxResponseBytes: [1024, 1024 * 1024 * 1024],
  maxPendingBytes: [1024, 16 * 1024 * 1024 * 1024],
  maxConnections: [1, 1_000_000],
  socketTimeoutSeconds: [1, 3600],
};

/** The defaults with `overrides` applied; each value must be an integer within its bounds. */
export function resolveLimits(overrides: Partial<ServeLimits> = {}): ServeLimits {
  const limits: ServeLimits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(overrides) as [keyof ServeLimits, unknown][]) {
    if (value === undefined) continue;
    const bounds = LIMIT_BOUNDS[key];
    if (!bounds) throw new Error(`serve: unknown limit '${String(key)}'`);
    const [low, high] = bounds;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high)
      throw new Error(`serve: limit ${key} must be an integer from ${low} to ${high}, got ${String(value)}`);
    limits[key] = value;
  }
  return limits;
}

/** Whitespace-separated words of `text`. */
export function countWords(text: string): number {
  const words = text.trim().split(/\s+/);
  return words[0] === '' ? 0 : words.length;
}
