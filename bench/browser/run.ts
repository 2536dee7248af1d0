/**
 * The browser benches (`browser_matmul_512`, `browser_matmul_1024`): one page of Debian's Chromium, served from a
 * local static server, runs attn's wasm backend (attn/browser, dist/browser/) and TensorFlow.js's wasm backend
 * (SIMD; the page is not cross-origin isolated, so both run one thread) on the same square products, in
 * alternating rounds, each keeping its best. Needs `npm run build` first and /usr/bin/chromium.
 */
import { bundleForPage, launchChromium } from '../../test/browser/chromium.js';
import { startStaticServer } from '../../test/browser/static-server.js';
import type * as Page from './page.js';

const root = new URL('../../', import.meta.url).pathname;

export interface BrowserRow {
  name: string;
  attn: number;
  tfjs: number;
}

export interface BrowserRun {
  rows: BrowserRow[];
  browser: string;
  tfjsSimd: unknown;
}

function bundlePage(): Promise<string> {
  return bundleForPage(root, 'bench/browser/page.ts');
}

declare const window: { bench: typeof Page };

/** Runs `names` (browser_matmul_N) in `rounds` alternating rounds (attn, TF.js, attn, …). */
export async function runBrowserBenches(names: readonly string[], rounds: number): Promise<BrowserRun> {
  const server = await startStaticServer(
    { '': root, tfjs: `${root}node_modules/@tensorflow/tfjs-backend-wasm/dist/` },
    {
      '/': `<!doctype html><link rel="icon" href="data:,"><script type="module">
import * as bench from '/bench.js'; window.bench = bench;</script>`,
      '/bench.js': await bundlePage(),
    },
  );
  const chromium = await launchChromium();
  try {
    const page = await chromium.context.newPage();
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => window.bench !== undefined);
    const loaded = await page.evaluate(() => window.bench.init('/tfjs/'));
    if (loaded.attn.name !== 'wasm') throw new Error(`attn/browser did not load wasm: ${loaded.attn.reason}`);
    if (loaded.tfjs !== 'wasm') throw new Error(`TensorFlow.js runs ${loaded.tfjs}, not wasm`);
    const rows = [];
    for (const name of names) {
      const n = Number(name.split('_').at(-1));
      let attn = 0;
      let tfjs = 0;
      for (let r = 0; r < rounds; r++) {
        attn = Math.max(attn, await page.evaluate((size) => window.bench.attnMatmul(size), n));
        tfjs = Math.max(tfjs, await page.evaluate((size) => window.bench.tfjsMatmul(size), n));
      }
      rows.push({ name, attn, tfjs });
    }
    return {
      rows,
      browser: `Chromium ${chromium.context.browser()?.version() ?? '?'}`,
      tfjsSimd: loaded.simd,
    };
  } finally {
    await chromium.close();
    await server.close();
  }
}
