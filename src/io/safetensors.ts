/**
 * safetensors (https://github.com/huggingface/safetensors) encoding and decoding: the format PyTorch and
 * Hugging Face use for weights, and the one attn's checkpoints and PyTorch fixtures use. Pure: works on byte
 * arrays, so it runs in a browser; reading and writing files lives in `safetensors-file.ts`.
 *
 * Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * `{"<name>": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`, then the data buffer
 * (offsets are relative to its start).
 */
import { AttnError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeElements, elementBytes, encodeElements, SAFETENSORS_DTYPE_OF } from './safetensors-data.js';
import { readSafetensorsHeader, SAFETENSORS_OP } from './safetensors-header.js';

export {
  readSafetensorsHeader,
  SAFETENSORS_MAX_HEADER_BYTES,
  SAFETENSORS_MAX_TENSORS,
  type SafetensorsDType,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './safetensors-header.js';

/** The contents of a safetensors file: tensors by name (in file order) and the string metadata. */
export interface SafetensorsContents {
  readonly tensors: Map<string, Tensor>;
  readonly metadata: Record<string, string>;
}

/** Tensors to write, by name. */
export type NamedTensors = Record<string, Tensor> | ReadonlyMap<string, Tensor>;

/**
 * Decodes a whole safetensors file held in `bytes`. Every tensor gets freshly allocated storage (nothing
 * aliases `bytes`). F32, F16, BF16, F64 → float32 (F64 rounded), I32 → int32, BOOL → bool, U8 → bool when
 * all bytes are 0/1 else int32, I64 → int32 (values must fit). Any other dtype is an error naming the file, the
 * tensor and the dtype. Malformed input throws an `AttnError` naming `name` and the problem.
 */
export function parseSafetensors(bytes: Uint8Array, name = '<buffer>'): SafetensorsContents {
  const header = readSafetensorsHeader(bytes, name);
  const tensors = new Map<string, Tensor>();
  for (const entry of header.entries) {
    const raw = bytes.subarray(header.dataStart + entry.begin, header.dataStart + entry.end);
    const { data, dtype } = decodeElements(raw, entry.dtype, entry.name, name);
    tensors.set(entry.name, new Tensor(data, entry.shape, dtype));
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Encodes tensors (F32, I32, BOOL) and optional string metadata as safetensors bytes. Tensors are laid out in
 * sorted name order with contiguous offsets, and the header is padded with spaces so the data buffer starts
 * at a multiple of 8 bytes, as the reference implementation does (readers can then map the data without
 * copying).
 */
export function serializeSafetensors(tensors: NamedTensors, metadata?: Record<string, string>): Uint8Array {
  const named = sortedTensors(tensors);
  const fields: string[] = [];
  if (metadata !== undefined) {
    const entries = metadataEntries(metadata);
    if (entries.length > 0) fields.push(`"__metadata__":${jsonObject(entries)}`);
  }
  let dataLength = 0;
  for (const [name, tensor] of named) {
    const bytes = tensor.size * elementBytes(tensor.dtype);
    const info = {
      dtype: SAFETENSORS_DTYPE_OF[tensor.dtype],
      shape: tensor.shape,
      data_offsets: [dataLength, dataLength + bytes],
    };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    dataLength += bytes;
  }
  const header = paddedHeader(`{${fields.join(',')}}`);
  const out = new Uint8Array(8 + header.length + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let offset = 8 + header.length;
  for (const [, tensor] of named) {
    encodeElements(tensor.data, out, offset);
    offset += tensor.size * elementBytes(tensor.dtype);
  }
  return out;
}

/** The tensors as [name, tensor] pairs in code-unit order of the names, each name and value checked. */
function sortedTensors(tensors: NamedTensors): [string, Tensor][] {
  const pairs: [string, Tensor][] = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  for (const [name, tensor] of pairs) {
    if (name === '') fail('tensor names must not be empty');
    if (name === '__metadata__') fail('"__metadata__" is reserved for metadata, not a tensor name');
    if (!(tensor instanceof Tensor)) fail(`${JSON.stringify(name)} is not a Tensor`);
  }
  return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function metadataEntries(metadata: Record<string, string>): [string, string][] {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    fail('metadata must be an object of strings');
  }
  const entries = Object.entries(metadata);
  for (const [key, value] of entries) {
    if (typeof value !== 'string') {
      fail(`metadata value of ${JSON.stringify(key)} must be a string, got ${typeof value}`);
    }
  }
  return entries;
}

/** A JSON object written by hand, so keys keep their order (JS objects put integer-like keys first). */
function jsonObject(entries: readonly [string, string][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
}

/** UTF-8 header bytes padded with spaces to a multiple of 8, so 8 + length is too. */
function paddedHeader(json: string): Uint8Array {
  const encoded = new TextEncoder().encode(json);
  const padded = new Uint8Array(Math.ceil(encoded.length / 8) * 8).fill(0x20);
  padded.set(encoded);
  return padded;
}

function fail(message: string): never {
  throw new AttnError(SAFETENSORS_OP, message);
}
