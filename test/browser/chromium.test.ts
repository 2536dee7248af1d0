// attn/browser in a real browser: Chromium loads the built bundle (dist/browser/index.js) from a local HTTP
// server, initWasm fetches the module the page can run from beside it (relaxed SIMD, one thread; or, in a
// cross-origin isolated page, relaxed SIMD with Web Worker threads), and inside the page the PyTorch golden cases of every kind the
// page harness runs (attention, GRU/LSTM, Transformer layers, multi-head attention, layer norm, cross-entropy)
// match to float32 tolerance on the wasm backend, a matrix product matches the in-page JavaScript reference, and
// a tiny translation model trains a few steps and decodes. The harness is test/browser/page/golden.ts.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_DIR } from '../golden/fixtures.js';
import { bundleForPage, launchChromium, pageErrors, runBrowserTests, type Chromium } from './chromium.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import type * as Harness from './page/golden.js';

const root = new URL('../../', import.meta.url).pathname;

/** The harness as one ES module that imports attn from the built bundle's URL (not from src/). */
function bundleHarness(): Promise<string> {
  return bundleForPage(root, 'test/browser/page/golden.ts');
}

/** Every case whose op the page harness runs. */
const CASES = [
  'sdpa_basic',
  'sdpa_causal',
  'sdpa_padding',
  'gru_1layer',
  'gru_2layer_bi',
  'lstm_1layer',
  'lstm_2layer_bi',
  'encoder_layer_post',
  'encoder_layer_pre_gelu',
  'decoder_layer_post',
  'decoder_layer_pre',
  'mha_self',
  'mha_cross_kvdim',
  'mha_causal_per_head',
  'mha_nobias',
  'layernorm',
  'cross_entropy_plain',
  'cross_entropy_smooth',
];

/** The page: it imports the harness (and through it the bundle) and puts it where page.evaluate reaches it. */
const PAGE = `<!doctype html><title>attn/browser tests</title><link rel="icon" href="data:,">
<script type="module">import * as harness from '/harness/golden.js'; window.harness = harness;</script>`;

type HarnessModule = typeof Harness;
declare const window: { harness: HarnessModule };

const MODES = [
  { isolated: false, file: 'attn-relaxed.wasm', simd: 'simd128+relaxed' },
  { isolated: true, file: 'attn-relaxed-threads.wasm', simd: 'simd128+relaxed' },
] as const;

describe.skipIf(!runBrowserTests('chromium.test.ts')).each(MODES)(
  'attn/browser in Chromium ($file)',
  (mode) => {
    let server: StaticServer;
    let browser: Chromium;
    let page: Page;
    let errors: string[];

    beforeAll(async () => {
      server = await startStaticServer(
        { '': root, fixtures: FIXTURE_DIR },
        { '/': PAGE, '/harness/golden.js': await bundleHarness() },
        { isolated: mode.isolated },
      );
      browser = await launchChromium();
      page = await browser.context.newPage();
      errors = pageErrors(page);
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => window.harness !== undefined);
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('loads dist/browser/index.js and, by initWasm(), the module for this page beside it', async () => {
      const info = await page.evaluate(() => window.harness.init());
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      expect(info).toEqual({
        name: 'wasm',
        threads: mode.isolated ? Math.min(16, cores) : 1,
        simd: mode.simd,
        reason: `the wasm module loaded (${server.url}/dist/browser/${mode.file})`,
      });
      expect(server.requests).toContain('/dist/browser/index.js');
      expect(server.requests.filter((r) => r.endsWith('.wasm'))).toEqual([`/dist/browser/${mode.file}`]);
      expect(errors).toEqual([]);
    });

    it('runs the PyTorch golden cases on wasm in the page, to float32 tolerance', async () => {
      const results = await page.evaluate((names) => window.harness.golden('/fixtures/', names), CASES);
      expect(results.map((r) => r.name)).toEqual(CASES);
      for (const r of results) {
        expect(r.backend, r.name).toBe('wasm');
        expect(r.nameMismatch, `${r.name}: parameter names`).toEqual([]);
        expect(r.comparisons.length, `${r.name}: compared tensors`).toBeGreaterThanOrEqual(2);
        for (const c of r.comparisons)
          expect(c.excess, `${r.name} ${c.name} ${c.shape}: excess over atol + rtol·|e|`).toBeLessThanOrEqual(
            0,
          );
      }
      expect(errors).toEqual([]);
    });

    it('computes matrix products on wasm that match the in-page JavaScript reference', async () => {
      const { wasm, maxDiff } = await page.evaluate(() => window.harness.matmulAgainstReference(67, 129, 45));
      expect(wasm).toBe('wasm');
      expect(maxDiff).toBeLessThan(1e-4);
    });

    it('trains a tiny GRU + Bahdanau model a few steps in the page, then decodes', async () => {
      const result = await page.evaluate(() => window.harness.trainAndDecode(30));
      expect(result.backend).toBe('wasm');
      expect(result.losses).toHaveLength(30);
      expect(result.losses.every(Number.isFinite)).toBe(true);
      expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]! * 0.8);
      expect(result.decoded.length).toBeGreaterThan(0);
      for (const id of result.decoded) expect(id >= 4 && id < result.vocabulary, `token ${id}`).toBe(true);
      expect(errors).toEqual([]);
    });
  },
);
