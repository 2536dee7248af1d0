// attn/browser must reach no Node built-in: esbuild bundles its import graph for the browser platform (where a
// node: import cannot resolve) and the built dist/browser/index.js is read for imports of node: modules. The
// chooser itself (initWasm, useBackend, backendInfo) is tested here in Node, from bytes; the Chromium tests
// (chromium.test.ts) load the bundle and the module by URL.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { backendInfo, initWasm, useBackend } from '../../src/backend/wasm/browser.js';
import { getBackend, setBackend } from '../../src/backend/registry.js';
import { matmul, randn, Generator } from '../../src/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bundlePath = `${root}dist/browser/index.js`;

/** Module specifiers of the static and dynamic imports and requires in `code`. */
function importedModules(code: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.add(m[1]!);
  return [...found];
}

describe('attn/browser has no Node built-ins', () => {
  it("bundles for the browser platform: no node: module among the entry's inputs", async () => {
    const result = await build({
      entryPoints: [`${root}src/browser/index.ts`],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(50);
    expect(inputs.filter((i) => i.startsWith('node:') || /(^|\/)node\//.test(i))).toEqual([]);
    expect(importedModules(result.outputFiles[0]!.text)).toEqual([]);
  });

  it('dist/browser/index.js (npm run build) imports nothing and ships the four modules beside it', () => {
    expect(existsSync(bundlePath), `${bundlePath} is missing: run npm run build`).toBe(true);
    const code = readFileSync(bundlePath, 'utf8');
    expect(importedModules(code)).toEqual([]);
    expect(code).not.toMatch(/\bnode:[a-z_]/);
    expect(code).toContain('new URL("./", import.meta.url)');
    for (const file of ['attn.wasm', 'attn-threads.wasm', 'attn-relaxed.wasm', 'attn-relaxed-threads.wasm']) {
      const shipped = readFileSync(`${root}dist/browser/${file}`);
      expect(shipped.equals(readFileSync(`${root}wasm/${file}`)), file).toBe(true);
    }
  });
});

describe('initWasm, useBackend and backendInfo (the browser chooser, here in Node)', () => {
  const before = getBackend();
  afterAll(() => setBackend(before));

  it('stays on js with one warning when the module cannot load, and useBackend("wasm") then says why', async () => {
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.join(' '));
    try {
      const info = await initWasm({ bytes: new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]) });
      expect(info.name).toBe('js');
      expect(info.reason).toMatch(/^the wasm backend is unavailable: the bytes given failed to load: /);
    } finally {
      console.warn = warn;
    }
    expect(warnings).toHaveLength(1);
    expect(() => useBackend('wasm')).toThrow(
      /the wasm backend is unavailable: the bytes given failed to load/,
    );
    expect(() => useBackend('native')).toThrow('the native backend is unavailable in a browser');
    expect(() => useBackend('gpu' as never)).toThrow("unknown backend 'gpu'");
  });

  it('loads the module from bytes, runs ops on it, and switches between wasm and js', async () => {
    const info = await initWasm({ bytes: readFileSync(`${root}wasm/attn.wasm`) });
    expect(info).toEqual({
      name: 'wasm',
      threads: 1,
      simd: 'simd128',
      reason: 'the wasm module loaded (the bytes given)',
    });
    const g = new Generator(1);
    const a = randn([33, 17], { generator: g });
    const b = randn([17, 9], { generator: g });
    const onWasm = matmul(a, b).data;
    useBackend('js');
    expect(backendInfo()).toEqual({ name: 'js', threads: 1, simd: 'none', reason: 'chosen' });
    const onJs = matmul(a, b).data;
    for (let i = 0; i < onJs.length; i++) expect(Math.abs(onWasm[i]! - onJs[i]!)).toBeLessThan(1e-5);
    useBackend('wasm');
    expect(backendInfo().name).toBe('wasm');
  });

  it('refuses a thread count that is not a positive integer', async () => {
    await expect(initWasm({ bytes: new Uint8Array(0) }, { threads: 0 })).rejects.toThrow(
      'initWasm: threads must be a positive integer, got 0',
    );
  });
});
