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
  if (length < minLength) return new Float32Array(length);
  const data = takePooled(length) ?? (allocator === null ? new Float32Array(length) : allocator(length));
  if (data.length !== length) {
    throw new Error(`uninitialised allocator returned ${data.length} floats for a request of ${length}`);
  }
  births?.add(data.buffer);
  return data;
}

/**
 * Zero-filled storage for `length` floats, from the same pool as uninitialisedFloats: a gradient that a kernel
 * only scatters into (an embedding's, a slice's) must start at zero, and a fresh `new Float32Array` of that size
 * maps new pages and counts as new external memory, which starts V8 collections (see below); filling a pooled
 * array costs less than either.
 */
export function zeroedFloats(length: number): Float32Array {
  if (length < minLength) return new Float32Array(length);
  return uninitialisedFloats(length).fill(0);
}

/*
 * Recycled storage. A backward pass makes and drops a gradient buffer for nearly every tensor of the graph, and
 * the next forward pass allocates the same sizes again: a Transformer classifier's step allocates about half a
 * GiB. V8 starts a collection for every 64 MiB of new ArrayBuffer memory, and each one marks the whole JS heap
 * and frees the dead buffers (4-5 ms here, nine times per step). The autograd engine knows when a gradient buffer
 * it made in a pass is dead (every consumer has run and no leaf adopted it), and hands it back here; the next
 * request for the same size takes it instead of allocating. Only buffers this module gave out during the pass are
 * taken back (see trackBirths), and only exact sizes are reused, so a view never outlives its storage's reuse.
 */
const pool = new Map<number, ArrayBuffer[]>();
let pooledBytes = 0;
let poolLimit = 256 * 1024 * 1024;
let births: Set<ArrayBufferLike> | null = null;
/** The storage scopes (see tidy.ts) now open, outermost first: each one's births and the recorder it replaced. */
const scopes: { births: Set<ArrayBufferLike>; previous: Set<ArrayBufferLike> | null }[] = [];

let recycledFill: number | null = null;

function takePooled(length: number): Float32Array | null {
  const free = pool.get(length * 4);
  const buffer = free?.pop();
  if (!buffer) return null;
  pooledBytes -= buffer.byteLength;
  const data = new Float32Array(buffer);
  if (recycledFill !== null) data.fill(recycledFill);
  return data;
}

/**
 * Fills recycled storage with `value` before handing it out again (null: leaves what it held). The test suite
 * fills with NaN, as its allocator does, so that a kernel that skips an element is caught on reused storage too.
 */
export function setRecycledFill(value: number | null): void {
  recycledFill = value;
}

/**
 * Starts (with a set) or stops (with null) recording the storage uninitialisedFloats gives out; returns the
 * previous recorder so that a nested pass can restore it. The autograd engine records each backward pass.
 */
export function trackBirths(set: Set<ArrayBufferLike> | null): Set<ArrayBufferLike> | null {
  const previous = births;
  births = set;
  return previous;
}

/**
 * Takes back storage that nothing references any more, for a later request of the same size. The caller
 * guarantees that no array, tensor or kernel will read or write it again. Dropped when the pool is full.
 */
export function recycle(buffer: ArrayBufferLike): void {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < minLength * 4) return;
  // A scope must not hand it back a second time when it ends.
  for (const scope of scopes) scope.births.delete(buffer);
  if (pooledBytes + buffer.byteLength > poolLimit) return;
  const free = pool.get(buffer.byteLength);
  if (free) free.push(buffer);
  else pool.set(buffer.byteLength, [buffer]);
  pooledBytes += buffer.byteLength;
}

/**
 * Gives back arrays that uninitialisedFloats returned and that the caller alone referenced: a fused op's
 * internal buffers once its backward has run. Views of part of a buffer are ignored.
 */
export function recycleFloats(...arrays: Float32Array[]): void {
  for (const a of arrays) if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) recycle(a.buffer);
}

/**
 * Sets how many bytes of recycled storage are kept for reuse (256 MiB by default; 0 turns recycling off) and
 * drops what is kept beyond it.
 */
export function setStoragePoolLimit(bytes: number): void {
  if (!Number.isFinite(bytes) || bytes < 0) {
    throw new Error(`setStoragePoolLimit: bytes must be a finite number ≥ 0, got ${bytes}`);
  }
  poolLimit = bytes;
  if (pooledBytes > poolLimit) {
    pool.clear();
    pooledBytes = 0;
  }
}

/** Bytes of recycled storage kept for reuse now. */
export function pooledStorageBytes(): number {
  return pooledBytes;
}

/**
 * Opens a storage scope: from now on, the storage uninitialisedFloats gives out is recorded in the returned set
 * (except during a backward pass, which records its own). Pass the set to closeStorageScope when the scope ends.
 */
export function openStorageScope(): Set<ArrayBufferLike> {
  const set = new Set<ArrayBufferLike>();
  scopes.push({ births: set, previous: trackBirths(set) });
  return set;
}

/**
 * Closes the innermost storage scope `set`: each storage it recorded that is not in `keep` is detached (every
 * array on it becomes empty, so that a tensor used after its scope fails loudly instead of reading storage that
 * something else now owns) and pooled for reuse; the storage in `keep` passes to the enclosing scope, if any.
 */
export function closeStorageScope(set: Set<ArrayBufferLike>, keep: ReadonlySet<ArrayBufferLike>): void {
  const scope = scopes[scopes.length - 1];
  if (scope?.births !== set) throw new Error('closeStorageScope: scopes must close innermost first');
  scopes.pop();
  trackBirths(scope.previous);
  const outer = scopes[scopes.length - 1]?.births;
  for (const buffer of set) {
    if (keep.has(buffer)) outer?.add(buffer);
    else release(buffer);
  }
  set.clear();
}

/** Storage the autograd engine made for a leaf's .grad (adopted, copied or summed there): no other array views it. */
const gradStorage = new WeakSet<ArrayBufferLike>();

/** Records that the engine made `buffer` to be a leaf's .grad (see dropGradStorage). */
export function markGradStorage(buffer: ArrayBufferLike): void {
  gradStorage.add(buffer);
}

/**
 * Called when a .grad is dropped (zeroGrad). Inside a storage scope (tidy), storage the engine made for it goes
 * with the scope's own when the scope ends, unless the scope's result holds it: a training step that clears the
 * gradients then hands last step's back to the pool, instead of leaving about as many bytes as the model has
 * parameters for the collector at every step. Outside a scope, or for a gradient the caller set, nothing
 * happens.
 */
export function dropGradStorage(buffer: ArrayBufferLike): void {
  const scope = scopes[scopes.length - 1];
  if (!scope || !gradStorage.delete(buffer)) return;
  scope.births.add(buffer);
}

/** Detaches `buffer` from every array on it and pools its memory under a new ArrayBuffer (no copy is made). */
function release(buffer: ArrayBufferLike): void {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
  const moved = structuredClone(buffer, { transfer: [buffer] });
  recycle(moved);
}
