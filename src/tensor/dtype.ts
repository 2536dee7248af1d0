/**
 * Element types. float32 carries all the arithmetic; int32 holds token ids, indices and targets; bool holds masks
 * (PyTorch's convention: `true` means "ignore" / "not allowed").
 */
import { uninitialisedFloats } from './storage.js';

export type DType = 'float32' | 'int32' | 'bool';

/** The storage of a tensor: a plain typed array owned by JavaScript (the garbage collector frees it). */
export type DataArray = Float32Array | Int32Array | Uint8Array;

/**
 * Storage of `size` elements that the caller overwrites in full: float32 storage may start unspecified (see
 * storage.ts), other dtypes are small and come zeroed.
 */
export function allocateOverwritten(dtype: DType, size: number): DataArray {
  return dtype === 'float32' ? uninitialisedFloats(size) : allocate(dtype, size);
}

/** Allocates zero-filled storage for `size` elements of `dtype`. */
export function allocate(dtype: DType, size: number): DataArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

/** The dtype whose storage is `array`. */
export function dtypeOfArray(array: DataArray): DType {
  if (array instanceof Float32Array) return 'float32';
  if (array instanceof Int32Array) return 'int32';
  return 'bool';
}

export function isDType(value: unknown): value is DType {
  return value === 'float32' || value === 'int32' || value === 'bool';
}
