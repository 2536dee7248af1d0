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
  const pooled = takePooled(length);
  stats.requests++;
  if (pooled === null) stats.misses++;
  const data = pooled ?? allocateClass(length);
  handedLength.set(data.buffer, data.byteLength);
  births?.add(data.buffer);
  if (scopes.length > 0) {
    scopeBytesOut += data.buffer.byteLength;
    if (scopeBytesOut > scopePeakBytesOut) scopePeakBytesOut = scopeBytesOut;
  }
  return data;
}

/** A new array of `length` floats on storage of its whole size class (see sizeClassBytes), so that it pools. */
function allocateClass(length: number): Float32Array {
  const classLength = sizeClassBytes(length * 4) / 4;
  const full = allocator === null ? new Float32Array(classLength) : allocator(classLength);
  if (full.length !== classLength) {
    throw new Error(`uninitialised allocator returned ${full.length} floats for a request of ${classLength}`);
  }
  // An allocator that carves arrays out of a shared buffer gets no rounding: its buffer is not ours to pool.
  if (full.byteOffset !== 0 || full.buffer.byteLength !== full.byteLength) {
    return classLength === length ? full : allocateExact(length);
  }
  return classLength === length ? full : new Float32Array(full.buffer, 0, length);
}

function allocateExact(length: number): Float32Array {
  const data = allocator === null ? new Float32Array(length) : allocator(length);
  if (data.length !== length) {
    throw new Error(`uninitialised allocator returned ${data.length} floats for a request of ${length}`);
  }
  return data;
}

/**
 * The bytes of storage the pool gives a request of `bytes`: rounded up to a multiple of a quarter of its octave,
 * 2^(⌊log2 bytes⌋ − 2), so at most 25% more. Ragged batches ask for a different size at nearly every sequence
 * length; with exact sizes a buffer served only its own length, and the pool had to hold every length's set (over
 * 1 GiB for a Transformer on short sentences, see below). A class serves every request it rounds up from.
 */
export function sizeClassBytes(bytes: number): number {
  if (bytes < 16) return bytes;
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 2);
  return Math.ceil(bytes / step) * step;
}

/** The byte length of the array uninitialisedFloats gave out last on each buffer (a prefix of the buffer). */
const handedLength = new WeakMap<ArrayBufferLike, number>();

/**
 * Whether `a` spans all the storage it is on: the whole ArrayBuffer, or all of what uninitialisedFloats gave out
 * on a pooled buffer of a larger size class. Only such an array's buffer may be recycled or adopted whole.
 */
export function isWholeStorage(a: ArrayBufferView): boolean {
  return (
    a.byteOffset === 0 &&
    (a.byteLength === a.buffer.byteLength || handedLength.get(a.buffer) === a.byteLength)
  );
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
 * request of the same size class takes it instead of allocating. Only buffers this module gave out during the pass
 * are taken back (see trackBirths), and only whole buffers, so a view never outlives its storage's reuse.
 *
 * How much is kept. A training step in tidy() holds at its peak all the storage it will hand back when it ends,
 * and the next step of the same shapes asks for the same sizes again; a pool smaller than that peak drops the
 * excess and the next step allocates it anew (a Transformer on short sentences, 8k-word vocabulary: 300-500 MB
 * per step against the old fixed 256 MiB, about half of every step's requests missed). So by default the limit
 * follows the demand: it is the larger of 256 MiB and the most storage any outermost storage scope had out at
 * once (the bytes uninitialisedFloats gave out during the scope, less those recycled during it, at their peak).
 * Memory the process needed at that peak anyway stays reserved; nothing beyond it does. When the pool is full,
 * the sizes used longest ago go first (the pool keeps its sizes in order of last use), so that sizes a run has
 * stopped asking for (an evaluation's, another batch length's) do not crowd out the ones it asks for now.
 */
const DEFAULT_POOL_BYTES = 256 * 1024 * 1024;
/** Free buffers by byte length; Map order is the order of last use, least recent first. */
const pool = new Map<number, ArrayBuffer[]>();
let pooledBytes = 0;
/** A fixed limit set by setStoragePoolLimit, or null: the automatic one (see above). */
let fixedLimit: number | null = null;
let autoLimit = DEFAULT_POOL_BYTES;
/** Bytes given out less bytes recycled since the outermost scope opened, and its peak. */
let scopeBytesOut = 0;
let scopePeakBytesOut = 0;
/** The largest scopePeakBytesOut so far; the automatic limit stays below AUTO_LIMIT_FACTOR times it. */
let peakBytesOut = 0;
const AUTO_LIMIT_FACTOR = 2;
/** How many size classes above its own a request may take a free buffer from (4: up to twice its bytes). */
const LARGER_CLASSES = 4;
let births: Set<ArrayBufferLike> | null = null;
/** The storage scopes (see tidy.ts) now open, outermost first: each one's births and the recorder it replaced. */
const scopes: { births: Set<ArrayBufferLike>; previous: Set<ArrayBufferLike> | null }[] = [];

/** Counters since start-up or the last resetStoragePoolStats: requests of pooled size, misses, bytes dropped. */
export interface StoragePoolStats {
  requests: number;
  misses: number;
  droppedBytes: number;
}
const stats: StoragePoolStats = { requests: 0, misses: 0, droppedBytes: 0 };

/** The pool's counters (a copy), to measure how often storage is allocated anew. */
export function storagePoolStats(): StoragePoolStats & { pooledBytes: number; limit: number } {
  return { ...stats, pooledBytes, limit: poolLimit() };
}

export function resetStoragePoolStats(): void {
  stats.requests = stats.misses = stats.droppedBytes = 0;
}

function poolLimit(): number {
  return fixedLimit ?? autoLimit;
}

/** Moves size `bytes` to the most recently used end of the pool's order. */
function touch(bytes: number, free: ArrayBuffer[]): void {
  pool.delete(bytes);
  pool.set(bytes, free);
}

/** Drops the least recently used free buffers (never of size `keep`) until `bytes` more fit under the limit. */
function makeRoom(bytes: number, keep: number): boolean {
  const limit = poolLimit();
  if (bytes > limit) return false;
  for (const [size, free] of pool) {
    if (pooledBytes + bytes <= limit) break;
    if (size === keep) continue;
    while (free.length > 0 && pooledBytes + bytes > limit) {
      free.pop();
      pooledBytes -= size;
      stats.droppedBytes += size;
    }
    if (free.length === 0) pool.delete(size);
  }
  return pooledBytes + bytes <= limit;
}

let recycledFill: number | null = null;

function takePooled(length: number): Float32Array | null {
  // The request's own class, else one of the next few (at most twice the bytes): a longer batch's buffer serves
  // a shorter one's request, so the pool need not hold a set of buffers for every batch length.
  let bytes = sizeClassBytes(length * 4);
  let free = pool.get(bytes);
  for (let up = 0; up < LARGER_CLASSES && !free?.length; up++) {
    bytes = sizeClassBytes(bytes + 1);
    free = pool.get(bytes);
  }
  const buffer = free?.pop();
  if (!buffer) return null;
  touch(bytes, free!);
  pooledBytes -= buffer.byteLength;
  const data = new Float32Array(buffer, 0, length);
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
  // Neither a scope nor a backward pass (the recorder now) may hand it back a second time.
  for (const scope of scopes) scope.births.delete(buffer);
  births?.delete(buffer);
  if (scopes.length > 0) scopeBytesOut -= buffer.byteLength;
  const bytes = buffer.byteLength;
  // Only a whole size class is ever asked for again (a foreign buffer of another length would only take room).
  if (sizeClassBytes(bytes) !== bytes) return;
  if (pooledBytes + bytes > poolLimit() && !makeRoom(bytes, bytes)) {
    stats.droppedBytes += bytes;
    return;
  }
  const free = pool.get(bytes) ?? [];
  free.push(buffer);
  touch(bytes, free);
  pooledBytes += bytes;
}

/**
 * Gives back arrays that uninitialisedFloats returned and that the caller alone referenced: a fused op's
 * internal buffers once its backward has run. Views of part of a buffer are ignored.
 */
export function recycleFloats(...arrays: Float32Array[]): void {
  for (const a of arrays) if (isWholeStorage(a)) recycle(a.buffer);
}

/**
 * Sets how many bytes of recycled storage are kept for reuse (0 turns recycling off) and drops what is kept
 * beyond it; 'auto' (the default) restores the limit that follows the demand of tidy() scopes (see above).
 */
export function setStoragePoolLimit(bytes: number | 'auto'): void {
  if (bytes !== 'auto' && (!Number.isFinite(bytes) || bytes < 0)) {
    throw new Error(`setStoragePoolLimit: bytes must be 'auto' or a finite number ≥ 0, got ${bytes}`);
  }
  fixedLimit = bytes === 'auto' ? null : bytes;
  if (pooledBytes > poolLimit()) {
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
  if (scopes.length === 0) scopeBytesOut = scopePeakBytesOut = 0;
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
  // All the storage the outermost scope used (what the pool holds now and what the scope gives back) is what the
  // next one of similar shapes asks for again: keep room for it.
  if (scopes.length === 0) {
    let released = 0;
    for (const buffer of set) if (!keep.has(buffer)) released += buffer.byteLength;
    peakBytesOut = Math.max(peakBytesOut, scopePeakBytesOut);
    const wanted = Math.min(pooledBytes + released, AUTO_LIMIT_FACTOR * peakBytesOut);
    autoLimit = Math.max(autoLimit, wanted);
  }
  const outer = scopes[scopes.length - 1]?.births;
  for (const buffer of set) {
    if (keep.has(buffer)) outer?.add(buffer);
    else release(buffer);
  }
  set.clear();
}

/**
 * Puts `buffers` (storage uninitialisedFloats gave out, which only the caller's work referenced) in the innermost
 * storage scope's set, to be released with the rest of its storage when it closes; outside any scope, nothing
 * happens (the collector frees them).
 */
export function addToStorageScope(buffers: Iterable<ArrayBufferLike>): void {
  const scope = scopes[scopes.length - 1];
  if (!scope) return;
  for (const buffer of buffers) scope.births.add(buffer);
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

/*
 * Telling a released tensor from a live one. A scope's storage goes back to the pool while tensors made on it may
 * still be referenced (kept in a variable outside the scope by mistake); using one must fail, not read storage
 * that a later op now owns. Each pooled buffer has a generation, bumped when a scope releases it; a Tensor
 * records its buffer's generation when it is made, and the ops' input check (checkLive in tensor.ts) compares the
 * two. Detaching the buffer instead (moving its memory to a new ArrayBuffer with structuredClone's transfer, so
 * every array on the old one becomes empty) also catches a raw `.data` array read after its scope, but V8 counts
 * each moved buffer as new external memory: a GRU translation step releases about 100 MB, which started four
 * young-generation and one full collection per step and cost a third of the step. So detaching is a checking
 * mode (setDetachReleasedStorage), which the test suite turns on.
 */
const generations = new WeakMap<ArrayBufferLike, number>();
let detachReleased = false;

/** How many times a scope has released `buffer` (0 for storage never released). */
export function storageGeneration(buffer: ArrayBufferLike): number {
  return generations.get(buffer) ?? 0;
}

/**
 * With true, released storage is also detached, so that even a raw array taken from a released tensor's .data
 * reads as empty (see above); slower, for tests and debugging.
 */
export function setDetachReleasedStorage(flag: boolean): void {
  detachReleased = flag;
}

/** Marks `buffer` released (its tensors fail checkLive from now on) and pools it. */
function release(buffer: ArrayBufferLike): void {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
  if (detachReleased) {
    recycle(structuredClone(buffer, { transfer: [buffer] }));
    return;
  }
  generations.set(buffer, storageGeneration(buffer) + 1);
  recycle(buffer);
}
