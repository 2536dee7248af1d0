/* global process, console, Buffer */
// Builds the WebAssembly backend, wasm/attn.wasm, from the same kernel bodies as the native addon (native/*.cc,
// their portable paths and SIMD128 where written, one thread: ATTN_SINGLE_THREAD) and the entry points that
// scripts/gen-native-glue.mjs writes from the kernel table (native/generated/wasm_glue.cc). The .wasm is committed
// and ships in the package, so users never need this toolchain; test/backend/wasm-build.test.ts rebuilds it and
// compares the bytes. Debian's packages (.ci/run installs them): clang, lld, wasi-libc,
// libclang-rt-14-dev-wasm32, libc++-14-dev-wasm32, libc++abi-14-dev-wasm32.
//
//   node scripts/build-wasm.mjs [--out path] [--check]
//
// --check builds into a temporary file and exits 1 unless it has the bytes of wasm/attn.wasm.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const committed = join(root, 'wasm/attn.wasm');
const args = process.argv.slice(2);
const check = args.includes('--check');
const outAt = args.indexOf('--out');
const scratch = mkdtempSync(join(tmpdir(), 'attn-wasm-'));
const out = check ? join(scratch, 'attn.wasm') : outAt >= 0 ? args[outAt + 1] : committed;

/** The first of `names` on PATH (Debian installs clang++-14 and wasm-ld-14, with unversioned links). */
function tool(names) {
  for (const name of names) if (spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0) return name;
  console.error(`attn: build-wasm needs one of ${names.join(', ')} (Debian: apt-get install clang lld)`);
  process.exit(2);
}

function run(command, argv) {
  // Sources by relative path from the repository root: nothing of this machine's layout reaches the module.
  const result = spawnSync(command, argv, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    console.error(`attn: ${command} ${argv.join(' ')} failed`);
    process.exit(1);
  }
}

const generated = spawnSync(process.execPath, [join(root, 'scripts/gen-native-glue.mjs')], {
  stdio: 'inherit',
});
if (generated.status !== 0) process.exit(1);

const clang = tool(['clang++-14', 'clang++']);
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
// on every machine.
const flags = [
  '--target=wasm32-wasi',
  '--sysroot=/usr',
  '-std=c++17',
  '-O3',
  '-msimd128',
  '-ffp-contract=off',
  '-fno-exceptions',
  '-fno-rtti',
  '-DNDEBUG',
  '-DATTN_SINGLE_THREAD',
  '-mexec-model=reactor',
  '-Wl,--strip-all',
  '-Wl,-z,stack-size=1048576',
  '-Wl,--initial-memory=16777216',
  '-Wl,--max-memory=4294967296',
  `-ffile-prefix-map=${root}/=`,
  '-o',
  relative(root, out) || out,
];
run(clang, [...flags, ...sources]);
if (check) {
  const same = Buffer.compare(readFileSync(out), readFileSync(committed)) === 0;
  rmSync(scratch, { recursive: true, force: true });
  if (!same) {
    console.error('attn: wasm/attn.wasm is not what scripts/build-wasm.mjs builds from these sources');
    process.exit(1);
  }
  console.log('attn: wasm/attn.wasm matches its sources');
} else rmSync(scratch, { recursive: true, force: true });
