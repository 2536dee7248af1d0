/**
 * `loadPredictor(dir)`: a checkpoint directory written by the trainer (`attn train --out DIR`, `attn demo`) as a
 * Predictor (Node). `dir` is a run's directory (its latest.json names the newest checkpoint) or one checkpoint
 * directory. Every file is checked against the checkpoint's manifest; a missing, corrupt or mismatched file is an
 * error naming it, and a checkpoint that is not an attn model says so.
 */
import { stat } from 'node:fs/promises';
import { fail } from '../../tensor/errors.js';
import { loadCheckpoint, type LoadCheckpointOptions } from '../../train/node/checkpoint-dir.js';
import { predictorFromCheckpoint } from '../from-checkpoint.js';
import type { BatchPredictor } from '../predictor.js';

export async function loadPredictor(
  dir: string,
  options: LoadCheckpointOptions = {},
): Promise<BatchPredictor> {
  if (typeof dir !== 'string' || dir === '') fail('loadPredictor', 'dir must be a checkpoint directory path');
  try {
    if (!(await stat(dir)).isDirectory()) fail('loadPredictor', `${dir} is not a directory`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') fail('loadPredictor', `${dir} does not exist`);
    if (code !== undefined) fail('loadPredictor', `cannot read ${dir}: ${(err as Error).message}`);
    throw err;
  }
  return predictorFromCheckpoint(await loadCheckpoint(dir, options));
}
