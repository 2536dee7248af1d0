/**
 * The formats `attn export` writes, each a function of the same shape: `(checkpointDir, outDir) → files`, that
 * reads a checkpoint (a run directory of attn train, or one checkpoint directory) and writes its export into
 * `outDir`, an existing empty directory, returning the names of the files written. The command (cli/export.ts)
 * makes `outDir` a fresh directory beside the destination and renames it into place when the export succeeds.
 */
import { fail } from '../tensor/errors.js';
import { exportOnnx } from './onnx/index.js';
import { exportPyTorch } from './pytorch/index.js';

export type ExportFunction = (checkpointDir: string, outDir: string) => Promise<string[]>;

export interface ExportFormat {
  /** What --help says of it. */
  summary: string;
  run: ExportFunction;
}

const FORMATS: Record<string, ExportFormat> = {
  onnx: {
    summary: 'ONNX graphs for ONNX Runtime (opset 17): encoder + decoder step, or the classifier',
    run: exportOnnx,
  },
  pytorch: {
    summary:
      "model.py (torch only, attn's parameter names), weights, tokenizers and train_ddp.py for torchrun",
    run: exportPyTorch,
  },
};

/** The names of the export formats, in the order --help lists them. */
export const EXPORT_FORMATS: readonly string[] = Object.freeze(Object.keys(FORMATS));

/** The format called `name`; an unknown name is an error listing the formats. */
export function exportFormat(name: string): ExportFormat {
  if (!Object.hasOwn(FORMATS, name))
    fail('attn export', `unknown format ${JSON.stringify(name)} (formats: ${EXPORT_FORMATS.join(', ')})`);
  return FORMATS[name]!;
}

export { exportOnnx, exportPyTorch };
