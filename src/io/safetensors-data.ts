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
 * int32; I64 becomes int32 and every value must fit. F16 and BF16 become float32 exactly (every half and bfloat16
 * value is a float32 value); F64 is rounded to the nearest float32, as PyTorch's `.float()` does.
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
    case 'F16':
      return { data: decodeFloat16(bytes), dtype: 'float32' };
    case 'BF16':
      return { data: decodeBfloat16(bytes), dtype: 'float32' };
    case 'F64':
      return { data: decodeFloat64(bytes), dtype: 'float32' };
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

/**
 * IEEE 754 half precision: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits.
 *   normal     (e in 1…30): (−1)^s · 2^(e−15) · (1 + f/1024)
 *   subnormal  (e = 0):     (−1)^s · 2^(−14) · (f/1024)
 *   e = 31: ±Infinity when f = 0, else NaN.
 */
function decodeFloat16(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / 2);
  const view = viewOf(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = view.getUint16(2 * i, true);
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    if (exponent === 0) out[i] = sign * fraction * 2 ** -24;
    else if (exponent === 31) out[i] = fraction === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1024 + fraction) * 2 ** (exponent - 25);
  }
  return out;
}

/** bfloat16 is the top half of a float32's bits: shifting them back up gives the float32 exactly. */
function decodeBfloat16(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / 2);
  const bits = new Uint32Array(out.buffer);
  const view = viewOf(bytes);
  for (let i = 0; i < out.length; i++) bits[i] = view.getUint16(2 * i, true) << 16;
  return out;
}

/** Doubles rounded to the nearest float32 (the Float32Array store rounds; out of range becomes ±Infinity). */
function decodeFloat64(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / 8);
  const view = viewOf(bytes);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
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
