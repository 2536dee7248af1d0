/**
 * `exportOnnx(checkpointDir, outDir)`: a checkpoint (a run directory of attn train, or one checkpoint directory)
 * as ONNX graphs ONNX Runtime runs, written into the existing empty `outDir`:
 *
 *   translation (gru-bahdanau, gru-luong, transformer): encoder.onnx and decoder_step.onnx
 *   classification (bigru-attention, transformer-cls):  model.onnx
 *   tokenizers.json (the checkpoint's, as attn writes them), config.json (what a runner needs: the special ids,
 *   labels, graph inputs and outputs, opset), README.md (the same, and greedy decoding in Node and Python)
 *
 * The checkpoint is read and checked as `attn translate` reads it (loadCheckpoint, then the model built from its
 * config.json and tokenizers.json), so an incomplete or corrupt run is an error naming the file at fault.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { EOS_ID, PAD_ID, SOS_ID } from '../../data/vocabulary.js';
import { checkpointConfig, checkpointModel, checkpointTokenizers } from '../../inference/from-checkpoint.js';
import type { ModelCheckpointConfig } from '../../inference/model-config.js';
import { AttentionClassifier } from '../../models/classifier/classifier.js';
import { BahdanauSeq2Seq } from '../../models/seq2seq/bahdanau-seq2seq.js';
import { LuongSeq2Seq } from '../../models/seq2seq/luong-seq2seq.js';
import { TransformerSeq2Seq } from '../../models/transformer-seq2seq/model.js';
import { fail } from '../../tensor/errors.js';
import { loadCheckpoint } from '../../train/node/checkpoint-dir.js';
import { VERSION } from '../../version.js';
import { exportBigruClassifier, exportRnnSeq2Seq, type ExportedGraph } from './rnn.js';
import { exportTransformerClassifier, exportTransformerSeq2Seq } from './transformer.js';
import { checkImplemented } from '../implemented.js';
import { onnxReadme } from './readme.js';
import { ONNX_IR_VERSION, ONNX_OPSET } from './schema.js';

export { ONNX_IR_VERSION, ONNX_OPSET };

/** What config.json of an export says (see README.md in the export for how to use it). */
export interface OnnxExportConfig {
  format: 'attn-onnx';
  version: 1;
  attn: string;
  opset: number;
  irVersion: number;
  task: 'translate' | 'classify';
  architecture: string;
  model: Record<string, unknown>;
  files: string[];
  /** Graph inputs and outputs: name → dims (symbolic names for dynamic axes). */
  graphs: Record<
    string,
    { inputs: Record<string, (string | number)[]>; outputs: Record<string, (string | number)[]> }
  >;
  padId: number;
  sosId?: number;
  eosId?: number;
  sourceEos?: boolean;
  maxDecodeLength?: number;
  labels?: string[];
}

/** The graphs of a loaded model. */
export function onnxGraphs(model: unknown): ExportedGraph[] {
  if (model instanceof BahdanauSeq2Seq || model instanceof LuongSeq2Seq) return exportRnnSeq2Seq(model);
  if (model instanceof TransformerSeq2Seq) return exportTransformerSeq2Seq(model);
  if (model instanceof AttentionClassifier)
    return model.encoderKind === 'bigru' ? exportBigruClassifier(model) : exportTransformerClassifier(model);
  return fail('exportOnnx', `no ONNX export for ${(model as object)?.constructor?.name ?? String(model)}`);
}

function exportConfig(config: ModelCheckpointConfig, graphs: ExportedGraph[]): OnnxExportConfig {
  const out: OnnxExportConfig = {
    format: 'attn-onnx',
    version: 1,
    attn: VERSION,
    opset: ONNX_OPSET,
    irVersion: ONNX_IR_VERSION,
    task: config.task,
    architecture: config.architecture,
    model: { ...config.model },
    files: graphs.map((g) => g.file),
    graphs: Object.fromEntries(graphs.map((g) => [g.file, g.graph.signature()])),
    padId: PAD_ID,
  };
  if (config.task === 'translate') {
    out.sosId = SOS_ID;
    out.eosId = EOS_ID;
    out.sourceEos = config.sourceEos ?? false;
    if (config.maxDecodeLength !== undefined) out.maxDecodeLength = config.maxDecodeLength;
  } else out.labels = [...config.labels!];
  return out;
}

/**
 * Writes the ONNX export of the checkpoint at `checkpointDir` into `outDir` (an existing, empty directory);
 * returns the names of the files written.
 */
export async function exportOnnx(checkpointDir: string, outDir: string): Promise<string[]> {
  const snapshot = await loadCheckpoint(checkpointDir);
  const parts = { ...snapshot, source: snapshot.source ?? checkpointDir };
  const config = checkpointConfig(parts);
  checkImplemented('exportOnnx', 'the ONNX export', config.model);
  const tokenizers = checkpointTokenizers(parts, config);
  const built = checkpointModel(parts, config, tokenizers);
  const graphs = onnxGraphs(built.model);
  const settings = exportConfig(config, graphs);
  const files = new Map<string, Uint8Array | string>();
  for (const g of graphs) {
    files.set(g.file, g.graph.encode(g.doc, { architecture: config.architecture, task: config.task }));
  }
  files.set('tokenizers.json', `${JSON.stringify(snapshot.tokenizers)}\n`);
  files.set('config.json', `${JSON.stringify(settings, null, 2)}\n`);
  files.set('README.md', onnxReadme(settings));
  for (const [name, bytes] of files) await writeFile(join(outDir, name), bytes, { flag: 'wx' });
  return [...files.keys()];
}
