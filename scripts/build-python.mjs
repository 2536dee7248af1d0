/* global console, process */
// `npm run build` runs this after tsc: tsc compiles only TypeScript, so the Python sources of the PyTorch export
// (src/export/pytorch/*.py, read by export.ts from beside itself) are copied to the same place under dist/.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(root, 'src', 'export', 'pytorch');
const target = join(root, 'dist', 'export', 'pytorch');

try {
  await mkdir(target, { recursive: true });
  for (const name of await readdir(source)) {
    if (name.endsWith('.py')) await copyFile(join(source, name), join(target, name));
  }
} catch (error) {
  console.error(`build-python: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
