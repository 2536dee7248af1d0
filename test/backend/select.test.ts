// The start-up choice when the native addon does not load (a failed build, or no addon for this CPU): the wasm
// backend, with one line on stderr saying why, and attn info's reason; ATTN_BACKEND=wasm chooses it explicitly.
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.mock('../../src/backend/native/load.js', () => ({
  loadAddon: () => ({ ok: false, reason: 'build/Release/attn.node was not built (mocked)' }),
}));

// Fresh modules: the setup file has already chosen a backend with the real addon.
vi.resetModules();
const { backendInfo, installDefaultBackend, useBackend } = await import('../../src/backend/native/select.js');
const { getBackend, setBackend } = await import('../../src/backend/registry.js');
const { wasmThreads } = await import('../../src/backend/wasm/load.js');

describe('backend choice without the native addon', () => {
  const before = getBackend();
  afterAll(() => setBackend(before));

  it('falls to wasm and says so once on stderr', () => {
    const lines: string[] = [];
    const write = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((line) => lines.push(String(line)) > 0);
    try {
      installDefaultBackend({});
      installDefaultBackend({});
    } finally {
      write.mockRestore();
    }
    expect(getBackend().name).toBe('wasm');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      'attn: the native backend is unavailable: build/Release/attn.node was not built (mocked); using the wasm backend\n',
    );
    expect(backendInfo()).toMatchObject({
      name: 'wasm',
      threads: wasmThreads(),
      simd: 'simd128',
      reason: 'the native backend is unavailable: build/Release/attn.node was not built (mocked)',
    });
  });

  it('ATTN_BACKEND=native fails loudly instead of falling back; wasm and js install', () => {
    expect(() => installDefaultBackend({ ATTN_BACKEND: 'native' })).toThrow(/native backend is unavailable/);
    installDefaultBackend({ ATTN_BACKEND: 'wasm' });
    expect(backendInfo()).toMatchObject({ name: 'wasm', reason: 'ATTN_BACKEND' });
    useBackend('js');
    expect(backendInfo()).toMatchObject({ name: 'js', reason: 'chosen', simd: 'none' });
    expect(() => installDefaultBackend({ ATTN_BACKEND: 'gpu' })).toThrow(
      "ATTN_BACKEND must be 'js', 'native' or 'wasm', got 'gpu'",
    );
    expect(() => useBackend('gpu' as 'js')).toThrow(
      "unknown backend 'gpu' (expected 'js', 'native' or 'wasm')",
    );
  });
});
