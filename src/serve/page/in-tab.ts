/**
 * Models in the tab: attn/browser's WebAssembly backend (loaded once, from beside app.js), and checkpoints read
 * from a folder the user picks or from URLs (a static copy of the page made by `attn serve --static`). Only the
 * three files a predictor needs are read: model.safetensors, config.json and tokenizers.json; when the
 * checkpoint's manifest.json is there, each file's SHA-256 is checked against it, as `attn serve` does.
 */
import { initWasm } from '../../browser/index.js';
import type { BackendInfo } from '../../backend/choice.js';
import { predictorFromCheckpoint } from '../../inference/from-checkpoint.js';
import type { BatchPredictor } from '../../inference/predictor.js';
import { CHECKPOINT_FILES, decodeModelFiles } from '../../train/checkpoint-codec.js';

const NEEDED = [CHECKPOINT_FILES.model, CHECKPOINT_FILES.config, CHECKPOINT_FILES.tokenizers] as const;
const MANIFEST = 'manifest.json';
const POINTER = 'latest.json';

let backend: Promise<BackendInfo> | undefined;

/** The WebAssembly backend, loaded on first use (threads where the page is cross-origin isolated). */
export function tabBackend(): Promise<BackendInfo> {
  backend ??= initWasm();
  return backend;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Checks `files` against the checkpoint's manifest (file → { bytes, sha256 }), naming the file at fault. */
async function checkManifest(
  where: string,
  manifest: unknown,
  files: Map<string, Uint8Array>,
): Promise<void> {
  const listed = (manifest as { files?: Record<string, { bytes?: unknown; sha256?: unknown }> }).files;
  if (typeof listed !== 'object' || listed === null) throw new Error(`${where}/${MANIFEST} lists no files`);
  if (typeof crypto === 'undefined' || !crypto.subtle) return; // no Web Crypto outside a secure context
  for (const [name, bytes] of files) {
    const entry = listed[name];
    if (!entry) throw new Error(`${where}/${MANIFEST} does not list ${name}`);
    if (entry.bytes !== bytes.length)
      throw new Error(`${where}/${name} has ${bytes.length} bytes; ${MANIFEST} says ${String(entry.bytes)}`);
    if ((await sha256(bytes)) !== entry.sha256)
      throw new Error(`${where}/${name} is corrupt: its SHA-256 differs from the one in ${MANIFEST}`);
  }
}

async function predictorFrom(
  where: string,
  files: Map<string, Uint8Array>,
  manifest: Uint8Array | undefined,
): Promise<BatchPredictor> {
  await tabBackend();
  if (manifest) await checkManifest(where, JSON.parse(new TextDecoder().decode(manifest)) as unknown, files);
  return predictorFromCheckpoint(decodeModelFiles((name) => files.get(name), where));
}

/**
 * The checkpoint in a picked folder (an <input webkitdirectory>'s files): a run's folder, whose latest.json
 * names the checkpoint to load, or one checkpoint's folder.
 */
export async function predictorFromFolder(
  picked: readonly File[],
): Promise<{ predictor: BatchPredictor; where: string }> {
  const byPath = new Map(picked.map((f) => [f.webkitRelativePath || f.name, f]));
  const root = [...byPath.keys()][0]?.split('/')[0] ?? '';
  let folder = root;
  const pointer = byPath.get(`${root}/${POINTER}`);
  if (pointer) {
    const latest = (JSON.parse(await pointer.text()) as { latest?: unknown }).latest;
    if (typeof latest !== 'string' || !/^[\w.-]+$/.test(latest))
      throw new Error(`${root}/${POINTER} names no checkpoint`);
    folder = `${root}/${latest}`;
  } else if (!byPath.has(`${root}/${CHECKPOINT_FILES.config}`)) {
    throw new Error(
      `${root} is neither a run folder (no ${POINTER}) nor a checkpoint folder (no config.json)`,
    );
  }
  const files = new Map<string, Uint8Array>();
  for (const name of NEEDED) {
    const file = byPath.get(`${folder}/${name}`);
    if (!file) throw new Error(`${folder}/${name} is missing`);
    files.set(name, new Uint8Array(await file.arrayBuffer()));
  }
  const manifest = byPath.get(`${folder}/${MANIFEST}`);
  const manifestBytes = manifest ? new Uint8Array(await manifest.arrayBuffer()) : undefined;
  return { predictor: await predictorFrom(folder, files, manifestBytes), where: folder };
}

/** The checkpoint whose files are at `base` (a URL ending in /), as `attn serve --static` copies it. */
export async function predictorFromUrl(base: URL): Promise<BatchPredictor> {
  const fetchBytes = async (name: string, optional = false): Promise<Uint8Array | undefined> => {
    const response = await fetch(new URL(name, base));
    if (!response.ok) {
      if (optional && response.status === 404) return undefined;
      throw new Error(`${new URL(name, base).pathname}: HTTP ${response.status}`);
    }
    return new Uint8Array(await response.arrayBuffer());
  };
  const files = new Map<string, Uint8Array>();
  for (const name of NEEDED) files.set(name, (await fetchBytes(name))!);
  const where = base.pathname.replace(/\/$/, '');
  return predictorFrom(where, files, await fetchBytes(MANIFEST, true));
}
