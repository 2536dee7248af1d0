/**
 * The browser benches: one page of Debian's Chromium, served from a local static server as a cross-origin
 * isolated page (so every side may run threads), runs attn's wasm backend (attn/browser, dist/browser/) and
 * TensorFlow.js's wasm backend (SIMD, threads) on the same square products (`browser_matmul_512`, `_1024`), in
 * alternating rounds, each keeping its best; the products again in a page that is not isolated (one thread each);
 * and the training step of the seed translation model (`browser_train_nmt_gru_bahdanau`) on attn, TensorFlow.js
 * and jax-js (bench/e2e/*-models.ts). Needs `npm run build` first and /usr/bin/chromium.
 */
import { bundleForPage, launchChromium } from '../../test/browser/chromium.js';
import { startStaticServer } from '../../test/browser/static-server.js';
import type * as Page from './page.js';

const root = new URL('../../', import.meta.url).pathname;

export interface BrowserRow {
  name: string;
  /** GFLOP/s in the cross-origin isolated page, each side with the threads it takes there. */
  attn: number;
  tfjs: number;
  jax: number;
  /** GFLOP/s in a page that is not isolated: no shared memory, so one thread each. */
  attnOneThread: number;
  tfjsOneThread: number;
  jaxOneThread: number;
}

/** The training step of the seed translation model in the isolated page: target tokens per second. */
export interface BrowserNmt {
  attn: number;
  tfjs: number;
  jax: number;
}

export interface BrowserRun {
  rows: BrowserRow[];
  nmt?: BrowserNmt;
  browser: string;
  tfjsSimd: unknown;
  /** XNNPACK's threads in the isolated page, as TensorFlow.js reports them (getThreadsCount). */
  tfjsThreads: number;
  /** attn's backend in the isolated page: threads, SIMD and the module it loaded. */
  attn: { threads: number; simd: string; reason: string };
}

function bundlePage(): Promise<string> {
  return bundleForPage(root, 'bench/browser/page.ts');
}

declare const window: { bench: typeof Page };

type Loaded = Awaited<ReturnType<typeof Page.init>>;

/** One page (isolated or not) running `names` in `rounds` alternating rounds (attn, TF.js, attn, …). */
async function measure(
  chromium: Awaited<ReturnType<typeof launchChromium>>,
  bundle: string,
  isolated: boolean,
  names: readonly string[],
  rounds: number,
): Promise<{
  loaded: Loaded;
  rows: { name: string; attn: number; tfjs: number; jax: number }[];
  nmt?: BrowserNmt;
}> {
  const server = await startStaticServer(
    { '': root, tfjs: `${root}node_modules/@tensorflow/tfjs-backend-wasm/dist/` },
    {
      '/': `<!doctype html><link rel="icon" href="data:,"><script type="module">
import * as bench from '/bench.js'; window.bench = bench;</script>`,
      '/bench.js': bundle,
    },
    { isolated },
  );
  const page = await chromium.context.newPage();
  try {
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => window.bench !== undefined);
    const loaded = await page.evaluate(() => window.bench.init('/tfjs/'));
    if (loaded.attn.name !== 'wasm') throw new Error(`attn/browser did not load wasm: ${loaded.attn.reason}`);
    if (loaded.tfjs !== 'wasm') throw new Error(`TensorFlow.js runs ${loaded.tfjs}, not wasm`);
    if (loaded.isolated !== isolated) throw new Error(`the bench page is ${isolated ? 'not ' : ''}isolated`);
    const rows = [];
    let nmt: BrowserNmt | undefined;
    for (const name of names) {
      if (name === 'browser_train_nmt_gru_bahdanau') {
        // One round: a TensorFlow.js step takes about 20 s here. One warm-up step, then the mean of two.
        nmt = {
          attn: await page.evaluate(() => window.bench.attnNmt(1, 2)),
          tfjs: await page.evaluate(() => window.bench.tfjsNmt(1, 2)),
          jax: await page.evaluate(() => window.bench.jaxNmt(1, 2)),
        };
        continue;
      }
      const n = Number(name.split('_').at(-1));
      let attn = 0;
      let tfjs = 0;
      let jax = 0;
      for (let r = 0; r < rounds; r++) {
        attn = Math.max(attn, await page.evaluate((size) => window.bench.attnMatmul(size), n));
        tfjs = Math.max(tfjs, await page.evaluate((size) => window.bench.tfjsMatmul(size), n));
        jax = Math.max(jax, await page.evaluate((size) => window.bench.jaxMatmul(size), n));
      }
      rows.push({ name, attn, tfjs, jax });
    }
    return { loaded, rows, ...(nmt ? { nmt } : {}) };
  } finally {
    await page.close();
    await server.close();
  }
}

/**
 * Runs `names` (browser_matmul_N) in a cross-origin isolated page (threads where each side takes them) and in
 * one that is not (one thread each).
 */
export async function runBrowserBenches(names: readonly string[], rounds: number): Promise<BrowserRun> {
  const bundle = await bundlePage();
  const chromium = await launchChromium();
  try {
    const isolated = await measure(chromium, bundle, true, names, rounds);
    const matmuls = names.filter((n) => n.startsWith('browser_matmul_'));
    const plain = await measure(chromium, bundle, false, matmuls, rounds);
    if (plain.loaded.attn.threads !== 1) throw new Error('attn ran threads in a page without shared memory');
    return {
      rows: isolated.rows.map((row, i) => ({
        ...row,
        attnOneThread: plain.rows[i]!.attn,
        tfjsOneThread: plain.rows[i]!.tfjs,
        jaxOneThread: plain.rows[i]!.jax,
      })),
      ...(isolated.nmt ? { nmt: isolated.nmt } : {}),
      browser: `Chromium ${chromium.context.browser()?.version() ?? '?'}`,
      tfjsSimd: isolated.loaded.simd,
      tfjsThreads: isolated.loaded.tfjsThreads,
      attn: isolated.loaded.attn,
    };
  } finally {
    await chromium.close();
  }
}
