// The ONNX export checked by ONNX Runtime: for every architecture (and the variants of its config that change
// the graph), tiny trained checkpoints exported and run in onnxruntime-node give attn's outputs to 1e-4 on random
// right-padded batches: class probabilities and pooling weights; encoder outputs, each decoding step's
// log-probabilities and attention weights; and greedy translations of 50 sentences token for token.
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greedyDecode } from '../../src/decode/greedy.js';
import { exportOnnx, type OnnxExportConfig } from '../../src/export/onnx/index.js';
import { modelProto } from '../../src/export/onnx/schema.js';
import type { Architecture } from '../../src/models/registry.js';
import { softmax } from '../../src/tensor/ops/index.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { tinyCheckpoint } from '../serve/checkpoints.js';
import {
  initialFeeds,
  int64,
  loadBuilt,
  maskOf,
  maxDiff,
  nextFeeds,
  ort,
  randomBatch,
  randomInts,
  tempDir,
} from './onnx-helpers.js';

const TOLERANCE = 1e-4;
/** Enough training that the translation models write a few tokens before <eos>. */
const TRAINING_STEPS = 60;

interface Case {
  name: string;
  arch: Architecture;
  overrides?: Record<string, number | string | boolean>;
}

const CASES: Case[] = [
  { name: 'gru-bahdanau', arch: 'gru-bahdanau' },
  {
    name: 'gru-bahdanau (BiGRU, 2 layers)',
    arch: 'gru-bahdanau',
    overrides: { bidirectional: true, numLayers: 2 },
  },
  { name: 'gru-luong (general)', arch: 'gru-luong' },
  { name: 'gru-luong (concat, 2 layers)', arch: 'gru-luong', overrides: { score: 'concat', numLayers: 2 } },
  {
    name: 'gru-luong (dot, no input feeding)',
    arch: 'gru-luong',
    overrides: { score: 'dot', inputFeeding: false },
  },
  { name: 'gru-luong (BiGRU)', arch: 'gru-luong', overrides: { bidirectional: true } },
  { name: 'transformer (pre-norm)', arch: 'transformer' },
  { name: 'transformer (post-norm)', arch: 'transformer', overrides: { normFirst: false } },
  { name: 'bigru-attention', arch: 'bigru-attention' },
  { name: 'bigru-attention (2 layers)', arch: 'bigru-attention', overrides: { numLayers: 2 } },
  { name: 'transformer-cls', arch: 'transformer-cls' },
];

let root: string;
beforeAll(async () => {
  root = await tempDir('parity');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function exported(c: Case, index: number) {
  const run = join(root, `run-${index}`);
  const out = join(root, `out-${index}`);
  await tinyCheckpoint(c.arch, run, 3 + index, c.overrides ?? {}, TRAINING_STEPS);
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  const files = await exportOnnx(run, out);
  const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as OnnxExportConfig;
  const built = await loadBuilt(run);
  const session = (file: string) => ort.InferenceSession.create(join(out, file), { intraOpNumThreads: 1 });
  return { run, out, files, config, built, session };
}

describe('ONNX export checked by ONNX Runtime', () => {
  CASES.forEach((c, index) => {
    it(`${c.name}: ONNX Runtime gives attn's outputs`, async () => {
      const { out, files, config, built, session } = await exported(c, index);
      expect((await readdir(out)).sort()).toEqual([...files].sort());
      expect(config.opset).toBe(17);
      // Each graph states IR version 8 and opset 17, and its initializers are attn's parameters under their
      // state-dict names (plus the positional tables, and the small constants the graph builder names const_*).
      const stateDict = new Set(built.model.namedParameters().map(([name]) => name));
      const seen = new Set<string>();
      for (const file of files.filter((f) => f.endsWith('.onnx'))) {
        const proto = modelProto().toObject(modelProto().decode(await readFile(join(out, file))), {
          longs: Number,
        }) as {
          ir_version: number;
          opset_import: { version: number }[];
          graph: { initializer: { name: string }[] };
        };
        expect(proto.ir_version, file).toBe(8);
        expect(
          proto.opset_import.map((o) => o.version),
          file,
        ).toEqual([17]);
        for (const { name } of proto.graph.initializer) {
          if (/^const_\d+$/.test(name) || name.endsWith('.pe')) continue;
          expect(stateDict.has(name), `${file}: initializer ${name}`).toBe(true);
          seen.add(name);
        }
      }
      // Every parameter is in some graph.
      expect([...stateDict].filter((name) => !seen.has(name))).toEqual([]);
      const rand = randomInts(100 + index);
      if (built.task === 'classify') {
        expect(files).toContain('model.onnx');
        const model = await session('model.onnx');
        const vocab = built.model.vocabSize;
        for (let trial = 0; trial < 4; trial++) {
          const { ids, lengths } = randomBatch(rand, 6, 7, vocab);
          const want = noGrad(() => built.model.forward(ids, lengths));
          const got = await model.run({
            input_ids: int64(ids.data, [...ids.shape]),
            attention_mask: maskOf(ids),
          });
          const probs = noGrad(() => softmax(want.logits, -1));
          expect(maxDiff(got.probabilities!.data as Float32Array, probs.data)).toBeLessThanOrEqual(TOLERANCE);
          expect(maxDiff(got.logits!.data as Float32Array, want.logits.data)).toBeLessThanOrEqual(TOLERANCE);
          expect(maxDiff(got.attention_weights!.data as Float32Array, want.weights.data)).toBeLessThanOrEqual(
            TOLERANCE,
          );
        }
        return;
      }
      expect(files).toEqual(
        expect.arrayContaining(['encoder.onnx', 'decoder_step.onnx', 'tokenizers.json', 'README.md']),
      );
      const encoder = await session('encoder.onnx');
      const step = await session('decoder_step.onnx');
      const model = built.model;
      const vocab = (model as unknown as { srcVocabSize: number }).srcVocabSize;
      const maxLength = 12;
      // 50 sentences in batches of 10 and 50 at once (much padding).
      const sentences = randomBatch(rand, 50, 7, vocab, true);
      for (const size of [10, 50]) {
        for (let start = 0; start < 50; start += size) {
          const rows = sentences.rows.slice(start, start + size);
          const width = Math.max(...rows.map((r) => r.length));
          const data = new Int32Array(rows.length * width);
          rows.forEach((r, b) => data.set(r, b * width));
          const ids = new Tensor(data, [rows.length, width], 'int32');
          const lengths = rows.map((r) => r.length);
          const B = rows.length;
          const mask = maskOf(ids);
          const enc = await encoder.run({ input_ids: int64(ids.data, [B, width]), attention_mask: mask });
          // Both kinds of translation model have encode(src, padding).memory [B, S, D].
          const encodable = model as unknown as {
            encode(src: Tensor, padding: number[]): { memory: Tensor };
          };
          const memory = noGrad(() => encodable.encode(ids, lengths).memory);
          expect(
            maxDiff(enc.last_hidden_state!.data as Float32Array, memory.data),
            'encoder outputs',
          ).toBeLessThanOrEqual(TOLERANCE);

          // attn's greedy translations.
          const greedy = noGrad(() =>
            greedyDecode(model.stepper(ids, lengths), { sos: 1, eos: 2, maxLength }),
          );
          // ORT's, stepping attn's stepper alongside on the same tokens.
          const stepper = model.stepper(ids, lengths);
          let state = stepper.start(1);
          let feeds: Record<string, ort.Tensor> = {
            ...initialFeeds(config, enc, B),
            encoder_attention_mask: mask,
          };
          let tokens = Array<number>(B).fill(1);
          const output: number[][] = rows.map(() => []);
          const done = Array<boolean>(B).fill(false);
          for (let t = 0; t < maxLength && !done.every(Boolean); t++) {
            const got = await step.run({ ...feeds, input_ids: int64(tokens, [B, 1]) });
            const want = stepper.step(Int32Array.from(tokens), state);
            state = want.state;
            const lp = got.log_probs!.data as Float32Array;
            expect(maxDiff(lp, want.logProbs.data), `log-probs at step ${t}`).toBeLessThanOrEqual(TOLERANCE);
            const weights = (got.attention_weights ?? got.cross_attentions)!.data as Float32Array;
            expect(maxDiff(weights, want.attention!.data), `attention at step ${t}`).toBeLessThanOrEqual(
              TOLERANCE,
            );
            const V = lp.length / B;
            tokens = tokens.map((_, b) => {
              let best = 0;
              for (let v = 1; v < V; v++) if (lp[b * V + v]! > lp[b * V + best]!) best = v;
              return best;
            });
            tokens.forEach((id, b) => {
              if (done[b]) return;
              if (id === 2) done[b] = true;
              else output[b]!.push(id);
            });
            feeds = nextFeeds(feeds, got);
          }
          expect(output.flat().length, 'tokens generated').toBeGreaterThan(B);
          expect(output, `greedy translations of batch ${start}/${size}`).toEqual(
            greedy.map((h) => h.tokens),
          );
        }
      }
    });
  });
});
