/**
 * The WebAssembly module (wasm/attn.wasm, built by scripts/build-wasm.mjs from native/*.cc) as a `NativeAddon`:
 * the same functions the compiled addon exports, taking a kernel's fields in table order, so that
 * `createNativeBackend` forwards the Backend's argument objects to either. Browser-safe: no Node imports.
 *
 * A call copies its arrays into the module's linear memory, fills the argument block that the generated entry
 * point reads (native/wasm/glue.h: per field, an array's address, length and dtype, a list's address and count,
 * or one number), runs the entry point, which checks the table's rules as the addon's glue does, and copies the
 * out and inout arrays back (an out array of a kernel without strides is not copied in: the kernel writes all of
 * it). Arrays that share
 * bytes of one buffer (k and v as two subarrays of one [B, T, 2·H·d] buffer, or linearActGrad's dPre = g) are
 * copied as one region, so that they alias in linear memory as they do
 * in JavaScript and no copy-back overwrites another's result.
 */
import { KERNELS, type FieldSpec, type KernelName, type KernelSpec } from '../kernel-table.js';
import type { NativeAddon, NativeKernel } from '../native/addon.js';

type Pointer = number;

/** The module's exports (native/wasm/exports.cc and the generated entry points). */
interface Exports {
  /** The single-threaded module's own memory (the threaded one imports its shared memory). */
  readonly memory?: WebAssembly.Memory;
  _initialize(): void;
  alloc(bytes: number): Pointer;
  free(p: Pointer): void;
  errorCode(): number;
  errorText(): Pointer;
  errorLength(): number;
  threads(): number;
  simd(): Pointer;
  portableReason(): Pointer;
  setPortableOnly(on: number): void;
  setBatchInvariant(on: number): void;
  packedBFloats(k: number, n: number): number;
  packB(b: Pointer, k: number, n: number, transB: number, packed: Pointer): void;
  matmulPrepacked(...args: number[]): void;
  prepackedReadsPacked(m: number, n: number, k: number, transA: number, transB: number): number;
  /** The threaded module's count of workers that trapped (native/wasm/workers.cc). */
  workerFailures?(): number;
}

type Typed = Float32Array | Int32Array | Uint8Array;
type Dtype = 'f32' | 'i32' | 'u8' | 'any';

const DTYPE_CODE = new Map<unknown, number>([
  [Float32Array, 0],
  [Int32Array, 1],
  [Uint8Array, 2],
]);
const NAMES = ['a Float32Array', 'an Int32Array', 'a Uint8Array'];
const WANT: Record<Dtype, string> = {
  f32: NAMES[0]!,
  i32: NAMES[1]!,
  u8: NAMES[2]!,
  any: 'a Float32Array, Int32Array or Uint8Array',
};

/**
 * The imports of wasi-libc that the kernels reach: getenv (an empty environment: ATTN_* switches are Node's,
 * read by the addon), stdio that nothing writes in practice, and exit. Enough for a browser, which has no WASI.
 */
export function wasiStubs(): WebAssembly.ModuleImports & { bind(m: WebAssembly.Memory): void } {
  const EBADF = 8;
  let memory: WebAssembly.Memory | undefined;
  const stubs = {
    environ_sizes_get(count: Pointer, size: Pointer) {
      const view = new DataView(memory!.buffer);
      view.setUint32(count, 0, true);
      view.setUint32(size, 0, true);
      return 0;
    },
    environ_get: () => 0,
    fd_close: () => EBADF,
    fd_seek: () => EBADF,
    fd_write: () => EBADF,
    proc_exit(code: number) {
      throw new Error(`attn wasm: the module exited with status ${code}`);
    },
    bind(m: WebAssembly.Memory) {
      memory = m;
    },
  };
  return stubs;
}

/** One call's arrays laid out in the arena: each present array's address, by its position in the call. */
class Arena {
  private base: Pointer = 0;
  private size = 0;
  constructor(private readonly exports: Exports) {}

  /** The arena's start, at least `bytes` long (grown by half again when too short). */
  reserve(bytes: number): Pointer {
    if (bytes > this.size) {
      if (this.base) this.exports.free(this.base);
      this.size = Math.ceil(bytes * 1.5);
      this.base = this.exports.alloc(this.size);
      if (!this.base) throw new RangeError(`attn wasm: out of memory for ${bytes} bytes of arguments`);
    }
    return this.base;
  }
}

/** A run of bytes of one buffer that one or more of the call's arrays lie in. */
interface Region {
  buffer: ArrayBufferLike;
  start: number;
  end: number;
  at: Pointer;
  written: boolean;
  /** Every array in it is read by the kernel (role 'in' or 'inout'), so its bytes are copied in. */
  read: boolean;
}

/**
 * What a region of only 'out' arrays of a kernel without strides holds when the kernel starts: nothing is copied
 * into it (the kernel writes every element, as the table's 'out' role promises), so it keeps whatever an earlier
 * call left, unless a fill byte is set. The tests set 0xFF (NaN in every float), so that an element a kernel fails to write shows.
 */
let outputFill: number | undefined;

export function setWasmOutputFill(byte: number | undefined): void {
  outputFill = byte;
}

/**
 * Lays out `arrays` (null entries skipped) from `cursor` on: overlapping ones share a region. Returns the
 * regions and each array's address.
 */
function layout(
  arrays: readonly (Typed | null)[],
  written: readonly boolean[],
  read: readonly boolean[],
  cursor: Pointer,
) {
  const regions: Region[] = [];
  const index: number[] = [];
  const byBuffer = new Map<ArrayBufferLike, number[]>();
  arrays.forEach((x, i) => {
    if (!x) return;
    const list = byBuffer.get(x.buffer);
    if (list) list.push(i);
    else byBuffer.set(x.buffer, [i]);
  });
  for (const [buffer, members] of byBuffer) {
    members.sort((i, j) => arrays[i]!.byteOffset - arrays[j]!.byteOffset);
    let current: Region | undefined;
    for (const i of members) {
      const x = arrays[i]!;
      const end = x.byteOffset + x.byteLength;
      if (current && x.byteOffset < current.end) current.end = Math.max(current.end, end);
      else regions.push((current = { buffer, start: x.byteOffset, end, at: 0, written: false, read: false }));
      current.written ||= written[i]!;
      current.read ||= read[i]!;
      index[i] = regions.length - 1;
    }
  }
  // 16-byte aligned, keeping each region's offset mod 16 (an f32x4 load stays as aligned as in JavaScript).
  for (const r of regions) {
    r.at = ((cursor + 15) & ~15) + (r.start & 15);
    cursor = r.at + (r.end - r.start);
  }
  const at = arrays.map((x, i) =>
    x ? regions[index[i]!]!.at + (x.byteOffset - regions[index[i]!]!.start) : 0,
  );
  return { regions, at, end: cursor };
}

function regionBytes(arrays: readonly (Typed | null)[]): number {
  let bytes = 0;
  for (const x of arrays) if (x) bytes += x.byteLength + 32;
  return bytes;
}

/**
 * Creates the addon over an instantiated module (its `_initialize` not yet run): `imported` is the memory the
 * threaded module was given, and `beforeInit` what must happen before its constructors run (its thread-local
 * block).
 */
export function createWasmAddon(
  instance: WebAssembly.Instance,
  stubs?: { bind(m: WebAssembly.Memory): void },
  imported?: WebAssembly.Memory,
  beforeInit?: () => void,
): NativeAddon {
  const exports = instance.exports as unknown as Exports;
  const found = exports.memory ?? imported;
  if (!found) throw new Error('attn wasm: the module neither exports nor was given a memory');
  const wasmMemory: WebAssembly.Memory = found;
  stubs?.bind(wasmMemory);
  beforeInit?.();
  exports._initialize();
  const arena = new Arena(exports);
  const decoder = new TextDecoder();
  // slice: a browser's TextDecoder refuses a view of shared memory.
  const text = (p: Pointer, n?: number) => {
    const bytes = new Uint8Array(wasmMemory.buffer, p);
    return decoder.decode(bytes.slice(0, n ?? bytes.indexOf(0)));
  };
  let failures = exports.workerFailures?.() ?? 0;
  /** Throws when a worker trapped during the call just made: one of its tasks did not run. */
  const checkWorkers = (what: string) => {
    if (!exports.workerFailures) return;
    const now = exports.workerFailures();
    if (now === failures) return;
    failures = now;
    throw new Error(`attn wasm ${what}: a worker thread trapped during the call; its result is incomplete`);
  };

  /**
   * Copies `arrays` in, runs `body` with their addresses and the first free byte after them, and copies back
   * the regions that hold a `written` array (unless body returns false: a failed check ran nothing).
   */
  function call(
    arrays: readonly (Typed | null)[],
    written: readonly boolean[],
    read: readonly boolean[],
    extra: number,
    body: (at: readonly Pointer[], free: Pointer) => boolean,
  ): void {
    const base = arena.reserve(extra + regionBytes(arrays) + 16);
    const { regions, at } = layout(arrays, written, read, base + extra);
    let memory = new Uint8Array(wasmMemory.buffer);
    for (const r of regions) {
      if (r.read) memory.set(new Uint8Array(r.buffer, r.start, r.end - r.start), r.at);
      else if (outputFill !== undefined) memory.fill(outputFill, r.at, r.at + r.end - r.start);
    }
    if (!body(at, base)) return;
    memory = new Uint8Array(wasmMemory.buffer);
    for (const r of regions)
      if (r.written)
        new Uint8Array(r.buffer, r.start, r.end - r.start).set(memory.subarray(r.at, r.at + r.end - r.start));
  }

  function kernel(name: KernelName, spec: KernelSpec): NativeKernel {
    const fields = Object.entries(spec.args) as [string, FieldSpec][];
    const entry = (instance.exports as Record<string, (block: Pointer) => number>)[name]!;
    const fail = (field: string, what: string, Error: typeof TypeError = TypeError) => {
      throw new Error(`attn wasm ${name}: ${field} ${what}`);
    };
    const slots = fields.reduce(
      (n, [, f]) => n + (f.kind === 'array' ? 3 : f.kind === 'ints' || f.kind === 'layout' ? 2 : 1),
      0,
    );
    const arrayFields = fields.flatMap(([field, f], i) => (f.kind === 'array' ? [{ field, f, i }] : []));
    const written = arrayFields.map(({ f }) => f.kind === 'array' && f.role !== 'in');
    // Kernels with strides (int lists) or layouts may write an out array's elements sparsely (a strided copy, heads
    // written into rows of a wider buffer): their out arrays are copied in too.
    const strided = fields.some(([, f]) => f.kind === 'ints' || f.kind === 'layout');
    const read = arrayFields.map(({ f }) => f.kind === 'array' && (strided || f.role !== 'out'));
    return (...values: unknown[]) => {
      // JavaScript types first (what the entry point cannot see): arrays and lists.
      const arrays = arrayFields.map(({ field, f, i }) => {
        const x = values[i];
        const spec = f as Extract<FieldSpec, { kind: 'array' }>;
        if ((x === null || x === undefined) && (spec.nullable || spec.optional)) return null;
        const code = x !== null && typeof x === 'object' ? DTYPE_CODE.get(x.constructor) : undefined;
        const want =
          spec.dtype === 'any'
            ? undefined
            : DTYPE_CODE.get({ f32: Float32Array, i32: Int32Array, u8: Uint8Array }[spec.dtype]);
        if (code === undefined || (want !== undefined && code !== want))
          fail(
            field,
            `must be ${WANT[spec.dtype]}${spec.nullable || spec.optional ? ' or null' : ''}${code === undefined ? '' : `, got ${NAMES[code]}`}`,
          );
        return x as Typed;
      });
      const lists: (readonly number[] | null)[] = fields.map(([field, f], i) => {
        if (f.kind !== 'ints' && f.kind !== 'layout') return null;
        const x = values[i];
        if (f.kind === 'layout' && (x === null || x === undefined)) return null;
        if (!Array.isArray(x)) return fail(field, 'must be an array');
        for (const v of x) if (typeof v !== 'number') fail(field, 'must hold numbers');
        return x as number[];
      });
      let listBytes = 0;
      for (const l of lists) if (l) listBytes += 8 * l.length;
      const header = (8 * slots + listBytes + 15) & ~15;
      call(arrays, written, read, header, (at, block) => {
        const f64 = new Float64Array(wasmMemory.buffer, block, header / 8);
        let slot = 0;
        let list = slots;
        let a = 0;
        fields.forEach(([field, f], i) => {
          const x = values[i];
          switch (f.kind) {
            case 'array': {
              const arr = arrays[a];
              f64[slot] = at[a]!;
              f64[slot + 1] = arr ? arr.length : 0;
              f64[slot + 2] = arr ? DTYPE_CODE.get(arr.constructor)! : 0;
              a++;
              slot += 3;
              return;
            }
            case 'ints':
            case 'layout': {
              const l = lists[i];
              f64[slot] = l ? block + 8 * list : 0;
              f64[slot + 1] = l ? l.length : 0;
              if (l) f64.set(l, list);
              list += l ? l.length : 0;
              slot += 2;
              return;
            }
            case 'number':
              if (typeof x !== 'number') fail(field, 'must be a number');
              f64[slot++] = x as number;
              return;
            case 'boolean':
              f64[slot++] = x === true ? 1 : x === false || (x === undefined && f.optional) ? 0 : NaN;
              return;
            case 'enum':
              f64[slot++] = typeof x === 'number' ? x : -1;
              return;
            default:
              f64[slot++] = typeof x === 'number' ? x : NaN;
          }
        });
        const ok = entry(block);
        checkWorkers(name);
        if (ok) return true;
        const message = text(exports.errorText(), exports.errorLength());
        throw exports.errorCode() === 2 ? new RangeError(message) : new TypeError(message);
      });
    };
  }

  const kernels: Record<string, NativeKernel> = {};
  for (const name of Object.keys(KERNELS) as KernelName[])
    if (typeof (instance.exports as Record<string, unknown>)[name] === 'function')
      kernels[name] = kernel(name, KERNELS[name]);

  /** A Float32Array argument of at least `need` elements (binding.cc's checks of the packed product). */
  const f32 = (kernel: string, x: unknown, field: string, need: number): Float32Array => {
    if (!(x instanceof Float32Array))
      throw new TypeError(`attn wasm ${kernel}: ${field} must be a Float32Array`);
    if (x.length < need)
      throw new RangeError(`attn wasm ${kernel}: ${field} has ${x.length} elements, needs ${need}`);
    return x;
  };
  const count = (kernel: string, x: unknown, field: string): number => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 2147483647)
      throw new RangeError(`attn wasm ${kernel}: ${field} must be a non-negative integer, got ${String(x)}`);
    return x;
  };

  return {
    ...kernels,
    info: () => ({
      threads: exports.threads(),
      simd: text(exports.simd()),
      portableReason: text(exports.portableReason()),
    }),
    setPortableOnly: (on) => exports.setPortableOnly(on ? 1 : 0),
    // There are no AVX-512 kernels here.
    setAvx512Off: () => {},
    setBatchInvariant: (on) => exports.setBatchInvariant(on ? 1 : 0),
    packedBFloats: (k, n) =>
      exports.packedBFloats(count('packedBFloats', k, 'k'), count('packedBFloats', n, 'n')),
    packB(b, k, n, transB, packed) {
      count('packB', k, 'k');
      count('packB', n, 'n');
      f32('packB', b, 'b', k * n);
      f32('packB', packed, 'packed', exports.packedBFloats(k, n));
      call([b, packed], [false, true], [true, false], 0, ([pb, pp]) => {
        exports.packB(pb!, k, n, transB ? 1 : 0, pp!);
        checkWorkers('packB');
        return true;
      });
    },
    matmulPrepacked(a, b, packed, out, m, n, k, transA, transB) {
      for (const [x, field] of [
        [m, 'm'],
        [n, 'n'],
        [k, 'k'],
      ] as const)
        count('matmulPrepacked', x, field);
      f32('matmulPrepacked', a, 'a', m * k);
      f32('matmulPrepacked', b, 'b', k * n);
      f32('matmulPrepacked', packed, 'packed', exports.packedBFloats(k, n));
      f32('matmulPrepacked', out, 'out', m * n);
      // The product reads either b or its packed copy, never both: only that one is copied in (the other's
      // address is 0). A recurrent step's weights and the output layer of a batch are megabytes each.
      const readsPacked = exports.prepackedReadsPacked(m, n, k, transA ? 1 : 0, transB ? 1 : 0) === 1;
      call(
        [a, readsPacked ? null : b, readsPacked ? packed : null, out],
        [false, false, false, true],
        [true, true, true, false],
        0,
        ([pa, pb, pp, po]) => {
          exports.matmulPrepacked(pa!, pb!, pp!, po!, m, n, k, transA ? 1 : 0, transB ? 1 : 0);
          checkWorkers('matmulPrepacked');
          return true;
        },
      );
    },
  } as NativeAddon;
}

/** Instantiates the module's bytes synchronously (Node; a browser compiles large modules asynchronously). */
export function instantiateWasmAddon(bytes: BufferSource): NativeAddon {
  const stubs = wasiStubs();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    wasi_snapshot_preview1: stubs,
  });
  return createWasmAddon(instance, stubs);
}

/**
 * Instantiates asynchronously, as a page should (browsers limit or refuse synchronous compilation on the main
 * thread, and compile off it when asked asynchronously): from bytes, a compiled module, or a fetch Response
 * (compiled while it downloads when the server sends it as application/wasm).
 */
export async function instantiateWasmAddonAsync(
  source: BufferSource | WebAssembly.Module | Response,
): Promise<NativeAddon> {
  const stubs = wasiStubs();
  const imports = { wasi_snapshot_preview1: stubs };
  let instance: WebAssembly.Instance;
  if (source instanceof WebAssembly.Module) instance = await WebAssembly.instantiate(source, imports);
  else if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new Error(`${source.url || 'the module'}: HTTP ${source.status}`);
    const streamed =
      typeof WebAssembly.instantiateStreaming === 'function' &&
      source.headers.get('content-type')?.split(';')[0]?.trim() === 'application/wasm';
    instance = streamed
      ? (await WebAssembly.instantiateStreaming(source, imports)).instance
      : (await WebAssembly.instantiate(await source.arrayBuffer(), imports)).instance;
  } else instance = (await WebAssembly.instantiate(source as BufferSource, imports)).instance;
  return createWasmAddon(instance, stubs);
}
