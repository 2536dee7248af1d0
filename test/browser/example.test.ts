// The browser example of the README (examples/browser/: index.html and train-dates.js) runs as it is in
// Chromium, served from the repository root as the README says: its import map points attn/browser at the
// built bundle, it loads its wasm module, trains the date model and writes its translation of one date into the page.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, pageErrors, runBrowserTests, type Chromium } from './chromium.js';
import { startStaticServer, type StaticServer } from './static-server.js';

const root = new URL('../../', import.meta.url).pathname;

describe('the README shows the browser example', () => {
  it("as the ```js block of its Browser section, the file's code without its eslint comment", () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const section = readme.slice(readme.indexOf('\n## Browser\n'));
    const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    const file = readFileSync(`${root}examples/browser/train-dates.js`, 'utf8');
    expect(block).toBe(file.replace('/* global document */\n', ''));
  });
});

describe.skipIf(!runBrowserTests('example.test.ts'))('the browser example in Chromium', () => {
  let server: StaticServer;
  let browser: Chromium;

  beforeAll(async () => {
    server = await startStaticServer({ '': root });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('trains the date model in the page on wasm and translates "the 3rd of May, 1998"', async () => {
    const page: Page = await browser.context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${server.url}/examples/browser/`);
    const out = page.locator('#out');
    await expect.poll(() => out.textContent(), { timeout: 100_000, interval: 500 }).not.toBe('training…');
    expect(errors).toEqual([]);
    expect(await out.textContent()).toBe('1998-05-03');
    expect(server.requests).toContain('/dist/browser/attn-relaxed.wasm');
    expect(server.requests.filter((r) => r.startsWith('/src/'))).toEqual([]);
    await page.close();
  }, 120_000);
});
