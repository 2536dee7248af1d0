/**
 * The safetensors header: an 8-byte little-endian length N, then N bytes of UTF-8 JSON naming each tensor's
 * dtype, shape and byte range in the data buffer that follows. This file reads and validates that header, so
 * that decoding the data can trust every offset. Pure: no Node imports, runs in a browser.
 */
import { AttnError } from '../tensor/errors.js';
import { jsonNestingDepth } from './json-depth.js';

/** The op name every safetensors error starts with. */
export const SAFETENSORS_OP = 'safetensors';

/**
 * The largest header accepted, in bytes. The reference implementation uses the same limit: a corrupt length
 * must not make us decode (or allocate) gigabytes of "JSON".
 */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/**
 * The most tensors a header may list. Real checkpoints hold thousands; a header listing millions is crafted,
 * and every entry costs memory and time before the first check on the weights.
 */
export const SAFETENSORS_MAX_TENSORS = 100_000;

/**
 * The deepest JSON nesting a valid header has is 3 (`{ name: { shape: [ ... ] } }`); anything deeper is
 * malformed, and is refused before parsing so that no recursive walk sees it.
 */
const MAX_HEADER_DEPTH = 3;

/**
 * The safetensors dtypes attn reads, with their element sizes in bytes. F16, BF16 and F64 (what PyTorch writes
 * for half, bfloat16 and double weights) are converted to float32 on load.
 */
export const SAFETENSORS_ELEMENT_BYTES = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I32: 4,
  I64: 8,
  U8: 1,
  BOOL: 1,
} as const;

/** A safetensors dtype attn can read. */
export type SafetensorsDType = keyof typeof SAFETENSORS_ELEMENT_BYTES;

/** One tensor as the header describes it; `begin`/`end` are byte offsets into the data buffer. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/**
 * A validated header: the entries in file order, the metadata and where the data buffer starts in the file.
 */
export interface SafetensorsHeader {
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Record<string, string>;
  /** Byte offset of the data buffer in the file (8 + header length). */
  readonly dataStart: number;
  /** Length of the data buffer in bytes. */
  readonly dataLength: number;
}

/** Throws the error for a malformed file: `safetensors: <file>: <problem>`. */
export function failFile(file: string, problem: string): never {
  throw new AttnError(SAFETENSORS_OP, `${file}: ${problem}`);
}

/**
 * Reads and validates the header of a safetensors file held in `bytes`. Every entry is checked (dtype, shape,
 * offsets, byte count) and the entries must tile the data buffer exactly, with no overlap and no hole, as the
 * format requires. `file` names the input in error messages.
 */
export function readSafetensorsHeader(bytes: Uint8Array, file = '<buffer>'): SafetensorsHeader {
  const headerLength = readHeaderLength(bytes, file);
  const json = decodeHeaderJson(bytes.subarray(8, 8 + headerLength), file);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  const keys = Object.keys(json);
  const tensorCount = keys.length - (Object.hasOwn(json, '__metadata__') ? 1 : 0);
  if (tensorCount > SAFETENSORS_MAX_TENSORS) {
    failFile(file, `header lists ${tensorCount} tensors, more than the limit of ${SAFETENSORS_MAX_TENSORS}`);
  }
  for (const [key, value] of Object.entries(json)) {
    if (key === '__metadata__') metadata = parseMetadata(value, file);
    else entries.push(parseEntry(key, value, dataLength, file));
  }
  checkCoverage(entries, dataLength, file);
  return { entries, metadata, dataStart, dataLength };
}

function readHeaderLength(bytes: Uint8Array, file: string): number {
  if (bytes.length < 8) {
    failFile(file, `file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    failFile(file, `header length ${length} exceeds the limit of ${SAFETENSORS_MAX_HEADER_BYTES} bytes`);
  }
  if (length > BigInt(bytes.length - 8)) {
    failFile(file, `header length ${length} exceeds the file size ${bytes.length}`);
  }
  return Number(length);
}

function decodeHeaderJson(headerBytes: Uint8Array, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    failFile(file, 'header is not valid UTF-8');
  }
  const depth = jsonNestingDepth(text);
  if (depth > MAX_HEADER_DEPTH) {
    failFile(
      file,
      `header is nested ${depth} levels deep; a safetensors header has at most ${MAX_HEADER_DEPTH}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    failFile(file, `header is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(parsed)) failFile(file, `header must be a JSON object, got ${describe(parsed)}`);
  return parsed;
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (value === null) return {};
  if (!isObject(value)) failFile(file, `__metadata__ must be an object of strings, got ${describe(value)}`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      failFile(file, `__metadata__ value of ${JSON.stringify(key)} must be a string, got ${describe(item)}`);
    }
  }
  // fromEntries defines own properties, so even a key named "__proto__" stays plain data.
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function parseEntry(name: string, value: unknown, dataLength: number, file: string): SafetensorsEntry {
  const where = `tensor ${JSON.stringify(name)}`;
  if (!isObject(value)) failFile(file, `${where} must be an object, got ${describe(value)}`);
  const dtype = parseDType(value['dtype'], where, file);
  const shape = parseShape(value['shape'], where, file);
  const [begin, end] = parseOffsets(value['data_offsets'], dataLength, where, file);
  const count = shape.reduce((n, d) => n * d, 1);
  const needed = count * SAFETENSORS_ELEMENT_BYTES[dtype];
  if (end - begin !== needed) {
    failFile(
      file,
      `${where} has ${end - begin} bytes but shape ${JSON.stringify(shape)} of ${dtype} needs ${needed}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

function parseDType(value: unknown, where: string, file: string): SafetensorsDType {
  if (value === undefined) failFile(file, `${where} has no dtype`);
  if (typeof value !== 'string') failFile(file, `${where} dtype must be a string, got ${describe(value)}`);
  if (!Object.hasOwn(SAFETENSORS_ELEMENT_BYTES, value)) {
    const supported = Object.keys(SAFETENSORS_ELEMENT_BYTES).join(', ');
    failFile(file, `${where} has unsupported dtype ${value} (attn reads ${supported})`);
  }
  return value as SafetensorsDType;
}

function parseShape(value: unknown, where: string, file: string): number[] {
  if (value === undefined) failFile(file, `${where} has no shape`);
  if (!Array.isArray(value)) failFile(file, `${where} shape must be an array, got ${describe(value)}`);
  for (const d of value) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      failFile(
        file,
        `${where} has an invalid shape ${JSON.stringify(value)}: sizes must be non-negative integers`,
      );
    }
  }
  return value as number[];
}

function parseOffsets(value: unknown, dataLength: number, where: string, file: string): [number, number] {
  if (value === undefined) failFile(file, `${where} has no data_offsets`);
  if (!Array.isArray(value) || value.length !== 2) {
    failFile(file, `${where} data_offsets must be an array [begin, end], got ${describe(value)}`);
  }
  const [begin, end] = value as unknown[];
  const shown = JSON.stringify(value);
  if (!isOffset(begin) || !isOffset(end)) {
    failFile(file, `${where} data_offsets ${shown} must be non-negative integers`);
  }
  if (begin > end) failFile(file, `${where} data_offsets ${shown} begin after end`);
  if (end > dataLength) {
    failFile(file, `${where} data_offsets ${shown} are out of range of the ${dataLength}-byte data buffer`);
  }
  return [begin, end];
}

/**
 * The entries must cover the data buffer exactly once: sorted by offset, each starts where the last ended.
 */
function checkCoverage(entries: readonly SafetensorsEntry[], dataLength: number, file: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: SafetensorsEntry | undefined;
  for (const entry of sorted) {
    if (entry.begin < cursor && previous) {
      failFile(file, `${describeEntry(entry)} overlaps ${describeEntry(previous)}`);
    }
    if (entry.begin > cursor) {
      failFile(file, `the data buffer has a hole: bytes [${cursor}, ${entry.begin}) belong to no tensor`);
    }
    cursor = entry.end;
    if (entry.end > entry.begin) previous = entry;
  }
  if (cursor < dataLength) {
    failFile(file, `the data buffer has a hole: bytes [${cursor}, ${dataLength}) belong to no tensor`);
  }
}

function describeEntry(entry: SafetensorsEntry): string {
  return `tensor ${JSON.stringify(entry.name)} [${entry.begin}, ${entry.end})`;
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a JSON value for error messages. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array ${truncate(JSON.stringify(value))}`;
  if (typeof value === 'object') return 'object';
  if (typeof value === 'string') return `string ${truncate(JSON.stringify(value))}`;
  return `${typeof value} ${String(value)}`;
}

function truncate(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
