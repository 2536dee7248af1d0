/**
 * The PyTorch export of a checkpoint (Node only): a directory that runs and trains the model with torch alone.
 *
 *   model.py             the five architectures as torch modules with attn's state-dict names, a safetensors
 *                        reader and writer, attn's word and char tokenizers, load_model / greedy_translate /
 *                        classify
 *   weights.safetensors  the checkpoint's weights (float32, attn's names)
 *   config.json          the checkpoint's model configuration, every hyper-parameter filled in
 *   tokenizers.json      the checkpoint's tokenizers
 *   train_ddp.py         continues training under `torchrun --nproc_per_node N` (DistributedDataParallel)
 *   README.md            the commands
 *
 * model.py and train_ddp.py are real Python files beside this module (src/export/pytorch/, copied into dist/ by
 * `npm run build`), read from where this module runs, so the export works from the sources and the npm package.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { serializeSafetensors } from '../../io/safetensors.js';
import { checkpointConfig, checkpointModel, checkpointTokenizers } from '../../inference/from-checkpoint.js';
import { AttnError, fail } from '../../tensor/errors.js';
import { loadCheckpoint } from '../../train/node/checkpoint-dir.js';
import { checkImplemented } from '../implemented.js';
import { exportReadme } from './readme.js';

const OP = 'exportPyTorch';

/** The Python sources copied into every export. */
const PYTHON_FILES = ['model.py', 'train_ddp.py'] as const;

/** The files an export holds, in the order they are written. */
export const PYTORCH_EXPORT_FILES = [
  'weights.safetensors',
  'config.json',
  'tokenizers.json',
  ...PYTHON_FILES,
  'README.md',
] as const;

/**
 * Writes the PyTorch export of the checkpoint at `checkpointDir` (a run's directory, whose latest.json names its
 * newest checkpoint, or one checkpoint directory) into `outDir`, which must exist and be empty. The checkpoint is
 * checked as `attn predict` checks it (its weights must load into the model its config.json describes) before
 * anything is written. Returns the paths written.
 */
export async function exportPyTorch(checkpointDir: string, outDir: string): Promise<string[]> {
  if (typeof checkpointDir !== 'string' || checkpointDir === '')
    fail(OP, 'checkpointDir must be a checkpoint directory path');
  if (typeof outDir !== 'string' || outDir === '') fail(OP, 'outDir must be a directory path');
  await checkEmptyDirectory(outDir);
  const snapshot = await loadCheckpoint(checkpointDir);
  const parts = { ...snapshot, source: snapshot.source ?? checkpointDir };
  const config = checkpointConfig(parts);
  checkImplemented(OP, 'model.py', config.model);
  // Builds the model and loads the weights: a checkpoint that attn cannot run is refused here, not in Python.
  checkpointModel(parts, config, checkpointTokenizers(parts, config));

  const files = new Map<string, Uint8Array>();
  files.set('weights.safetensors', serializeSafetensors(snapshot.weights, { format: 'pt' }));
  files.set('config.json', json(config));
  files.set('tokenizers.json', json(snapshot.tokenizers));
  for (const name of PYTHON_FILES) files.set(name, await readPythonSource(name));
  files.set('README.md', new TextEncoder().encode(exportReadme(config)));

  const written: string[] = [];
  for (const name of PYTORCH_EXPORT_FILES) {
    const path = join(outDir, name);
    try {
      await writeFileAtomic(path, files.get(name)!);
    } catch (err) {
      throw new AttnError(OP, `cannot write ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    written.push(path);
  }
  return written;
}

/** outDir must be an existing, empty directory: an export never mixes with (or overwrites) other files. */
async function checkEmptyDirectory(outDir: string): Promise<void> {
  let entries: string[];
  try {
    if (!(await stat(outDir)).isDirectory()) fail(OP, `outDir ${outDir} is not a directory`);
    entries = await readdir(outDir);
  } catch (err) {
    if (err instanceof AttnError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT')
      fail(OP, `outDir ${outDir} does not exist; create an empty directory for the export`);
    fail(OP, `cannot read outDir ${outDir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (entries.length > 0) {
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
    fail(OP, `outDir ${outDir} is not empty (it holds ${shown}); export into an empty directory`);
  }
}

/** A Python source shipped beside this module (src/ when run from the sources, dist/ from the package). */
async function readPythonSource(name: string): Promise<Uint8Array> {
  const url = new URL(`./${name}`, import.meta.url);
  try {
    return new Uint8Array(await readFile(url));
  } catch (err) {
    fail(
      OP,
      `cannot read ${name} of the PyTorch export at ${url.pathname} (is dist/ built by npm run build?): ` +
        (err instanceof Error ? err.message : String(err)),
    );
  }
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}
