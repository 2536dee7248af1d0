/**
 * `attn export --checkpoint RUN --format onnx --out DIR [--force]`: a trained model in a format other runtimes
 * read (src/export/). The export is written into a fresh directory beside DIR and renamed into place once
 * complete, so DIR never holds half an export; an existing non-empty DIR is refused unless --force (then it is
 * replaced, after the new export is complete).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { EXPORT_FORMATS, exportFormat } from '../export/index.js';
import { fail } from '../tensor/errors.js';
import { HELP_OPTION, optionHelp, parseOptions, stringValue, type OptionSpec } from './options.js';
import { CHECKPOINT_OPTION, checkpointOption } from './predict.js';
import { UsageError } from './usage.js';

const SPECS: readonly OptionSpec[] = [
  CHECKPOINT_OPTION,
  {
    name: 'format',
    type: 'string',
    short: 'f',
    value: 'NAME',
    help: `what to write: ${EXPORT_FORMATS.join(', ')}`,
  },
  { name: 'out', type: 'string', short: 'o', value: 'DIR', help: 'the directory to write (new, or empty)' },
  { name: 'force', type: 'boolean', help: 'replace DIR even if it holds files' },
  HELP_OPTION,
];

const HELP = `Usage: attn export --checkpoint RUN --format onnx --out DIR [--force]

Writes the model of RUN (a run directory of attn train, or one checkpoint directory) in a format another runtime
reads. DIR must not exist or be empty, unless --force (then it is replaced once the export is complete).

Formats:
  onnx   ONNX graphs for ONNX Runtime, opset 17, dynamic batch and sequence axes: encoder.onnx and
         decoder_step.onnx (translation; the step's state is an input and an output), or model.onnx
         (classification); with tokenizers.json, config.json and a README.md on running them

Options:
${optionHelp(SPECS)}

Example:
  attn export --checkpoint runs/date --format onnx --out date-onnx
`;

/** 'missing', 'empty', or 'full' (a file, or a directory with entries). */
async function destination(dir: string): Promise<'missing' | 'empty' | 'full'> {
  try {
    if (!(await stat(dir)).isDirectory()) return 'full';
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return 'missing';
    throw err;
  }
  return (await readdir(dir)).length === 0 ? 'empty' : 'full';
}

export async function runExport(args: readonly string[]): Promise<number> {
  const { values } = parseOptions(args, SPECS);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const checkpoint = checkpointOption(values);
  const formatName = stringValue(values, 'format');
  if (formatName === undefined) throw new UsageError(`--format is required (${EXPORT_FORMATS.join(', ')})`);
  if (!EXPORT_FORMATS.includes(formatName))
    throw new UsageError(`unknown --format '${formatName}' (formats: ${EXPORT_FORMATS.join(', ')})`);
  const out = stringValue(values, 'out');
  if (out === undefined) throw new UsageError('--out DIR is required: the directory the export goes to');
  const target = resolve(out);
  const state = await destination(target);
  if (state === 'full' && !values.force)
    throw new UsageError(`--out ${out} exists and is not an empty directory; pass --force to replace it`);
  if (state === 'full' && !(await stat(target)).isDirectory())
    fail('attn export', `--out ${out} is a file, not a directory`);

  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}.${randomBytes(6).toString('hex')}`;
  const staging = join(parent, `.${basename(target)}.export-${tag}`);
  await mkdir(staging);
  let files: string[];
  try {
    files = await exportFormat(formatName).run(checkpoint, staging);
    if (state === 'full') {
      // Replace the old directory only now that the new one is complete.
      const old = join(parent, `.${basename(target)}.old-${tag}`);
      await rename(target, old);
      await rename(staging, target);
      await rm(old, { recursive: true, force: true });
    } else {
      // A rename onto a missing or empty directory is atomic.
      await rename(staging, target);
    }
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  process.stdout.write(`wrote ${formatName} export of ${checkpoint} to ${out}: ${files.join(', ')}\n`);
  return 0;
}
