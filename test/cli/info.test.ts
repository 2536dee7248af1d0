import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../src/backend/native/load.js';
import { wasmThreads } from '../../src/backend/wasm/load.js';
import { VERSION } from '../../src/version.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/attn.js', import.meta.url));

async function attn(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('attn command', () => {
  it('prints its version, equal to package.json', async () => {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    expect(VERSION).toBe(pkg.version);
    const { code, stdout } = await attn('--version');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(VERSION);
  });

  it('info reports version, backend and CPU features as JSON', async () => {
    const { code, stdout } = await attn('info', '--json');
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as Record<string, unknown>;
    expect(info.version).toBe(VERSION);
    // The CLI picks native when the addon loads, unless ATTN_BACKEND says otherwise.
    const expected = process.env.ATTN_BACKEND || (loadAddon().ok ? 'native' : 'wasm');
    expect(info.backend).toBe(expected);
    expect(info.reason).toBe(
      process.env.ATTN_BACKEND
        ? 'ATTN_BACKEND'
        : expected === 'native'
          ? 'the native addon loaded'
          : expect.any(String),
    );
    if (expected === 'wasm') expect(info.simd).toBe('simd128');
    expect(Number.isInteger(info.threads) && (info.threads as number) >= 1).toBe(true);
    if (expected === 'js') expect(info.threads).toBe(1);
    expect(Array.isArray(info.cpuFeatures)).toBe(true);
  });

  it('info runs on the backend ATTN_BACKEND names, and says so', async () => {
    const { code, stdout } = await run(process.execPath, [bin, 'info', '--json'], {
      env: { ...process.env, ATTN_BACKEND: 'wasm' },
    }).then((r) => ({ code: 0, ...r }));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      backend: 'wasm',
      reason: 'ATTN_BACKEND',
      threads: wasmThreads(),
      simd: 'simd128',
    });
  });

  it('answers --help for the command and for info', async () => {
    expect((await attn('--help')).stdout).toContain('Usage: attn <command>');
    expect((await attn('info', '--help')).stdout).toContain('Usage: attn info');
  });

  it('exits 2 naming the problem on an unknown command or option', async () => {
    const unknown = await attn('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const badOption = await attn('info', '--nope');
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('--nope');
  });
});
