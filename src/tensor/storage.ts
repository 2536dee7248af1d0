/**
 * Float32 storage for op outputs that their kernel overwrites entirely.
 *
 * `new Float32Array(n)` zero-fills, and for a large array it maps fresh pages that fault in one by one: on
 * Node 20 here a 4 MiB array costs about 0.8 ms that way, against 0.07 ms for uninitialised memory, and the
 * kernel then writes every element a second time. A training step allocates hundreds of such outputs. So ops
 * whose kernel writes all of its output ask for uninitialised storage; the Node entry point installs an
 * allocator that gives it (Buffer.allocUnsafeSlow), while the core keeps zeroed arrays so that it runs in a
 * browser unchanged. Small arrays always come zeroed: below a few KiB zeroing costs nothing measurable.
 */

/** Returns a Float32Array of exactly `length` elements whose contents are unspecified. */
export type UninitialisedAllocator = (length: number) => Float32Array;

let allocator: UninitialisedAllocator | null = null;
let minLength = 4096;

/**
 * Installs (or, with null, removes) the allocator of uninitialised storage; see the module comment. Requests
 * below `minimum` elements (by default 4096, 16 KiB) get plain zeroed arrays.
 */
export function setUninitialisedAllocator(fn: UninitialisedAllocator | null, minimum = 4096): void {
  allocator = fn;
  minLength = minimum;
}

/** Whether an allocator is installed (the Node entry point keeps one a test or a user installed first). */
export function hasUninitialisedAllocator(): boolean {
  return allocator !== null;
}

/**
 * Storage for `length` floats that the caller will overwrite in full before anyone reads it. Only for kernels
 * that write every element: reading an element the kernel skipped would read whatever the memory held.
 */
export function uninitialisedFloats(length: number): Float32Array {
  if (allocator === null || length < minLength) return new Float32Array(length);
  const data = allocator(length);
  if (data.length !== length) {
    throw new Error(`uninitialised allocator returned ${data.length} floats for a request of ${length}`);
  }
  return data;
}
