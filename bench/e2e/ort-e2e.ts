/**
 * ONNX Runtime's side of the decoding benchmarks, run as a child process by bench/e2e/run-e2e.ts:
 *   node --import tsx bench/e2e/ort-e2e.ts [--quick] NAME   → one JSON line.
 * The decode benches' Transformer-base (the same weights attn decodes with, config.ts's DECODE) is exported with
 * `attn export`'s graphs (encoder.onnx, decoder_step.onnx) and run by onnxruntime-node on the CPU with as many
 * intra-op threads as attn uses: the encoder once, then one step per token with the past keys and values fed
 * back; beam search keeps DECODE.beam rows, reordering the self-attention cache after each step as attn's
 * beamSearch does. Only the cached decodes have a peer here (the export's step graph is the cached step).
 */
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { backendInfo } from '../../src/node.js';
import { onnxGraphs } from '../../src/export/onnx/index.js';
import { decodeModel } from './attn-e2e.js';
import { DECODE, E2E_UNITS, reps, tokenIds, type E2EName } from './config.js';

type Feeds = Record<string, ort.Tensor>;

const int64 = (values: ArrayLike<number>, dims: number[]) =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(Array.from(values), (v) => BigInt(v)),
    dims,
  );

/** Rows `rows` of a [B, ...] float tensor (row r of the result is row rows[r]). */
function pickRows(t: ort.Tensor, rows: readonly number[]): ort.Tensor {
  const data = t.data as Float32Array;
  const width = data.length / t.dims[0]!;
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(data.subarray(r * width, (r + 1) * width), i * width));
  return new ort.Tensor('float32', out, [rows.length, ...t.dims.slice(1)]);
}

async function sessions(threads: number) {
  const model = decodeModel();
  const graphs = onnxGraphs(model);
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  const [encoder, step] = await Promise.all(
    graphs.map((g) => ort.InferenceSession.create(g.graph.encode(g.doc), options)),
  );
  return { encoder: encoder!, step: step! };
}

/** One decode of the bench's source (encoding included) on 1 row (greedy) or DECODE.beam rows (beam search). */
async function decode(s: Awaited<ReturnType<typeof sessions>>, beam: boolean): Promise<number[]> {
  const src = tokenIds(DECODE.srcLen, DECODE.vocab, 5);
  const mask = int64(new Array<number>(DECODE.srcLen).fill(1), [1, DECODE.srcLen]);
  const enc = await s.encoder.run({ input_ids: int64(src, [1, DECODE.srcLen]), attention_mask: mask });
  const k = beam ? DECODE.beam : 1;
  const tile = Array<number>(k).fill(0);
  const d = DECODE.dModel / DECODE.heads;
  let feeds: Feeds = {
    encoder_attention_mask: int64(new Array<number>(k * DECODE.srcLen).fill(1), [k, DECODE.srcLen]),
  };
  for (let i = 0; i < DECODE.decoderLayers; i++) {
    for (const kv of ['key', 'value']) {
      feeds[`past_key_values.${i}.decoder.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [
        k,
        DECODE.heads,
        0,
        d,
      ]);
      const cross = enc[`present.${i}.encoder.${kv}`] as ort.Tensor;
      feeds[`past_key_values.${i}.encoder.${kv}`] = k === 1 ? cross : pickRows(cross, tile);
    }
  }
  // Beam state: each row's tokens and score; at the first step only row 0 is live (the others are copies).
  let tokens: number[][] = Array.from({ length: k }, () => []);
  let scores = Array.from({ length: k }, (_, r) => (r === 0 ? 0 : -Infinity));
  let last = Array<number>(k).fill(DECODE.sos);
  for (let t = 0; t < DECODE.steps; t++) {
    const out = await s.step.run({ ...feeds, input_ids: int64(last, [k, 1]) });
    const lp = out.log_probs!.data as Float32Array;
    const V = lp.length / k;
    // The k best (row, token) continuations; <eos> (id V, outside the vocabulary) never comes.
    const best: { score: number; row: number; token: number }[] = [];
    for (let r = 0; r < k; r++) {
      if (scores[r] === -Infinity) continue;
      for (let v = 0; v < V; v++) {
        const score = scores[r]! + lp[r * V + v]!;
        if (best.length < k || score > best[best.length - 1]!.score) {
          best.push({ score, row: r, token: v });
          best.sort((a, b) => b.score - a.score);
          if (best.length > k) best.pop();
        }
      }
    }
    const rows = best.map((b) => b.row);
    tokens = best.map((b) => [...tokens[b.row]!, b.token]);
    scores = best.map((b) => b.score);
    last = best.map((b) => b.token);
    const next: Feeds = { ...feeds };
    for (let i = 0; i < DECODE.decoderLayers; i++) {
      for (const kv of ['key', 'value']) {
        const present = out[`present.${i}.decoder.${kv}`] as ort.Tensor;
        next[`past_key_values.${i}.decoder.${kv}`] = k === 1 ? present : pickRows(present, rows);
      }
    }
    feeds = next;
  }
  return tokens[0]!;
}

async function run(name: E2EName, quick: boolean): Promise<number> {
  if (name !== 'decode_greedy_ms' && name !== 'decode_beam4_ms')
    throw new Error(`${name}: only the cached decodes have an ONNX Runtime peer`);
  const s = await sessions(backendInfo().threads);
  const beam = name === 'decode_beam4_ms';
  const { warmup, reps: count } = reps(name, quick, false);
  for (let i = 0; i < warmup; i++) await decode(s, beam);
  let best = Infinity;
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const out = await decode(s, beam);
    best = Math.min(best, performance.now() - t);
    if (out.length !== DECODE.steps) throw new Error('decode stopped early');
  }
  return best;
}

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--')) as E2EName;
const version = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string })
  .version;
const value = await run(name, args.includes('--quick'));
const impl = `onnxruntime-node ${version} (CPU, ${backendInfo().threads} threads)`;
process.stdout.write(`${JSON.stringify({ bench: name, value, unit: E2E_UNITS[name], impl })}\n`);
