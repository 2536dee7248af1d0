// The modules in wasm/ are committed (users need no compiler) and must be what scripts/build-wasm.mjs builds from
// the sources here: this rebuilds them and compares bytes. Without the toolchain (Debian: clang-16, lld-16,
// wasi-libc, libclang-rt-16-dev-wasm32, libc++-16-dev-wasm32, libc++abi-16-dev-wasm32) the test is skipped,
// except where ATTN_REQUIRE_WASM_TOOLCHAIN=1 (CI, which installs it) makes the missing toolchain a failure.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const clang = spawnSync('clang++-16', ['--version'], { stdio: 'ignore' }).status === 0;
const toolchain =
  clang && existsSync('/usr/include/wasm32-wasi/c++/v1/vector') && existsSync('/usr/lib/wasm32-wasi/libc.a');
const required = process.env.ATTN_REQUIRE_WASM_TOOLCHAIN === '1';

describe('wasm/attn.wasm and wasm/attn-threads.wasm', () => {
  it.skipIf(toolchain || !required)('has its toolchain where CI requires it', () => {
    expect.fail('ATTN_REQUIRE_WASM_TOOLCHAIN=1 but clang++-16 or the wasm32 libc/libc++ is missing');
  });

  it.skipIf(!toolchain)(
    'is what scripts/build-wasm.mjs builds from these sources, byte for byte',
    () => {
      const result = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], {
        cwd: root,
        encoding: 'utf8',
      });
      expect(result.stderr + result.stdout).toContain('match their sources');
      expect(result.status).toBe(0);
    },
    300_000,
  );
});
