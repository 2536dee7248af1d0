// The start-up choice on a CPU the addon has no SIMD kernels for (an ARM machine, an x86 one without AVX2): the
// addon loads but would run its portable loops, so the automatic choice takes the wasm backend and says why on
// stderr; ATTN_BACKEND=native still gets the addon.
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.mock('../../src/backend/native/load.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/backend/native/load.js')>();
  const loaded = real.loadAddon();
  if (!loaded.ok) return real;
  // The real addon, reporting what it reports on a CPU without AVX2.
  const addon = {
    ...loaded.addon,
    info: () => ({ ...loaded.addon.info(), simd: 'none', portableReason: 'cpu' }),
  };
  return { loadAddon: () => ({ ...loaded, addon }) };
});

vi.resetModules();
const { backendInfo, installDefaultBackend } = await import('../../src/backend/native/select.js');
const { getBackend, setBackend } = await import('../../src/backend/registry.js');
const { loadAddon } = await import('../../src/backend/native/load.js');

describe.skipIf(!loadAddon().ok)('backend choice when the addon has no SIMD kernels for the CPU', () => {
  const before = getBackend();
  afterAll(() => setBackend(before));

  it('falls to wasm with one line on stderr; ATTN_BACKEND=native keeps the addon', () => {
    const lines: string[] = [];
    const write = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((line) => lines.push(String(line)) > 0);
    try {
      installDefaultBackend({});
    } finally {
      write.mockRestore();
    }
    expect(getBackend().name).toBe('wasm');
    expect(lines).toEqual([
      'attn: the native backend has no SIMD kernels for this CPU (it would run its portable loops; ' +
        'ATTN_BACKEND=native runs them anyway); using the wasm backend\n',
    ]);
    expect(backendInfo().reason).toContain('no SIMD kernels for this CPU');
    installDefaultBackend({ ATTN_BACKEND: 'native' });
    expect(getBackend().name).toBe('native');
  });
});
