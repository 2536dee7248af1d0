// Debian's Chromium driven by playwright-core (no browser download), for every browser test (this folder's and
// test/serve/browser.test.ts) and the browser bench: a fresh profile, headless, no sandbox (containers), nothing
// in the background. CI installs Chromium (.ci/run) and sets ATTN_REQUIRE_BROWSER=1: there a missing browser
// fails the test; elsewhere it is skipped with a line saying how to run it.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const browserRequired = process.env.ATTN_REQUIRE_BROWSER === '1' || process.env.CI !== undefined;
export const browserAvailable = existsSync(CHROMIUM);

/** Whether the suite runs; warns once, naming the file, when it is skipped. */
export function runBrowserTests(file: string): boolean {
  if (!browserAvailable && !browserRequired)
    console.warn(
      `${file}: skipped: ${CHROMIUM} is missing (apt-get install -y chromium); CI installs it and runs this`,
    );
  return browserAvailable || browserRequired;
}

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Chromium> {
  if (!browserAvailable)
    throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium`);
  const profile = await mkdtemp(join(tmpdir(), 'attn-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The page's uncaught errors and console errors, collected from now on. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}

/**
 * `entry` (a path under the repository) bundled as one ES module for a page, with its import of attn/browser
 * (src/browser/index.js) left as the URL of the built bundle, /dist/browser/index.js: the page runs what
 * `npm run build` ships, not src/.
 */
export async function bundleForPage(root: string, entry: string): Promise<string> {
  const result = await build({
    entryPoints: [`${root}${entry}`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'attn-from-dist',
        setup(b) {
          b.onResolve({ filter: /src\/browser\/index\.js$/ }, () => ({
            path: '/dist/browser/index.js',
            external: true,
          }));
        },
      },
    ],
  });
  return result.outputFiles[0]!.text;
}
