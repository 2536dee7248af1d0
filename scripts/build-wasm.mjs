/* global process, console, Buffer */
// Builds the WebAssembly backend from the same kernel bodies as the native addon (native/*.cc, their portable
// paths and SIMD128 where written) and the entry points that scripts/gen-native-glue.mjs writes from the kernel
// table (native/generated/wasm_glue.cc), as four modules:
//   wasm/attn.wasm          one thread (ATTN_SINGLE_THREAD), its own memory: any engine with SIMD128, and pages
//                           that are not cross-origin isolated (no SharedArrayBuffer);
//   wasm/attn-threads.wasm  shared, imported memory and atomics (ATTN_WASM_WORKERS): the same kernels with their
//                           tasks spread over workers (native/wasm/workers.cc, src/backend/wasm/threads.ts);
//   wasm/attn-relaxed.wasm, wasm/attn-relaxed-threads.wasm: the same two with relaxed SIMD, for engines that
//                           validate it (src/backend/wasm/features.ts).
// The modules are committed and ship in the package, so users never need this toolchain;
// test/backend/wasm-build.test.ts rebuilds them and compares the bytes. Debian's packages (.ci/run installs
// them): clang-16, lld-16, wasi-libc, libclang-rt-16-dev-wasm32, libc++-16-dev-wasm32, libc++abi-16-dev-wasm32.
//
//   node scripts/build-wasm.mjs [--out DIR] [--check]
//
// --check builds into a temporary folder and exits 1 unless each module has the bytes of the committed one.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const committed = join(root, 'wasm');
const args = process.argv.slice(2);
const check = args.includes('--check');
const outAt = args.indexOf('--out');
const scratch = mkdtempSync(join(tmpdir(), 'attn-wasm-'));
const outDir = check ? scratch : outAt >= 0 ? args[outAt + 1] : committed;

/** The first of `names` on PATH. */
function tool(names) {
  for (const name of names) if (spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0) return name;
  console.error(
    `attn: build-wasm needs one of ${names.join(', ')} (Debian: apt-get install clang-16 lld-16)`,
  );
  process.exit(2);
}

function run(command, argv) {
  // Sources by relative path from the repository root: nothing of this machine's layout reaches the module.
  return new Promise((resolve) => {
    const child = spawn(command, argv, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (status) => {
      if (status !== 0) {
        console.error(`attn: ${command} ${argv.join(' ')} failed`);
        process.exit(1);
      }
      resolve();
    });
  });
}

const generated = spawnSync(process.execPath, [join(root, 'scripts/gen-native-glue.mjs')], {
  stdio: 'inherit',
});
if (generated.status !== 0) process.exit(1);

const clang = tool(['clang++-16']);
const sources = [
  ...readdirSync(join(root, 'native'))
    .filter((f) => f.endsWith('.cc') && f !== 'binding.cc')
    .sort()
    .map((f) => `native/${f}`),
  'native/wasm/exports.cc',
  'native/generated/wasm_glue.cc',
];
// -msimd128: Node ≥ 16 and every current browser run SIMD128. -ffp-contract=off: no fused multiply-adds (there
// are none in SIMD128, and relaxed SIMD's would change bits). NDEBUG and relative paths keep the bytes the same
// on every machine. The C++ headers by path: clang-16 does not look for them under --sysroot=/usr.
const common = [
  '--target=wasm32-wasi',
  '--sysroot=/usr',
  '-nostdinc++',
  '-isystem',
  '/usr/include/wasm32-wasi/c++/v1',
  '-std=c++17',
  '-O3',
  '-msimd128',
  '-ffp-contract=off',
  '-fno-exceptions',
  '-fno-rtti',
  '-DNDEBUG',
  '-mexec-model=reactor',
  '-Wl,--strip-all',
  '-Wl,-z,stack-size=1048576',
  '-Wl,--initial-memory=16777216',
  '-Wl,--max-memory=4294967296',
  `-ffile-prefix-map=${root}/=`,
];
// The allocator's entry points that native/wasm/malloc_lock.cc wraps in a lock.
const allocator = ['malloc', 'free', 'calloc', 'realloc', 'aligned_alloc', 'posix_memalign'];
const threading = [
  { suffix: '', flags: ['-DATTN_SINGLE_THREAD'], sources: [] },
  {
    suffix: '-threads',
    flags: [
      '-DATTN_WASM_WORKERS',
      '-matomics',
      '-mbulk-memory',
      // thread_local (the kernels' scratch) at a fixed offset from each instance's __tls_base.
      '-ftls-model=local-exec',
      '-Wl,--shared-memory',
      '-Wl,--import-memory',
      // What src/backend/wasm/threads.ts sets up in each instance: its stack and its TLS block.
      '-Wl,--export=__stack_pointer',
      '-Wl,--export=__wasm_init_tls',
      '-Wl,--export=__tls_size',
      '-Wl,--export=__tls_align',
      // Debian's wasi-libc is built without atomics, which the linker would refuse in a shared-memory module:
      // its allocator runs under malloc_lock.cc's lock, and the rest of libc is reached from the calling
      // thread only (getenv, the error strings), never from a worker's task.
      '-Wl,--no-check-features',
      ...allocator.map((name) => `-Wl,--wrap=${name}`),
    ],
    sources: ['native/wasm/workers.cc', 'native/wasm/malloc_lock.cc'],
  },
];
// Relaxed SIMD (Chromium ≥ 114, Node ≥ 22): the GEMM's multiply-add fused where the CPU has FMA.
const simd = [
  { prefix: 'attn', flags: [] },
  { prefix: 'attn-relaxed', flags: ['-mrelaxed-simd'] },
];
const variants = simd.flatMap((s) =>
  threading.map((t) => ({
    file: `${s.prefix}${t.suffix}.wasm`,
    flags: [...s.flags, ...t.flags],
    sources: t.sources,
  })),
);
// Two compilers at a time (each is single-threaded).
const pending = [...variants];
await Promise.all(
  [0, 1].map(async () => {
    for (let variant = pending.shift(); variant; variant = pending.shift()) {
      const out = join(outDir, variant.file);
      await run(clang, [
        ...common,
        ...variant.flags,
        '-o',
        relative(root, out) || out,
        ...sources,
        ...variant.sources,
      ]);
    }
  }),
);

if (check) {
  const differ = variants.filter(
    ({ file }) => Buffer.compare(readFileSync(join(outDir, file)), readFileSync(join(committed, file))) !== 0,
  );
  rmSync(scratch, { recursive: true, force: true });
  for (const { file } of differ)
    console.error(`attn: wasm/${file} is not what scripts/build-wasm.mjs builds from these sources`);
  if (differ.length) process.exit(1);
  console.log(`attn: ${variants.map(({ file }) => `wasm/${file}`).join(', ')} match their sources`);
} else rmSync(scratch, { recursive: true, force: true });
