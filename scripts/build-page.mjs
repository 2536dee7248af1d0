/* global process, console */
// `npm run build` runs this after tsc: it bundles the web page of `attn serve` (src/serve/page/main.ts and the
// browser-safe library code it imports) into one script, and puts it beside the page's HTML and CSS in
// dist/serve/public/. The page then loads three files from its own server and nothing from anywhere else.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
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
} catch (error) {
  console.error(`build-page: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
