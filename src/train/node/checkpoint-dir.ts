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
import { lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, syncDirectory, writeFileAtomic } from '../../io/atomic-write.js';
import { readRegularFile } from '../../io/regular-file.js';
import { cappedList } from '../../nn/capped-list.js';
import { AttnError, fail } from '../../tensor/errors.js';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  parseCheckpointJson,
  type DecodeCheckpointOptions,
} from '../checkpoint-codec.js';
import { availableMemoryBytes } from './available-memory.js';
import type { CheckpointStore, TrainingSnapshot } from '../snapshot.js';
import { writeDurable } from './durable-files.js';

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

/** How a checkpoint is read (see `DecodeCheckpointOptions`). */
export type LoadCheckpointOptions = DecodeCheckpointOptions;

export interface SaveCheckpointOptions {
  /** Keep this many most recent checkpoints (default: all). */
  keep?: number;
}

/**
 * Writes a checkpoint of `snapshot` under `root` (see the module comment) and returns its directory. A failure
 * of the file system (no space left, a read-only directory) is an error naming `root`; the previous checkpoint
 * stays the one `latest.json` names.
 */
export async function saveCheckpoint(
  root: string,
  snapshot: TrainingSnapshot,
  options: SaveCheckpointOptions = {},
): Promise<string> {
  try {
    return await writeCheckpoint(root, snapshot, options);
  } catch (err) {
    if (err instanceof AttnError || errorCode(err) === '') throw err;
    const error = new AttnError(
      'saveCheckpoint',
      `cannot write a checkpoint in ${root}: ${(err as Error).message}`,
    );
    error.cause = err;
    throw error;
  }
}

async function writeCheckpoint(
  root: string,
  snapshot: TrainingSnapshot,
  options: SaveCheckpointOptions,
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
 * Every file is checked before it is read — a regular file (no symbolic link, FIFO or device) named inside the
 * directory, of the manifest's size, all of them fitting in memory — then against the manifest's SHA-256, and
 * decoded; problems are errors naming the file.
 */
export async function loadCheckpoint(
  path: string,
  options: LoadCheckpointOptions = {},
): Promise<TrainingSnapshot> {
  if (!(await exists(join(path, POINTER_FILE)))) {
    if (!(await exists(join(path, MANIFEST_FILE)))) {
      fail(OP, `${path} holds no checkpoint (neither ${POINTER_FILE} nor ${MANIFEST_FILE})`);
    }
    return loadCheckpointDirectory(path, options);
  }
  const pointer = await readPointer(path);
  const directory = join(path, pointer.latest);
  try {
    await checkCheckpointDirectory(directory, join(path, POINTER_FILE), pointer);
    return await loadCheckpointDirectory(directory, options);
  } catch (err) {
    // The newest checkpoint is damaged: say which older ones are intact, so the user can load one of them.
    if (err instanceof AttnError)
      throw new AttnError(OP, `${stripOp(err)}${await olderCheckpointsHint(path, pointer)}`);
    throw err;
  }
}

/** One checkpoint directory: the manifest, then each file it lists, checked before and after reading. */
async function loadCheckpointDirectory(
  directory: string,
  options: LoadCheckpointOptions,
): Promise<TrainingSnapshot> {
  const manifest = await readManifest(directory);
  const total = Object.values(manifest.files).reduce((sum, f) => sum + f.bytes, 0);
  const available = availableMemoryBytes();
  if (total > available) {
    fail(
      OP,
      `${join(directory, MANIFEST_FILE)} lists ${total} bytes of files, more than the ${available} bytes of ` +
        'memory this machine has; refusing to read them',
    );
  }
  const contents = new Map<string, Uint8Array>();
  for (const [file, expected] of Object.entries(manifest.files)) {
    const filePath = join(directory, file);
    const bytes = await readRegularFile(filePath, {
      op: OP,
      inCheckpoint: true,
      expectedBytes: expected.bytes,
    });
    if (sha256(bytes) !== expected.sha256) {
      fail(OP, `${filePath} is corrupt: its SHA-256 differs from the one in ${MANIFEST_FILE}`);
    }
    contents.set(file, bytes);
  }
  return decodeCheckpoint((file) => contents.get(file), directory, options);
}

/** An AttnError's message without its leading `op: `, to be wrapped in another error of the same op. */
function stripOp(err: AttnError): string {
  return err.message.startsWith(`${err.op}: `) ? err.message.slice(err.op.length + 2) : err.message;
}

/**
 * The checkpoint directory a pointer names must be a real directory inside the run's root (not a symbolic link
 * out of it) holding a manifest.
 */
async function checkCheckpointDirectory(
  directory: string,
  pointerPath: string,
  pointer: Pointer,
): Promise<void> {
  let problem: string | undefined;
  try {
    const stats = await lstat(directory);
    if (stats.isSymbolicLink()) problem = `${directory} is a symbolic link, not a checkpoint directory`;
    else if (!stats.isDirectory()) problem = `${directory} is not a directory`;
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
  problem ??= (await exists(join(directory, MANIFEST_FILE)))
    ? undefined
    : `${pointerPath} names ${pointer.latest}, but ${directory} holds no checkpoint`;
  if (problem !== undefined) fail(OP, problem);
}

/** ` (older checkpoints: root/step-…; load one of them with its path)`, or nothing when none is left. */
async function olderCheckpointsHint(root: string, pointer: Pointer): Promise<string> {
  const older: string[] = [];
  for (const name of [...pointer.history].reverse()) {
    if (
      name !== pointer.latest &&
      isCheckpointName(name) &&
      (await exists(join(root, name, MANIFEST_FILE)))
    ) {
      older.push(join(root, name));
    }
  }
  return older.length === 0
    ? ''
    : ` (older checkpoints are still there: ${cappedList(older)}; pass one of them to load it)`;
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
      (f) =>
        typeof f === 'object' &&
        f !== null &&
        Number.isSafeInteger(f.bytes) &&
        f.bytes >= 0 &&
        typeof f.sha256 === 'string' &&
        /^[0-9a-f]{64}$/.test(f.sha256),
    );
  if (typeof value !== 'object' || value === null || m.format !== MANIFEST_FORMAT || !filesOk) {
    fail(OP, `${path} is not a checkpoint manifest ({ format: '${MANIFEST_FORMAT}', files })`);
  }
  if (m.version !== VERSION) fail(OP, `${path} has version ${String(m.version)}; this attn reads ${VERSION}`);
  const names = Object.keys(m.files!);
  if (names.length > MAX_MANIFEST_FILES) {
    fail(OP, `${path} lists ${names.length} files; a checkpoint has at most ${MAX_MANIFEST_FILES}`);
  }
  for (const name of names) {
    if (!isPlainFileName(name)) {
      fail(
        OP,
        `${path} lists the file ${JSON.stringify(name.slice(0, 100))}, which is not a plain name inside the ` +
          'checkpoint directory',
      );
    }
  }
  return value as Manifest;
}

/** The pointer and the manifest are small; a larger file is not one attn wrote. */
const MAX_INDEX_FILE_BYTES = 1 << 20;

async function readJson(path: string): Promise<unknown> {
  const bytes = await readRegularFile(path, { op: OP, inCheckpoint: true, maxBytes: MAX_INDEX_FILE_BYTES });
  return parseCheckpointJson(bytes, path);
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

/** A checkpoint holds a handful of files (checkpoint-codec.ts); a manifest listing more was not written by attn. */
const MAX_MANIFEST_FILES = 64;

/** A name that stays inside its directory: no separators, not `.` or `..`, printable ASCII. */
function isPlainFileName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/.test(name);
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
