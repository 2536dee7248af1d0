/* global process, console, Buffer */
// `npm run build` runs this after tsc: it bundles the web page of `attn serve` (src/serve/page/main.ts and the
// browser-safe library code it imports) into one script, and puts it beside the page's HTML and CSS in
// dist/serve/public/ with the WebAssembly modules its in-tab mode runs on. The page then loads its files from its
// own server and nothing from anywhere else.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { WASM_MODULES } from './wasm-modules.mjs';
import { writeAtomic } from './write-atomic.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(root, 'src', 'serve', 'page');
const target = join(root, 'dist', 'serve', 'public');

try {
  const bundle = await build({
    entryPoints: [join(source, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    outfile: join(target, 'app.js'),
    write: false,
    logLevel: 'warning',
    legalComments: 'none',
  });
  await mkdir(target, { recursive: true });
  for (const file of bundle.outputFiles) await writeAtomic(file.path, file.contents);
  for (const name of ['index.html', 'style.css'])
    await writeAtomic(join(target, name), await readFile(join(source, name)));
  // What the page is: the page of a server (attn serve --static writes its own page.json beside a static copy).
  await writeAtomic(join(target, 'page.json'), Buffer.from('{"server":true}\n'));
  // The WebAssembly modules a model in the tab runs on: app.js loads the one the page can run from beside it.
  for (const name of WASM_MODULES)
    await writeAtomic(join(target, name), await readFile(join(root, 'wasm', name)));
} catch (error) {
  console.error(`build-page: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
