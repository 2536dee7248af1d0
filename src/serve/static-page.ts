/**
 * `attn serve --static DIR`: the web page as static files that work from any static host, with no server behind
 * them: the page (index.html, app.js, style.css), the WebAssembly modules its model runs on, and page.json, which
 * tells the page it is static. With a checkpoint, its three model files go into DIR/model/ with a manifest of
 * their sizes and SHA-256, and the page loads that model into the tab when it opens; without one, the page
 * offers to load a checkpoint folder or to train the date model in the tab.
 *
 * Threads need cross-origin isolation, which only the host's headers give (Cross-Origin-Opener-Policy:
 * same-origin and Cross-Origin-Embedder-Policy: require-corp); without them the model runs on one thread.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { CHECKPOINT_FILES, encodeCheckpoint } from '../train/checkpoint-codec.js';
import { loadCheckpoint } from '../train/node/checkpoint-dir.js';
import { predictorFromCheckpoint } from '../inference/from-checkpoint.js';
import { WASM_MODULES } from '../backend/wasm/features.js';
import { checkPageDirectory } from './page-files.js';

/** The files of the built page (dist/serve/public/) that a static copy needs. */
export const STATIC_FILES: readonly string[] = ['index.html', 'app.js', 'style.css', ...WASM_MODULES];

const MODEL_FILES = [CHECKPOINT_FILES.model, CHECKPOINT_FILES.config, CHECKPOINT_FILES.tokenizers] as const;

export interface StaticPage {
  directory: string;
  files: string[];
  /** The model the page loads, when a checkpoint was given. */
  model?: { task: string; architecture: string; parameters: number };
}

/**
 * Writes the static page into `directory` (created if missing; refused when it holds anything but an earlier
 * static page, so that nothing else is overwritten), with `checkpoint`'s model when given.
 */
export async function writeStaticPage(directory: string, checkpoint?: string): Promise<StaticPage> {
  const page = checkPageDirectory();
  await mkdir(directory, { recursive: true });
  const present = await readdir(directory);
  const ours = new Set<string>([...STATIC_FILES, 'page.json', 'model']);
  const foreign = present.filter((name) => !ours.has(name));
  if (foreign.length > 0)
    throw new Error(
      `${directory} holds other files (${foreign.slice(0, 3).join(', ')}); give an empty directory`,
    );
  let model: StaticPage['model'];
  const written: string[] = [];
  if (checkpoint !== undefined) {
    // Checked as attn serve checks it (manifest, sizes, SHA-256, a model that loads), then re-encoded.
    const snapshot = await loadCheckpoint(checkpoint);
    const { info } = predictorFromCheckpoint(snapshot);
    model = { task: info.task, architecture: info.architecture, parameters: info.parameters };
    const encoded = encodeCheckpoint(snapshot);
    const manifest: Record<string, { bytes: number; sha256: string }> = {};
    await mkdir(join(directory, 'model'), { recursive: true });
    for (const name of MODEL_FILES) {
      const bytes = encoded.get(name)!;
      manifest[name] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      await writeFileAtomic(join(directory, 'model', name), bytes);
      written.push(`model/${name}`);
    }
    const manifestBytes = new TextEncoder().encode(`${JSON.stringify({ files: manifest }, null, 1)}\n`);
    await writeFileAtomic(join(directory, 'model', 'manifest.json'), manifestBytes);
    written.push('model/manifest.json');
  }
  for (const name of STATIC_FILES) {
    await writeFileAtomic(join(directory, name), await readFile(join(page, name)));
    written.push(name);
  }
  const pageJson = checkpoint === undefined ? {} : { checkpoint: 'model/' };
  await writeFileAtomic(
    join(directory, 'page.json'),
    new TextEncoder().encode(`${JSON.stringify(pageJson)}\n`),
  );
  written.push('page.json');
  return { directory, files: written, ...(model ? { model } : {}) };
}
