// What the ONNX export tests share: tiny checkpoints exported, the attn model they hold, ONNX Runtime sessions,
// random right-padded batches and a greedy decoder that runs the exported step graph.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  checkpointConfig,
  checkpointModel,
  checkpointTokenizers,
} from '../../src/inference/from-checkpoint.js';
import type { BuiltModel } from '../../src/models/registry.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { loadCheckpoint } from '../../src/train/node/checkpoint-dir.js';
import type { OnnxExportConfig } from '../../src/export/onnx/index.js';

export { ort };

/** A fresh temporary directory. */
export const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), `attn-onnx-${prefix}-`));

/** The model of a checkpoint as attn loads it (eval mode). */
export async function loadBuilt(dir: string): Promise<BuiltModel> {
  const snapshot = await loadCheckpoint(dir);
  const config = checkpointConfig(snapshot);
  return checkpointModel(snapshot, config, checkpointTokenizers(snapshot, config));
}

/** A deterministic generator of integers in [lo, hi). */
export function randomInts(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo));
  };
}

/** A batch of rows of random lengths in [1, maxLength] (the first row the longest), ids in [4, vocab), padded with 0. */
export function randomBatch(
  rand: (lo: number, hi: number) => number,
  batch: number,
  maxLength: number,
  vocab: number,
  eos = false,
): { rows: number[][]; ids: Tensor; lengths: number[]; width: number } {
  const rows = Array.from({ length: batch }, (_, b) => {
    const n = b === 0 ? maxLength : rand(1, maxLength + 1);
    const row = Array.from({ length: eos ? n - 1 : n }, () => rand(4, vocab));
    return eos ? [...row, 2] : row;
  }).map((r) => (r.length === 0 ? [rand(4, vocab)] : r));
  const width = Math.max(...rows.map((r) => r.length));
  const data = new Int32Array(batch * width);
  rows.forEach((r, b) => data.set(r, b * width));
  return { rows, ids: new Tensor(data, [batch, width], 'int32'), lengths: rows.map((r) => r.length), width };
}

export function int64(values: ArrayLike<number>, dims: number[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(Array.from(values), (v) => BigInt(v)),
    dims,
  );
}

/** The attention mask (1 at tokens) of padded ids. */
export function maskOf(ids: Tensor): ort.Tensor {
  return int64(
    Array.from(ids.data, (v) => (v === 0 ? 0 : 1)),
    [...ids.shape],
  );
}

/** |a − e| ≤ tol everywhere: the largest difference. */
export function maxDiff(a: ArrayLike<number>, e: ArrayLike<number>): number {
  if (a.length !== e.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!));
  return Number.isNaN(worst) ? Infinity : worst;
}

/** The step graph's state inputs before the first step, from the encoder's outputs. */
export function initialFeeds(
  config: OnnxExportConfig,
  enc: ort.InferenceSession.OnnxValueMapType,
  batch: number,
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  if (config.architecture === 'transformer') {
    const layers = Number(config.model.numDecoderLayers);
    const heads = Number(config.model.nhead);
    const d = Number(config.model.dModel) / heads;
    for (let i = 0; i < layers; i++) {
      for (const kv of ['key', 'value']) {
        feeds[`past_key_values.${i}.decoder.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [
          batch,
          heads,
          0,
          d,
        ]);
        feeds[`past_key_values.${i}.encoder.${kv}`] = enc[`present.${i}.encoder.${kv}`] as ort.Tensor;
      }
    }
    return feeds;
  }
  feeds.encoder_hidden_states = enc.last_hidden_state as ort.Tensor;
  feeds.attention_keys = enc.attention_keys as ort.Tensor;
  feeds.past_hidden_state = enc.hidden_state as ort.Tensor;
  if (config.architecture === 'gru-luong' && config.model.inputFeeding !== false) {
    const H = Number(config.model.hiddenSize);
    feeds.past_attentional_state = new ort.Tensor('float32', new Float32Array(batch * H), [batch, H]);
  }
  return feeds;
}

/** The state inputs of the next step from a step's outputs. */
export function nextFeeds(
  feeds: Record<string, ort.Tensor>,
  out: ort.InferenceSession.OnnxValueMapType,
): Record<string, ort.Tensor> {
  const next = { ...feeds };
  for (const [name, value] of Object.entries(out)) {
    if (name.startsWith('present.') && name.includes('.decoder.'))
      next[name.replace('present.', 'past_key_values.')] = value as ort.Tensor;
    else if (name.startsWith('present_')) next[name.replace('present_', 'past_')] = value as ort.Tensor;
  }
  return next;
}
