// The ONNX export's documentation snippets, run as written, each in the directory its paths are relative to; the
// test only appends a line printing the snippet's result as JSON. Translations must be attn's greedy decoding token
// for token, class probabilities and attention weights attn's to 1e-4.
//
// Python (Debian's /usr/bin/python3 with numpy): the export README's greedy loop (Transformer, GRU + Luong,
// GRU + Bahdanau) and classifier forward, and docs/deploy.md's classifier (exported as sentiment-onnx/). Python's
// onnxruntime cannot be installed where these tests run, so `import onnxruntime` finds a test shim
// (ort-shim/onnxruntime, put on PYTHONPATH here). It is real ONNX Runtime — the same C++ runtime, reached through
// onnxruntime-node in one Node child process (ort-shim/server.mjs) — not Python's binding: it implements only the
// part of the Python API the snippets use, and raises on any other argument (checked last). Skipped, like the
// torch tests, only where numpy is missing and ATTN_REQUIRE_TORCH is not set.
//
// Node (onnxruntime-node): the README's classifier and docs/deploy.md's (onnx-cli.test.ts runs the README's
// greedy loop), resolving onnxruntime-node through a node_modules link beside the exports.
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greedyDecode } from '../../src/decode/greedy.js';
import { exportOnnx, type OnnxExportConfig } from '../../src/export/onnx/index.js';
import type { Architecture } from '../../src/models/registry.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { softmax } from '../../src/tensor/ops/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { tinyCheckpoint } from '../serve/checkpoints.js';
import { loadBuilt, maxDiff } from './onnx-helpers.js';
import { fencedBlocks, runProcess, runPythonScript } from './snippets.js';
import { skipWithoutPython } from './torch-python.js';

const SHIM = fileURLToPath(new URL('./ort-shim', import.meta.url));
const DEPLOY = fileURLToPath(new URL('../../docs/deploy.md', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));
const TOLERANCE = 1e-4;

/** The shim on PYTHONPATH, its Node process run by this Node binary. */
const SHIM_ENV = { PYTHONPATH: SHIM, ATTN_ORT_SHIM_NODE: process.execPath };

const runWithShim = (script: string, cwd: string) => runPythonScript(script, { cwd, env: SHIM_ENV });

/** The only ```python (or ```js) block of a markdown text that uses onnxruntime. */
function ortBlock(markdown: string, where: string, language = 'python'): string {
  const blocks = fencedBlocks(markdown, language).filter((b) => b.includes('onnxruntime'));
  if (blocks.length !== 1)
    throw new Error(`${where}: ${blocks.length} ${language} onnxruntime blocks, expected one`);
  return blocks[0]!;
}

/** Runs a Node snippet (an ES module, fed on stdin) in `cwd`. */
const runNode = (snippet: string, cwd: string) =>
  runProcess(process.execPath, ['--input-type=module'], { cwd, input: snippet });

/** The id rows of a Node snippet's `const ids = [[…], …];` (one line or several). */
function jsIdRows(snippet: string): number[][] {
  const m = /^const ids = (\[[\s\S]*?\]);/m.exec(snippet);
  if (!m) throw new Error(`no const ids = [[...]] in the snippet:\n${snippet}`);
  return JSON.parse(m[1]!.replace(/,(\s*\])/g, '$1')) as number[][];
}

/** The int64 id rows of the snippet's `name = np.array([[…]], dtype=np.int64)`. */
function idRows(snippet: string, name: string): number[][] {
  const m = new RegExp(`^${name} = np\\.array\\((\\[\\[.*\\]\\]), dtype=np\\.int64\\)$`, 'm').exec(snippet);
  if (!m) throw new Error(`no ${name} = np.array([[...]], dtype=np.int64) in the snippet:\n${snippet}`);
  return JSON.parse(m[1]!) as number[][];
}

/** The last line a script printed (the snippet may print before the line the test appends). */
const lastLine = (printed: string) => printed.trimEnd().split('\n').at(-1)!;

const idsTensor = (rows: number[][]) =>
  new Tensor(Int32Array.from(rows.flat()), [rows.length, rows[0]!.length], 'int32');
const lengthsOf = (rows: number[][]) => rows.map((row) => row.filter((id) => id !== 0).length);

/** attn's class probabilities and pooling weights of right-padded id rows. */
async function attnClassify(run: string, rows: number[][]) {
  const built = await loadBuilt(run);
  if (built.task !== 'classify') throw new Error('expected a classifier');
  return noGrad(() => {
    const { logits, weights } = built.model.forward(idsTensor(rows), lengthsOf(rows));
    return { probabilities: Array.from(softmax(logits, -1).data), weights: Array.from(weights.data) };
  });
}

describe("the ONNX export's snippets", () => {
  let root: string;
  const runs: Record<string, string> = {};
  const exports: Record<string, string> = {};

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'attn-onnx-snippets-'));
    // Where the Node snippets' `import 'onnxruntime-node'` resolves from the exports below root.
    await symlink(NODE_MODULES, join(root, 'node_modules'), 'dir');
    // `sentiment-onnx` is the directory docs/deploy.md's snippet names.
    for (const [name, arch, overrides, steps] of [
      ['transformer', 'transformer', {}, 60],
      ['luong', 'gru-luong', { bidirectional: true }, 60],
      ['bahdanau', 'gru-bahdanau', {}, 60],
      ['classifier', 'transformer-cls', {}, 6],
      ['sentiment', 'bigru-attention', {}, 6],
    ] as [string, Architecture, Record<string, boolean>, number][]) {
      runs[name] = join(root, `${name}-run`);
      exports[name] = join(root, `${name}-onnx`);
      await tinyCheckpoint(arch, runs[name], 5, overrides, steps);
      await mkdir(exports[name]);
      await exportOnnx(runs[name], exports[name]);
    }
  }, 60_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  describe.skipIf(skipWithoutPython('onnx-snippets.test.ts', 'numpy'))(
    'Python (ONNX Runtime through onnxruntime-node)',
    () => {
      for (const name of ['transformer', 'luong', 'bahdanau']) {
        it.concurrent(`the README's greedy decoding (${name}) gives attn's tokens`, async () => {
          const dir = exports[name]!;
          const snippet = ortBlock(await readFile(join(dir, 'README.md'), 'utf8'), `${name} README.md`);
          // The snippet ends with print(output): a list of id lists, which Python prints as JSON.
          const printed = await runWithShim(snippet, dir);
          const src = idRows(snippet, 'src');
          const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as OnnxExportConfig;
          const built = await loadBuilt(runs[name]!);
          if (built.task !== 'translate') throw new Error('expected a translation model');
          const greedy = noGrad(() =>
            greedyDecode(built.model.stepper(idsTensor(src), lengthsOf(src)), {
              sos: config.sosId!,
              eos: config.eosId!,
              maxLength: config.maxDecodeLength!,
            }),
          );
          const want = greedy.map((h) => h.tokens);
          expect(JSON.parse(printed), name).toEqual(want);
          // The tiny models have learnt enough to write tokens, so the comparison is not of empty rows.
          expect(want.flat().length).toBeGreaterThan(0);
        });
      }

      it.concurrent(
        "the README's classifier snippet gives attn's probabilities and attention weights",
        async () => {
          const dir = exports.classifier!;
          const snippet = ortBlock(await readFile(join(dir, 'README.md'), 'utf8'), 'classifier README.md');
          const printed = await runWithShim(
            `${snippet}\nimport json; print(json.dumps([probabilities.tolist(), attention_weights.tolist()]))\n`,
            dir,
          );
          const [probabilities, weights] = JSON.parse(lastLine(printed)) as [number[][], number[][]];
          const rows = idRows(snippet, 'ids');
          const want = await attnClassify(runs.classifier!, rows);
          expect(probabilities.map((r) => r.length)).toEqual(rows.map(() => 2));
          expect(weights.map((r) => r.length)).toEqual(rows.map((r) => r.length));
          expect(maxDiff(probabilities.flat(), want.probabilities)).toBeLessThanOrEqual(TOLERANCE);
          expect(maxDiff(weights.flat(), want.weights)).toBeLessThanOrEqual(TOLERANCE);
        },
      );

      it.concurrent("docs/deploy.md's snippet gives attn's probabilities and attention weights", async () => {
        const snippet = ortBlock(await readFile(DEPLOY, 'utf8'), 'docs/deploy.md');
        expect(snippet).toContain('"sentiment-onnx/model.onnx"');
        // Run beside sentiment-onnx/, the directory the snippet reads.
        const printed = await runWithShim(
          `${snippet}\nimport json; print(json.dumps([probabilities.tolist(), weights.tolist()]))\n`,
          root,
        );
        const [probabilities, weights] = JSON.parse(lastLine(printed)) as [number[][], number[][]];
        const rows = idRows(snippet, 'ids');
        const want = await attnClassify(runs.sentiment!, rows);
        expect(weights.map((r) => r.length)).toEqual(rows.map((r) => r.length));
        expect(maxDiff(probabilities.flat(), want.probabilities)).toBeLessThanOrEqual(TOLERANCE);
        expect(maxDiff(weights.flat(), want.weights)).toBeLessThanOrEqual(TOLERANCE);
      });

      it.concurrent(
        'the shim raises on what it does not implement, and orders outputs as asked',
        async () => {
          const printed = await runWithShim(
            `
import numpy as np, onnxruntime as ort
ids = np.array([[4, 9, 7], [5, 6, 0]], dtype=np.int64)
feeds = {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64)}
session = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
cases = {
    "cuda": lambda: ort.InferenceSession("model.onnx", providers=["CUDAExecutionProvider", "CPUExecutionProvider"]),
    "sess_options": lambda: ort.InferenceSession("model.onnx", object()),
    "provider_options": lambda: ort.InferenceSession("model.onnx", provider_options=[{}]),
    "other": lambda: ort.InferenceSession("model.onnx", disabled_optimizers=["x"]),
    "bytes": lambda: ort.InferenceSession(open("model.onnx", "rb").read()),
    "run_options": lambda: session.run(None, feeds, object()),
    "missing": lambda: session.run(None, {"input_ids": ids}),
    "extra": lambda: session.run(None, {**feeds, "token_type_ids": ids}),
    "unknown_output": lambda: session.run(["scores"], feeds),
    "int32": lambda: session.run(None, {**feeds, "input_ids": ids.astype(np.int32)}),
    "list": lambda: session.run(None, {**feeds, "input_ids": ids.tolist()}),
    "shape": lambda: session.run(None, {**feeds, "attention_mask": np.ones((2, 4), np.int64)}),
}
raised = {}
for name, case in cases.items():
    try:
        case()
        raised[name] = None
    except Exception as e:
        raised[name] = type(e).__name__
weights, probabilities = session.run(["attention_weights", "probabilities"], feeds)
outputs = session.run(None, feeds)
import json
print(json.dumps({"raised": raised, "asked": [list(weights.shape), list(probabilities.shape)],
                  "all": [o.name for o in session.get_outputs()], "shapes": [list(o.shape) for o in outputs],
                  "inputs": [i.name for i in session.get_inputs()]}))
`,
            exports.classifier!,
          );
          const result = JSON.parse(printed) as {
            raised: Record<string, string | null>;
            asked: number[][];
            all: string[];
            shapes: number[][];
            inputs: string[];
          };
          expect(result.raised).toEqual({
            cuda: 'NotImplementedError',
            sess_options: 'NotImplementedError',
            provider_options: 'NotImplementedError',
            other: 'NotImplementedError',
            bytes: 'NotImplementedError',
            run_options: 'NotImplementedError',
            missing: 'ValueError',
            extra: 'ValueError',
            unknown_output: 'ValueError',
            int32: 'TypeError',
            list: 'TypeError',
            shape: 'RuntimeError',
          });
          expect(result.asked).toEqual([
            [2, 3],
            [2, 2],
          ]);
          expect(result.inputs).toEqual(['input_ids', 'attention_mask']);
          expect(result.all).toEqual(['logits', 'probabilities', 'attention_weights']);
          expect(result.shapes).toEqual([
            [2, 2],
            [2, 2],
            [2, 3],
          ]);
        },
      );
    },
  );

  describe('Node (onnxruntime-node)', () => {
    it.concurrent(
      "the README's classifier snippet gives attn's probabilities and attention weights",
      async () => {
        const dir = exports.classifier!;
        const snippet = ortBlock(
          await readFile(join(dir, 'README.md'), 'utf8'),
          'classifier README.md',
          'js',
        );
        const printed = await runNode(
          `${snippet}\nconsole.log(JSON.stringify([Array.from(out.probabilities.data), Array.from(out.attention_weights.data)]));\n`,
          dir,
        );
        const [probabilities, weights] = JSON.parse(lastLine(printed)) as [number[], number[]];
        const want = await attnClassify(runs.classifier!, jsIdRows(snippet));
        expect(maxDiff(probabilities, want.probabilities)).toBeLessThanOrEqual(TOLERANCE);
        expect(maxDiff(weights, want.weights)).toBeLessThanOrEqual(TOLERANCE);
      },
    );

    it.concurrent("docs/deploy.md's snippet gives attn's probabilities", async () => {
      const snippet = ortBlock(await readFile(DEPLOY, 'utf8'), 'docs/deploy.md', 'js');
      expect(snippet).toContain("'sentiment-onnx/model.onnx'");
      const printed = await runNode(
        `${snippet}\nconsole.log(JSON.stringify(Array.from(probabilities.data)));\n`,
        root,
      );
      const want = await attnClassify(runs.sentiment!, jsIdRows(snippet));
      expect(maxDiff(JSON.parse(lastLine(printed)) as number[], want.probabilities)).toBeLessThanOrEqual(
        TOLERANCE,
      );
    });
  });
});
