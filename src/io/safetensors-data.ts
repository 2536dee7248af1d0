/**
 * Element bytes of safetensors tensors: little-endian on disk, decoded into fresh typed arrays (never views
 * of the input, so the caller's buffer can be reused or freed, and unaligned offsets are fine) and encoded
 * back. On a little-endian host (every current JS engine) whole ranges are copied at once; a big-endian host
 * goes through a DataView. Pure: no Node imports.
 */
import type { DataArray, DType } from '../tensor/dtype.js';
import { failFile, type SafetensorsDType } from './safetensors-header.js';

/** Whether this host stores typed arrays little-endian, as safetensors does. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decoded storage and the attn dtype it has. */
export interface DecodedElements {
  readonly data: DataArray;
  readonly dtype: DType;
}

/**
 * Decodes `bytes` (exactly the tensor's byte range) holding elements of `dtype`. `tensor` and `file` name the
 * tensor in errors. U8 becomes bool when every byte is 0 or 1 (PyTorch fixtures store masks as U8), otherwise
 * int32; I64 becomes int32 and every value must fit.
 */
export function decodeElements(
  bytes: Uint8Array,
  dtype: SafetensorsDType,
  tensor: string,
  file: string,
  littleEndianHost = HOST_LITTLE_ENDIAN,
): DecodedElements {
  switch (dtype) {
    case 'F32':
      return {
        data: decodeWords(bytes, littleEndianHost, new Float32Array(bytes.length / 4), (v, o) =>
          v.getFloat32(o, true),
        ),
        dtype: 'float32',
      };
    case 'I32':
      return {
        data: decodeWords(bytes, littleEndianHost, new Int32Array(bytes.length / 4), (v, o) =>
          v.getInt32(o, true),
        ),
        dtype: 'int32',
      };
    case 'I64':
      return { data: decodeInt64(bytes, tensor, file), dtype: 'int32' };
    case 'U8':
      return isZeroOne(bytes)
        ? { data: new Uint8Array(bytes), dtype: 'bool' }
        : { data: Int32Array.from(bytes), dtype: 'int32' };
    case 'BOOL':
      return { data: decodeBool(bytes, tensor, file), dtype: 'bool' };
  }
}

/** 4-byte little-endian elements: copied as they are on a little-endian host, else read one by one. */
function decodeWords<T extends Float32Array | Int32Array>(
  bytes: Uint8Array,
  littleEndianHost: boolean,
  out: T,
  read: (view: DataView, offset: number) => number,
): T {
  if (littleEndianHost) {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = viewOf(bytes);
  for (let i = 0; i < out.length; i++) out[i] = read(view, 4 * i);
  return out;
}

function decodeInt64(bytes: Uint8Array, tensor: string, file: string): Int32Array {
  const out = new Int32Array(bytes.length / 8);
  const view = viewOf(bytes);
  for (let i = 0; i < out.length; i++) {
    const low = view.getInt32(8 * i, true);
    const high = view.getInt32(8 * i + 4, true);
    if (high !== low >> 31) {
      const value = view.getBigInt64(8 * i, true);
      failFile(
        file,
        `tensor ${JSON.stringify(tensor)}: I64 value ${value} at element ${i} is outside the int32 range`,
      );
    }
    out[i] = low;
  }
  return out;
}

function decodeBool(bytes: Uint8Array, tensor: string, file: string): Uint8Array {
  const out = new Uint8Array(bytes); // a copy (Buffer#slice would alias)
  for (let i = 0; i < out.length; i++) {
    if (out[i]! > 1) {
      failFile(file, `tensor ${JSON.stringify(tensor)}: BOOL byte ${out[i]} at element ${i} is not 0 or 1`);
    }
  }
  return out;
}

function isZeroOne(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 1) return false;
  return true;
}

/** The safetensors dtype attn writes for each of its dtypes. */
export const SAFETENSORS_DTYPE_OF: Readonly<Record<DType, SafetensorsDType>> = {
  float32: 'F32',
  int32: 'I32',
  bool: 'BOOL',
};

/** Bytes per element of each attn dtype as written. */
export function elementBytes(dtype: DType): number {
  return dtype === 'bool' ? 1 : 4;
}

/**
 * Writes `data` little-endian into `out` starting at byte `offset` (bool bytes are normalised to 0/1, since
 * readers may reject anything else).
 */
export function encodeElements(
  data: DataArray,
  out: Uint8Array,
  offset: number,
  littleEndianHost = HOST_LITTLE_ENDIAN,
): void {
  if (data instanceof Uint8Array) {
    for (let i = 0; i < data.length; i++) out[offset + i] = data[i] ? 1 : 0;
  } else if (littleEndianHost) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
  } else {
    const view = viewOf(out);
    if (data instanceof Float32Array) {
      for (let i = 0; i < data.length; i++) view.setFloat32(offset + 4 * i, data[i]!, true);
    } else {
      for (let i = 0; i < data.length; i++) view.setInt32(offset + 4 * i, data[i]!, true);
    }
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
