// The web page with the model in the tab, in Debian's Chromium: a static copy of the page (`attn serve --static`)
// loads its checkpoint and shows the same translation and attention as the library does in Node for the same
// checkpoint (what `attn translate` prints); the page of `attn serve` loads a checkpoint folder the user picks
// (under the server's Content Security Policy, which allows no eval) and classifies as the server does; and the
// date model trains in the tab to at least 95% exact match on held-out dates. Nothing is fetched from elsewhere.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassificationResult } from '../../src/inference/types.js';
import { loadPredictor } from '../../src/node.js';
import { createServer, type AttnServer } from '../../src/serve/index.js';
import { writeStaticPage } from '../../src/serve/static-page.js';
import { launchChromium, pageErrors, runBrowserTests, type Chromium } from '../browser/chromium.js';
import { startStaticServer, type StaticServer } from '../browser/static-server.js';
import { tinyCheckpoints, type TinyCheckpoints } from './checkpoints.js';

describe.skipIf(!runBrowserTests('page-in-tab.test.ts'))('the web page with the model in the tab', () => {
  let checkpoints: TinyCheckpoints;
  let root: string;
  let withModel: StaticServer;
  let empty: StaticServer;
  let browser: Chromium;

  beforeAll(async () => {
    checkpoints = await tinyCheckpoints();
    root = await mkdtemp(join(tmpdir(), 'attn-static-'));
    await writeStaticPage(join(root, 'with-model'), checkpoints.translate);
    await writeStaticPage(join(root, 'empty'));
    // Cross-origin isolated, as a host that sends COOP and COEP: the tab's model runs threads.
    withModel = await startStaticServer({ '': join(root, 'with-model') }, {}, { isolated: true });
    empty = await startStaticServer({ '': join(root, 'empty') }, {}, { isolated: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await withModel?.close();
    await empty?.close();
    await checkpoints?.remove();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function open(url: string): Promise<{ page: Page; foreign: string[]; errors: string[] }> {
    const page = await browser.context.newPage();
    const foreign: string[] = [];
    page.on('request', (request) => {
      const address = request.url();
      if (!address.startsWith(`${url}/`) && !address.startsWith('blob:')) foreign.push(address);
    });
    const errors = pageErrors(page);
    await page.goto(`${url}/`);
    return { page, foreign, errors };
  }

  it('a static page loads its checkpoint into the tab: the translation and attention of the library', async () => {
    const { page, foreign, errors } = await open(withModel.url);
    await expect
      .poll(() => page.locator('#model-info').textContent(), { timeout: 30_000 })
      .toContain('in this tab');
    expect(await page.locator('#model-info').textContent()).toContain('transformer');
    expect(withModel.requests).toContain('/model/model.safetensors');
    expect(withModel.requests).toContain('/attn-relaxed-threads.wasm');
    await page.fill('#text', 'a b c d');
    await page.selectOption('#beam-size', { value: '2' });
    await page.click('#submit');
    await page.locator('#heatmap .cell').first().waitFor();

    const predictor = await loadPredictor(checkpoints.translate);
    const expected = predictor.translate('a b c d', { beamSize: 2, nBest: 2 });
    const best = expected.hypotheses[0]!;
    expect(await page.locator('#hypotheses li').count()).toBe(expected.hypotheses.length);
    expect(await page.locator('#hypotheses li').first().textContent()).toContain(best.text || '(empty)');
    expect(await page.locator('#heatmap .col-label').allTextContents()).toEqual(expected.sourceTokens);
    // Layer 1, head 1: every cell holds the weight the library computes, to float32 tolerance.
    await page.selectOption('#layer', { value: '0' });
    await page.selectOption('#head', { value: '0' });
    const weights = await page
      .locator('#heatmap .cell')
      .evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-weight'))));
    const matrix = best.attention.layers[0]![0]!;
    expect(weights).toHaveLength(matrix.length * expected.sourceTokens.length);
    matrix.flat().forEach((w, i) => expect(weights[i]).toBeCloseTo(w, 5));
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("the page of attn serve loads a picked checkpoint folder into the tab, under the server's CSP", async () => {
    const server: AttnServer = await createServer({ checkpoint: checkpoints.classify });
    const url = await server.listen(0);
    try {
      const { page, foreign, errors } = await open(url);
      await expect.poll(() => page.locator('#model-info').textContent()).toContain('on the server');
      await page.locator('#in-tab summary').click();
      await expect.poll(() => page.locator('#tab-backend').textContent()).toContain('wasm');
      await page.setInputFiles('#folder', checkpoints.classify);
      await expect
        .poll(() => page.locator('#model-info').textContent(), { timeout: 30_000 })
        .toContain('in this tab');
      expect(await page.locator('#use-server').isVisible()).toBe(true);
      await page.fill('#text', 'a very good film');
      await page.click('#submit');
      await page.locator('#tokens .token').first().waitFor();
      const response = await fetch(`${url}/api/classify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'a very good film' }),
      });
      const result = (await response.json()) as ClassificationResult;
      expect(await page.locator('#label').textContent()).toContain(result.label);
      expect(await page.locator('#tokens .token').allTextContents()).toEqual(result.tokens);
      // Back to the server's model: the next answer comes from the API.
      await page.click('#use-server');
      await expect.poll(() => page.locator('#model-info').textContent()).toContain('on the server');
      expect(foreign).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await server.close();
    }
  }, 60_000);

  it('trains the date model in the tab to at least 95% held-out exact match, drawing its attention', async () => {
    const { page, foreign, errors } = await open(empty.url);
    await expect.poll(() => page.locator('#model-info').textContent()).toContain('No model yet');
    await page.click('#train-here');
    await page.locator('#train-heatmap .cell').first().waitFor({ timeout: 60_000 });
    expect(Number(await page.locator('#train-progress').getAttribute('value'))).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('#training').getAttribute('data-exact-match'), {
        timeout: 240_000,
        interval: 1000,
      })
      .not.toBeNull();
    const exact = Number(await page.locator('#training').getAttribute('data-exact-match'));
    expect(exact).toBeGreaterThanOrEqual(0.95);
    expect(await page.locator('#train-status').textContent()).toContain('held-out exact match');
    await expect.poll(() => page.locator('#model-info').textContent()).toContain('trained in this tab');
    await page.fill('#text', 'the 3rd of May, 1998');
    await page.click('#submit');
    await expect.poll(() => page.locator('#hypotheses li').first().textContent()).toContain('1998-05-03');
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);
});
