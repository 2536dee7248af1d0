// End to end in a real browser: Debian's Chromium, driven by playwright-core (no browser download), loads the
// page from `attn serve`, translates a sentence and reads the heatmap (cells, hover readout, layer and head
// selectors), then classifies a sentence on a classifier's page. The page must not touch any other origin
// and must log no error.
//
// CI installs Chromium (.ci/run) and sets ATTN_REQUIRE_BROWSER=1: there a missing browser fails the test. On a
// machine without /usr/bin/chromium, outside CI, the test is skipped with a message saying how to run it.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassificationResult, TranslationResult } from '../../src/inference/types.js';
import { createServer, type AttnServer } from '../../src/serve/index.js';
import { launchChromium, pageErrors, runBrowserTests, type Chromium } from '../browser/chromium.js';
import { tinyCheckpoints, type TinyCheckpoints } from './checkpoints.js';

describe.skipIf(!runBrowserTests('browser.test.ts'))('the web page in Chromium', () => {
  let checkpoints: TinyCheckpoints;
  let translator: AttnServer;
  let classifier: AttnServer;
  let translatorUrl: string;
  let classifierUrl: string;
  let browser: Chromium;

  beforeAll(async () => {
    checkpoints = await tinyCheckpoints();
    [translator, classifier] = await Promise.all([
      createServer({ checkpoint: checkpoints.translate }),
      createServer({ checkpoint: checkpoints.classify }),
    ]);
    translatorUrl = await translator.listen(0);
    classifierUrl = await classifier.listen(0);
    // A new, empty profile directory: nothing from an earlier run (cache, service workers) takes part.
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await translator?.close();
    await classifier?.close();
    await checkpoints?.remove();
  });

  /** A new tab on `url`, recording requests to anywhere but its own server, and the errors it logs. */
  async function open(url: string): Promise<{ page: Page; foreign: string[]; errors: string[] }> {
    const page = await browser.context.newPage();
    const foreign: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(`${url}/`)) foreign.push(request.url());
    });
    const errors = pageErrors(page);
    await page.goto(`${url}/`);
    return { page, foreign, errors };
  }

  async function apiTranslate(body: object): Promise<TranslationResult> {
    const response = await fetch(`${translatorUrl}/api/translate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as TranslationResult;
  }

  it('translates a sentence and shows its attention: cells, hover readout, layer and head', async () => {
    const { page, foreign, errors } = await open(translatorUrl);
    await expect.poll(() => page.locator('#model-info').textContent()).toContain('transformer');
    await expect.poll(() => page.locator('#submit').isEnabled()).toBe(true);
    expect(await page.locator('#submit').textContent()).toBe('Translate');
    // The selectors offer every layer and head of the model (2 × 2), and beam sizes up to the server's limit.
    expect(await page.locator('#layer option').count()).toBe(2);
    expect(await page.locator('#head option').allTextContents()).toEqual(['mean of heads', '1', '2']);
    expect(await page.locator('#beam-size option').count()).toBe(translator.limits.maxBeamSize);

    await page.fill('#text', 'a b c d');
    await page.selectOption('#beam-size', { value: '2' });
    await page.click('#submit');
    await page.locator('#heatmap .cell').first().waitFor();

    // The page asked for beam 2 and 2 hypotheses: the same request through the API gives what it shows.
    const result = await apiTranslate({ text: 'a b c d', beamSize: 2, nBest: 2 });
    const best = result.hypotheses[0]!;
    expect(await page.locator('#hypotheses li').count()).toBe(result.hypotheses.length);
    expect(await page.locator('#hypotheses li').first().textContent()).toContain(best.text || '(empty)');
    const rows = best.attention.layers[1]![0]!.length;
    const cols = result.sourceTokens.length;
    expect(cols).toBe(5);
    expect(await page.locator('#heatmap .cell').count()).toBe(rows * cols);
    expect(await page.locator('#heatmap .col-label').allTextContents()).toEqual(result.sourceTokens);

    // Default view: the last layer, mean of its heads. Hovering a cell prints that weight.
    const mean = (layer: number, t: number, s: number): number =>
      best.attention.layers[layer]!.reduce((sum, head) => sum + head[t]![s]!, 0) / 2;
    await page.hover('#heatmap .cell[data-row="0"][data-col="2"]');
    const readout = await page.locator('#readout').textContent();
    expect(readout).toContain(`source “${result.sourceTokens[2]}” (column 3)`);
    expect(readout).toContain(`weight ${mean(1, 0, 2).toFixed(4)}`);

    // Head 2 of layer 1: the cells now hold that head's weights.
    await page.selectOption('#layer', { value: '0' });
    await page.selectOption('#head', { value: '1' });
    const cell = page.locator('#heatmap .cell[data-row="0"][data-col="1"]');
    expect(Number(await cell.getAttribute('data-weight'))).toBeCloseTo(
      best.attention.layers[0]![1]![0]![1]!,
      6,
    );
    await cell.hover();
    expect(await page.locator('#readout').textContent()).toContain(
      `weight ${best.attention.layers[0]![1]![0]![1]!.toFixed(4)}`,
    );
    // Cells are coloured by weight: the largest and the smallest of the matrix differ.
    const colors = await page
      .locator('#heatmap .cell')
      .evaluateAll((cells) => cells.map((c) => getComputedStyle(c).backgroundColor));
    expect(new Set(colors).size).toBeGreaterThan(1);

    // The second hypothesis can be shown instead.
    if (result.hypotheses.length > 1) {
      await page.locator('#hypotheses input[type=radio]').nth(1).check();
      const second = result.hypotheses[1]!;
      expect(await page.locator('#heatmap .cell').count()).toBe(
        second.attention.layers[0]![1]!.length * cols,
      );
    }
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('samples with the Sample box: temperature, top-k, top-p and seed go to the API', async () => {
    const { page, foreign, errors } = await open(translatorUrl);
    await expect.poll(() => page.locator('#submit').isEnabled()).toBe(true);
    expect(await page.locator('#sampling').isVisible()).toBe(false);
    await page.check('#sample');
    expect(await page.locator('#sampling').isVisible()).toBe(true);
    expect(await page.locator('#beam-size').isDisabled()).toBe(true);
    await page.fill('#text', 'a b c d');
    await page.fill('#temperature', '1.5');
    await page.fill('#top-k', '4');
    await page.fill('#top-p', '0.9');
    await page.fill('#seed', '3');
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/translate'));
    await page.click('#submit');
    const body = (await sent).postDataJSON() as Record<string, unknown>;
    expect(body).toEqual({ text: 'a b c d', sample: true, temperature: 1.5, topK: 4, topP: 0.9, seed: 3 });
    await page.locator('#heatmap .cell').first().waitFor();
    const result = await apiTranslate(body);
    expect(await page.locator('#hypotheses li').count()).toBe(1);
    expect(await page.locator('#hypotheses li').first().textContent()).toContain(
      result.hypotheses[0]!.text || '(empty)',
    );
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the server message when a request is refused', async () => {
    const { page, foreign, errors } = await open(translatorUrl);
    await expect.poll(() => page.locator('#submit').isEnabled()).toBe(true);
    await page.fill('#text', 'a '.repeat(translator.limits.maxWords + 1));
    await page.click('#submit');
    await expect.poll(() => page.locator('#error').textContent()).toContain('words; the limit is');
    expect(foreign).toEqual([]);
    // The browser logs the refused request itself; nothing else.
    expect(errors).toEqual([expect.stringContaining('status of 400')]);
    await page.close();
  });

  it('classifies a sentence: label, probabilities and tokens shaded by weight', async () => {
    const { page, foreign, errors } = await open(classifierUrl);
    await expect.poll(() => page.locator('#submit').textContent()).toBe('Classify');
    expect(await page.locator('#beam-controls').isHidden()).toBe(true);
    await page.fill('#text', 'a very good film');
    await page.press('#text', 'Enter');
    await page.locator('#tokens .token').first().waitFor();
    const response = await fetch(`${classifierUrl}/api/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'a very good film' }),
    });
    const result = (await response.json()) as ClassificationResult;
    expect(await page.locator('#label').textContent()).toContain(result.label);
    expect(await page.locator('#tokens .token').allTextContents()).toEqual(result.tokens);
    await page.hover('#tokens .token >> nth=2');
    expect(await page.locator('#token-readout').textContent()).toBe(
      `“${result.tokens[2]}”: weight ${result.weights[2]!.toFixed(4)}`,
    );
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
