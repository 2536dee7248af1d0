// The PyTorch export's README run as a user runs it, in the export directory with Debian's /usr/bin/python3 and
// torch: the `python3 model.py "…"` line of its ```sh block and every ```python block, as written, for a
// translation (Transformer) and a classification (BiGRU + attention) export. Each prints attn's prediction for
// the same input: the greedy translation's text, or the label and its probability (to 1e-4; model.py prints it to
// 4 decimals). Skipped, like the other torch tests, only where torch is missing and ATTN_REQUIRE_TORCH is not set.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPyTorch } from '../../src/export/pytorch/index.js';
import { loadPredictor } from '../../src/inference/node/load-predictor.js';
import type { BatchPredictor } from '../../src/inference/predictor.js';
import { tinyCheckpoint } from '../serve/checkpoints.js';
import { fencedBlocks, runPythonCommand, runPythonScript } from './snippets.js';
import { skipWithoutTorch } from './torch-python.js';

interface Exported {
  dir: string;
  readme: string;
  predictor: BatchPredictor;
}

/** Python's repr of a str without quotes or backslashes (all the tiny models' outputs are such). */
function pythonRepr(text: string): string {
  if (/['"\\]/.test(text)) throw new Error(`pythonRepr: ${JSON.stringify(text)} needs escaping`);
  return `'${text}'`;
}

/** The texts of the snippet's `greedy_translate(model, [...])` or `classify(model, [...])` call. */
function textsOf(block: string): { helper: 'greedy_translate' | 'classify'; texts: string[] } {
  const call = /\b(greedy_translate|classify)\(model, (\[[^\]]*\])\)/.exec(block);
  if (!call) throw new Error(`no greedy_translate or classify call in the block:\n${block}`);
  return { helper: call[1] as 'greedy_translate' | 'classify', texts: JSON.parse(call[2]!) as string[] };
}

/** The `python3 model.py "…"` lines of the README's ```sh blocks. */
const modelPyLines = (readme: string) =>
  fencedBlocks(readme, 'sh')
    .flatMap((block) => block.split('\n'))
    .filter((line) => line.startsWith('python3 model.py '));

describe.skipIf(skipWithoutTorch('pytorch-readme.test.ts'))("the PyTorch export README's commands", () => {
  let root: string;
  const exports = new Map<'translate' | 'classify', Exported>();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'attn-pytorch-readme-'));
    for (const [task, arch, steps] of [
      ['translate', 'transformer', 60],
      ['classify', 'bigru-attention', 6],
    ] as const) {
      const run = join(root, `${task}-run`);
      const dir = join(root, `${task}-export`);
      await tinyCheckpoint(arch, run, 5, {}, steps);
      await mkdir(dir);
      await exportPyTorch(run, dir);
      exports.set(task, {
        dir,
        readme: await readFile(join(dir, 'README.md'), 'utf8'),
        predictor: await loadPredictor(run),
      });
    }
  }, 60_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it.concurrent('translation: python3 model.py prints the greedy translation of its argument', async () => {
    const { dir, readme, predictor } = exports.get('translate')!;
    const lines = modelPyLines(readme);
    expect(lines).toHaveLength(1);
    const text = /^python3 model\.py "([^"]*)"$/.exec(lines[0]!)![1]!;
    const printed = await runPythonCommand(lines[0]!, { cwd: dir });
    expect(printed).toBe(`${predictor.translateBatch([text])[0]!.hypotheses[0]!.text}\n`);
  });

  it.concurrent('translation: every python block prints the greedy translations of its sources', async () => {
    const { dir, readme, predictor } = exports.get('translate')!;
    const blocks = fencedBlocks(readme, 'python');
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      const { helper, texts } = textsOf(block);
      expect(helper).toBe('greedy_translate');
      const printed = await runPythonScript(block, { cwd: dir });
      const want = predictor.translateBatch(texts).map((r) => pythonRepr(r.hypotheses[0]!.text));
      expect(printed).toBe(`[${want.join(', ')}]\n`);
    }
  });

  it.concurrent('classification: python3 model.py prints the label and its probability', async () => {
    const { dir, readme, predictor } = exports.get('classify')!;
    const lines = modelPyLines(readme);
    expect(lines).toHaveLength(1);
    const text = /^python3 model\.py "([^"]*)"$/.exec(lines[0]!)![1]!;
    const printed = await runPythonCommand(lines[0]!, { cwd: dir });
    const [label, probability] = printed.trimEnd().split('\t');
    const want = predictor.classifyBatch([text])[0]!;
    expect(label).toBe(want.label);
    expect(probability).toMatch(/^\d\.\d{4}$/);
    const p = want.probabilities[want.labels.indexOf(want.label)]!;
    expect(Math.abs(Number(probability) - p)).toBeLessThanOrEqual(5e-5 + 1e-6);
  });

  it.concurrent('classification: every python block prints each text’s label and probability', async () => {
    const { dir, readme, predictor } = exports.get('classify')!;
    const blocks = fencedBlocks(readme, 'python');
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      const { helper, texts } = textsOf(block);
      expect(helper).toBe('classify');
      const printed = await runPythonScript(block, { cwd: dir });
      // Python's repr of [(label, probability), ...].
      const got = [...printed.matchAll(/\('([^']*)', ([-+\d.e]+)\)/g)].map(
        (m) => [m[1]!, Number(m[2])] as const,
      );
      const want = predictor.classifyBatch(texts);
      expect(got.map(([label]) => label)).toEqual(want.map((r) => r.label));
      got.forEach(([, p], i) => {
        const r = want[i]!;
        expect(Math.abs(p - r.probabilities[r.labels.indexOf(r.label)]!)).toBeLessThanOrEqual(1e-4);
      });
    }
  });
});
