// `attn export --format onnx` as a user runs it: the files it writes, the README's Node snippet run as written
// (greedy decoding in onnxruntime-node gives attn's translations), and bad input: usage errors exit 2, checkpoint
// problems exit 1 naming the file, and neither leaves a half-written or changed directory behind.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greedyDecode } from '../../src/decode/greedy.js';
import type { OnnxExportConfig } from '../../src/export/onnx/index.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { attn, tempDir } from '../cli/run-cli.js';
import { tinyCheckpoint } from '../serve/checkpoints.js';
import { loadBuilt } from './onnx-helpers.js';

const tmp = tempDir('export');
const runs: Record<string, string> = {};

beforeAll(async () => {
  for (const [name, arch, overrides] of [
    ['transformer', 'transformer', {}],
    ['luong', 'gru-luong', { bidirectional: true }],
    ['bahdanau', 'gru-bahdanau', {}],
    ['classifier', 'transformer-cls', {}],
  ] as const) {
    runs[name] = join(tmp.dir, name);
    await tinyCheckpoint(arch, runs[name], 5, overrides, 60);
  }
});
afterAll(() => tmp.cleanup());

/** Entries of the directory holding `dir` that an export may have left (staging or old copies). */
const leftovers = (dir: string) =>
  readdirSync(resolve(dir, '..')).filter((f) => f.includes('.export-') || f.includes('.old-'));

describe('attn export --format onnx', () => {
  it('writes the graphs, tokenizers, config and README into a new directory', async () => {
    const out = join(tmp.dir, 'tf-onnx');
    const r = await attn(['export', '--checkpoint', runs.transformer!, '--format', 'onnx', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('encoder.onnx, decoder_step.onnx');
    expect(readdirSync(out).sort()).toEqual([
      'README.md',
      'config.json',
      'decoder_step.onnx',
      'encoder.onnx',
      'tokenizers.json',
    ]);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as OnnxExportConfig;
    expect(config).toMatchObject({
      format: 'attn-onnx',
      opset: 17,
      irVersion: 8,
      task: 'translate',
      sosId: 1,
      eosId: 2,
    });
    expect(config.graphs['decoder_step.onnx']!.inputs['past_key_values.0.decoder.key']).toEqual([
      'batch',
      2,
      'past_length',
      8,
    ]);
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('opset 17');
    expect(readme).toContain('`present.1.decoder.value`');
    expect(leftovers(out)).toEqual([]);

    const cls = join(tmp.dir, 'cls-onnx');
    const c = await attn(['export', '-c', runs.classifier!, '-f', 'onnx', '-o', cls]);
    expect(c.code).toBe(0);
    expect(readdirSync(cls).sort()).toEqual(['README.md', 'config.json', 'model.onnx', 'tokenizers.json']);
    expect(JSON.parse(readFileSync(join(cls, 'config.json'), 'utf8'))).toMatchObject({
      task: 'classify',
      labels: ['negative', 'positive'],
    });
  });

  it("the README's Node snippet decodes greedily as attn does", async () => {
    for (const name of ['transformer', 'luong', 'bahdanau']) {
      const out = join(tmp.dir, `${name}-snippet`);
      expect((await attn(['export', '-c', runs[name]!, '-f', 'onnx', '-o', out])).code).toBe(0);
      const readme = readFileSync(join(out, 'README.md'), 'utf8');
      const snippet = /```js\n([\s\S]*?)```/
        .exec(readme)![1]!
        .replaceAll("'encoder.onnx'", JSON.stringify(join(out, 'encoder.onnx')))
        .replaceAll("'decoder_step.onnx'", JSON.stringify(join(out, 'decoder_step.onnx')))
        .replace('console.log(output);', 'console.log(JSON.stringify(output));');
      // Run from the repository, where onnxruntime-node resolves.
      const printed = execFileSync(process.execPath, ['--input-type=module'], {
        input: snippet,
        encoding: 'utf8',
      });
      const src = JSON.parse(/const src = (\[.*\]);/.exec(snippet)![1]!) as number[][];
      const width = src[0]!.length;
      const built = await loadBuilt(runs[name]!);
      if (built.task !== 'translate') throw new Error('expected a translation model');
      const ids = new Tensor(Int32Array.from(src.flat()), [src.length, width], 'int32');
      const lengths = src.map((row) => row.filter((id) => id !== 0).length);
      const greedy = noGrad(() =>
        greedyDecode(built.model.stepper(ids, lengths), { sos: 1, eos: 2, maxLength: 12 }),
      );
      expect(JSON.parse(printed), name).toEqual(greedy.map((h) => h.tokens));
    }
  });
});

describe('attn export --format pytorch', () => {
  it('writes model.py, the weights, config, tokenizers and train_ddp.py into a new directory', async () => {
    const out = join(tmp.dir, 'tf-pytorch');
    const r = await attn(['export', '--checkpoint', runs.transformer!, '--format', 'pytorch', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'README.md',
      'config.json',
      'model.py',
      'tokenizers.json',
      'train_ddp.py',
      'weights.safetensors',
    ]);
    expect(leftovers(out)).toEqual([]);
  });
});

describe('attn export: bad input', () => {
  it('usage errors exit 2: a missing or unknown format, a missing --out or --checkpoint', async () => {
    const out = join(tmp.dir, 'never');
    for (const [args, message] of [
      [['export', '-c', runs.transformer!, '-o', out], '--format is required (onnx, pytorch)'],
      [
        ['export', '-c', runs.transformer!, '-f', 'tflite', '-o', out],
        "unknown --format 'tflite' (formats: onnx, pytorch)",
      ],
      [['export', '-c', runs.transformer!, '-f', 'onnx'], '--out DIR is required'],
      [['export', '-f', 'onnx', '-o', out], '--checkpoint DIR is required'],
      [
        ['export', '-c', runs.transformer!, '-f', 'onnx', '-o', out, '--beam', '2'],
        "Unknown option '--beam'",
      ],
    ] as const) {
      const r = await attn(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an existing non-empty --out unless --force, then replaces it whole', async () => {
    const out = join(tmp.dir, 'full');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const r = await attn(['export', '-c', runs.bahdanau!, '-f', 'onnx', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `--out ${out} exists and is not an empty directory; pass --force to replace it`,
    );
    expect(readdirSync(out)).toEqual(['keep.txt']);
    const f = await attn(['export', '-c', runs.bahdanau!, '-f', 'onnx', '-o', out, '--force']);
    expect(f.code).toBe(0);
    expect(readdirSync(out)).not.toContain('keep.txt');
    expect(readdirSync(out)).toContain('decoder_step.onnx');
    expect(leftovers(out)).toEqual([]);
    // An existing empty directory is used without --force.
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    expect((await attn(['export', '-c', runs.bahdanau!, '-f', 'onnx', '-o', empty])).code).toBe(0);
    expect(readdirSync(empty)).toContain('encoder.onnx');
  });

  it('checkpoint problems exit 1 naming the file, and write nothing', async () => {
    const out = join(tmp.dir, 'bad-out');
    const nowhere = join(tmp.dir, 'nowhere');
    const missing = await attn(['export', '-c', nowhere, '-f', 'onnx', '-o', out]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${nowhere} holds no checkpoint`);

    const incomplete = join(tmp.dir, 'incomplete');
    cpSync(runs.bahdanau!, incomplete, { recursive: true });
    const step = readdirSync(incomplete).find((f) => f.startsWith('step-'))!;
    rmSync(join(incomplete, step, 'model.safetensors'));
    const i = await attn(['export', '-c', incomplete, '-f', 'onnx', '-o', out]);
    expect(i.code).toBe(1);
    expect(i.stderr).toContain(join(incomplete, step, 'model.safetensors'));

    const corrupt = join(tmp.dir, 'corrupt');
    cpSync(runs.bahdanau!, corrupt, { recursive: true });
    const weights = join(corrupt, step, 'model.safetensors');
    const bytes = readFileSync(weights);
    bytes[bytes.length - 3]! ^= 0x5a;
    writeFileSync(weights, bytes);
    const c = await attn(['export', '-c', corrupt, '-f', 'onnx', '-o', out]);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain(`${weights} is corrupt: its SHA-256 differs`);

    expect(existsSync(out)).toBe(false);
    expect(leftovers(out)).toEqual([]);
  });

  it('a model the export does not implement (RoPE, entmax, the location score) exits 1 naming it', async () => {
    for (const [arch, overrides, says] of [
      ['transformer', { positions: 'rope' }, 'positions "rope"'],
      ['transformer', { normalizer: 'entmax15' }, 'normalizer "entmax15"'],
      ['gru-luong', { score: 'location' }, 'score "location"'],
    ] as const) {
      const run = join(tmp.dir, `unimplemented-${arch}`);
      rmSync(run, { recursive: true, force: true });
      await tinyCheckpoint(arch, run, 3, overrides, 1);
      const out = join(tmp.dir, 'unimplemented-out');
      const r = await attn(['export', '-c', run, '-f', 'onnx', '-o', out]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`exportOnnx: the ONNX export does not implement ${says}`);
      expect(existsSync(out)).toBe(false);
      expect(leftovers(out)).toEqual([]);
    }
  });
});
