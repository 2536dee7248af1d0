/* global process, console */
// `npm run build` runs this after tsc: it bundles attn/browser (src/browser/index.ts and the core it re-exports)
// into one ES module, dist/browser/index.js, replacing tsc's unbundled copy (tsc's index.d.ts beside it stays the
// types), and copies the modules of wasm/ beside it, where initWasm() looks by default. Nothing Node-only may reach the
// bundle: esbuild for the browser platform cannot resolve node: imports, and the bundle is checked for them
// again here (test/browser/bundle.test.ts checks the built file too).
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { WASM_MODULES } from './wasm-modules.mjs';
import { writeAtomic } from './write-atomic.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const target = join(root, 'dist', 'browser');

try {
  const bundle = await build({
    entryPoints: [join(root, 'src', 'browser', 'index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(target, 'index.js'),
    write: false,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
  const nodeInputs = Object.keys(bundle.metafile.inputs).filter((input) => input.startsWith('node:'));
  if (nodeInputs.length > 0) throw new Error(`Node built-ins reached the bundle: ${nodeInputs.join(', ')}`);
  await mkdir(target, { recursive: true });
  for (const file of bundle.outputFiles) await writeAtomic(file.path, file.contents);
  // tsc's source map describes its unbundled index.js, which the bundle replaced.
  await rm(join(target, 'index.js.map'), { force: true });
  // initWasm() takes the one of these the page can run (src/backend/wasm/features.ts).
  for (const name of WASM_MODULES) {
    const source = join(root, 'wasm', name);
    if (!existsSync(source))
      throw new Error(
        `${relative(root, source)} is missing (it ships in the repository; node scripts/build-wasm.mjs)`,
      );
    await writeAtomic(join(target, name), await readFile(source));
  }
  console.log(
    `build-browser: ${relative(root, join(target, 'index.js'))} and ${WASM_MODULES.join(', ')} written`,
  );
} catch (error) {
  console.error(`build-browser: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
