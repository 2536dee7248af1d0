/**
 * Checkpoints on disk (Node), written so that a process killed at any moment (SIGKILL, power cut) leaves the
 * previous checkpoint loadable. A run's checkpoint directory:
 *
 * ```
 * <root>/
 *   latest.json                   the pointer: { format, version, latest: "step-00000020", step, history: [...] }
 *   step-00000010/                one checkpoint: the files of checkpoint-codec.ts, plus
 *     model.safetensors …           manifest.json: { format, version, step, files: { name: { bytes, sha256 } } }
 *   step-00000020/
 *   .tmp-step-00000030-<pid>-<hex>/   a checkpoint being written; removed by the next save if a crash left it
 * ```
 *
 * Saving: every file of the new checkpoint is written and fsynced in a temporary directory, the manifest last;
 * the directory is fsynced and renamed to its final name (never over an existing one: a second checkpoint of the
 * same step gets a `-1`, `-2` … suffix), the root is fsynced, and only then is `latest.json` replaced atomically
 * (writeFileAtomic). Until that rename the old pointer names the old, complete checkpoint. Checkpoints beyond the
 * last `keep` are removed after the pointer has moved.
 *
 * Loading checks the manifest (every file present, of the recorded size and SHA-256) and decodes every file;
 * any problem is an error naming the file. One process writes to a root at a time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { fail } from '../../tensor/errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../checkpoint-codec.js';
import type { CheckpointStore, TrainingSnapshot } from '../snapshot.js';
import { errorCode, syncDirectory, writeDurable } from './durable-files.js';

export const POINTER_FILE = 'latest.json';
export const MANIFEST_FILE = 'manifest.json';
const POINTER_FORMAT = 'attn-checkpoints';
const MANIFEST_FORMAT = 'attn-checkpoint';
const VERSION = 1;
const OP = 'loadCheckpoint';

interface Pointer {
  format: string;
  version: number;
  latest: string;
  step: number;
  history: string[];
}

interface Manifest {
  format: string;
  version: number;
  step: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

export interface SaveCheckpointOptions {
  /** Keep this many most recent checkpoints (default: all). */
  keep?: number;
}

/** Writes a checkpoint of `snapshot` under `root` (see the module comment) and returns its directory. */
export async function saveCheckpoint(
  root: string,
  snapshot: TrainingSnapshot,
  options: SaveCheckpointOptions = {},
): Promise<string> {
  const keep = options.keep ?? Infinity;
  if (keep !== Infinity && !(Number.isInteger(keep) && keep >= 1)) {
    fail('saveCheckpoint', `keep must be an integer >= 1, got ${keep}`);
  }
  // Encode first: a snapshot that cannot be written fails before anything on disk changes.
  const files = encodeCheckpoint(snapshot);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: VERSION,
    step: snapshot.trainer.step,
    files: {},
  };
  for (const [name, bytes] of files) manifest.files[name] = { bytes: bytes.length, sha256: sha256(bytes) };

  await mkdir(root, { recursive: true });
  await removeTemporaries(root);
  const name = await freeName(root, `step-${String(snapshot.trainer.step).padStart(8, '0')}`);
  const temporary = join(root, `.tmp-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(temporary);
  try {
    for (const [file, bytes] of files) await writeDurable(join(temporary, file), bytes);
    await writeDurable(join(temporary, MANIFEST_FILE), jsonBytes(manifest));
    await syncDirectory(temporary);
    await rename(temporary, join(root, name));
  } catch (err) {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(root);

  const previous = await readPointer(root).catch(() => null);
  const history = [...(previous?.history ?? []), name];
  const kept = keep === Infinity ? history : history.slice(-keep);
  const pointer: Pointer = {
    format: POINTER_FORMAT,
    version: VERSION,
    latest: name,
    step: snapshot.trainer.step,
    history: kept,
  };
  await writeFileAtomic(join(root, POINTER_FILE), jsonBytes(pointer));
  // Only now that the pointer has moved may older checkpoints go.
  for (const old of history) {
    if (!kept.includes(old) && isCheckpointName(old)) {
      await rm(join(root, old), { recursive: true, force: true });
    }
  }
  return join(root, name);
}

/**
 * Reads a checkpoint: `path` is a run's root (the checkpoint `latest.json` names) or one checkpoint directory.
 * Every file is checked against the manifest and decoded; problems are errors naming the file.
 */
export async function loadCheckpoint(path: string): Promise<TrainingSnapshot> {
  let directory = path;
  if (await exists(join(path, POINTER_FILE))) {
    const pointer = await readPointer(path);
    directory = join(path, pointer.latest);
    if (!(await exists(join(directory, MANIFEST_FILE)))) {
      fail(OP, `${join(path, POINTER_FILE)} names ${pointer.latest}, but ${directory} holds no checkpoint`);
    }
  } else if (!(await exists(join(path, MANIFEST_FILE)))) {
    fail(OP, `${path} holds no checkpoint (neither ${POINTER_FILE} nor ${MANIFEST_FILE})`);
  }
  const manifest = await readManifest(directory);
  const contents = new Map<string, Uint8Array>();
  for (const [file, expected] of Object.entries(manifest.files)) {
    const filePath = join(directory, file);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(filePath);
    } catch (err) {
      fail(
        OP,
        `${filePath} ${errorCode(err) === 'ENOENT' ? 'is missing' : `cannot be read: ${(err as Error).message}`}`,
      );
    }
    if (bytes.length !== expected.bytes) {
      fail(OP, `${filePath} is corrupt: ${bytes.length} bytes, the manifest says ${expected.bytes}`);
    }
    if (sha256(bytes) !== expected.sha256) {
      fail(OP, `${filePath} is corrupt: its SHA-256 differs from the one in ${MANIFEST_FILE}`);
    }
    contents.set(file, bytes);
  }
  return decodeCheckpoint((file) => contents.get(file), directory);
}

/** Checkpoints in a directory, as a `CheckpointStore` for the Trainer. */
export class DirectoryCheckpoints implements CheckpointStore {
  constructor(
    readonly dir: string,
    readonly options: SaveCheckpointOptions = {},
  ) {}

  save(snapshot: TrainingSnapshot): Promise<string> {
    return saveCheckpoint(this.dir, snapshot, this.options);
  }

  load(): Promise<TrainingSnapshot> {
    return loadCheckpoint(this.dir);
  }

  exists(): Promise<boolean> {
    return exists(join(this.dir, POINTER_FILE));
  }
}

async function readPointer(root: string): Promise<Pointer> {
  const path = join(root, POINTER_FILE);
  const value = await readJson(path);
  const p = value as Partial<Pointer>;
  if (
    typeof value !== 'object' ||
    value === null ||
    p.format !== POINTER_FORMAT ||
    typeof p.latest !== 'string' ||
    !isCheckpointName(p.latest) ||
    !Array.isArray(p.history) ||
    !p.history.every((h) => typeof h === 'string')
  ) {
    fail(OP, `${path} is not a checkpoint pointer ({ format: '${POINTER_FORMAT}', latest, history })`);
  }
  if (p.version !== VERSION) fail(OP, `${path} has version ${String(p.version)}; this attn reads ${VERSION}`);
  return value as Pointer;
}

async function readManifest(directory: string): Promise<Manifest> {
  const path = join(directory, MANIFEST_FILE);
  const value = await readJson(path);
  const m = value as Partial<Manifest>;
  const filesOk =
    typeof m?.files === 'object' &&
    m.files !== null &&
    Object.values(m.files).every(
      (f) => typeof f === 'object' && f !== null && Number.isInteger(f.bytes) && typeof f.sha256 === 'string',
    );
  if (typeof value !== 'object' || value === null || m.format !== MANIFEST_FORMAT || !filesOk) {
    fail(OP, `${path} is not a checkpoint manifest ({ format: '${MANIFEST_FORMAT}', files })`);
  }
  if (m.version !== VERSION) fail(OP, `${path} has version ${String(m.version)}; this attn reads ${VERSION}`);
  return value as Manifest;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    fail(
      OP,
      `${path} ${errorCode(err) === 'ENOENT' ? 'is missing' : `cannot be read: ${(err as Error).message}`}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    fail(OP, `${path} is not valid JSON (the file is corrupt or truncated): ${(err as Error).message}`);
  }
}

/** `base`, or `base-1`, `base-2` … whichever does not exist yet. */
async function freeName(root: string, base: string): Promise<string> {
  for (let i = 0; ; i++) {
    const name = i === 0 ? base : `${base}-${i}`;
    if (!(await exists(join(root, name)))) return name;
  }
}

/** Removes the temporary directories of saves that a crash interrupted. */
async function removeTemporaries(root: string): Promise<void> {
  for (const entry of await readdir(root)) {
    if (entry.startsWith('.tmp-step-')) await rm(join(root, entry), { recursive: true, force: true });
  }
}

function isCheckpointName(name: string): boolean {
  return /^step-\d+(-\d+)?$/.test(name);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return false;
    throw err;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 1)}\n`);
}
