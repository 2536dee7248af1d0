// Checkpoints written by `attn train` at ecf897c, before the per-architecture configs (one tiny run per
// architecture, made with `--max-steps 2`; the classifiers trained on fixtures/main-checkpoints/classify.tsv).
// Each must still load, and give the outputs recorded then. expected-js.json holds the outputs on the JS
// backend (the oracle, the same bits on every machine): they are compared exactly there; on the installed
// backend (native kernels sum in another order) the tokens and labels must match and the numbers be close.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  getBackend,
  jsBackend,
  loadCheckpoint,
  loadPredictor,
  predictorFromCheckpoint,
  setBackend,
  type Architecture,
} from '../../src/node.js';

const DIR = join(import.meta.dirname, 'fixtures', 'main-checkpoints');
const ARCHITECTURES: Architecture[] = [
  'gru-bahdanau',
  'gru-luong',
  'transformer',
  'bigru-attention',
  'transformer-cls',
];

interface TranslationRecord {
  text: string;
  sourceTokens: string[];
  tokens: string[];
  logProb: number;
  attention: number[][][][];
}
interface ClassificationRecord {
  text: string;
  tokens: string[];
  label: string;
  probabilities: number[];
  weights: number[];
}
type Recorded = Record<Architecture, (TranslationRecord | ClassificationRecord)[]>;

const expected = JSON.parse(readFileSync(join(DIR, 'expected-js.json'), 'utf8')) as Recorded;

/** What the run directory's model gives for the recorded inputs, in the recorded form. */
async function outputs(architecture: Architecture): Promise<(TranslationRecord | ClassificationRecord)[]> {
  const predictor = await loadPredictor(join(DIR, architecture));
  return expected[architecture].map(({ text }) => {
    if (predictor.info.task === 'translate') {
      const result = predictor.translate(text, { maxLength: 6 });
      const best = result.hypotheses[0]!;
      return {
        text,
        sourceTokens: result.sourceTokens,
        tokens: best.tokens,
        logProb: best.logProb,
        attention: best.attention.layers,
      };
    }
    const { tokens, label, probabilities, weights } = predictor.classify(text);
    return { text, tokens, label, probabilities, weights };
  });
}

/** Every number of `actual` within 1e-5 + 1e-4·|expected| of `expected`, and everything else equal. */
function expectClose(actual: unknown, want: unknown, path: string): void {
  if (typeof want === 'number') {
    expect(typeof actual, path).toBe('number');
    expect(Math.abs((actual as number) - want), path).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(want));
  } else if (Array.isArray(want)) {
    expect((actual as unknown[]).length, path).toBe(want.length);
    want.forEach((w, i) => expectClose((actual as unknown[])[i], w, `${path}[${i}]`));
  } else if (typeof want === 'object' && want !== null) {
    for (const [k, w] of Object.entries(want))
      expectClose((actual as Record<string, unknown>)[k], w, `${path}.${k}`);
  } else {
    expect(actual, path).toEqual(want);
  }
}

describe('checkpoints written before the per-architecture configs', () => {
  const installed = getBackend();
  afterEach(() => setBackend(installed));

  for (const architecture of ARCHITECTURES) {
    it(`${architecture}: loads and gives the recorded outputs on the JS backend, bit for bit`, async () => {
      setBackend(jsBackend);
      expect(await outputs(architecture)).toEqual(expected[architecture]);
    });

    it(`${architecture}: gives the recorded outputs on the installed backend`, async () => {
      expectClose(await outputs(architecture), expected[architecture], architecture);
    });
  }

  it('reads their former keys silently, and still rejects an unknown key naming the file', async () => {
    const snapshot = await loadCheckpoint(join(DIR, 'bigru-attention'));
    const config = snapshot.config as { model: Record<string, unknown> };
    expect(config.model.embedDim).toBe(4);
    expect((await loadPredictor(join(DIR, 'bigru-attention'))).info.config).toMatchObject({
      embeddingDim: 4,
    });
    const bad = { ...config, model: { ...config.model, colour: 'red' } };
    expect(() => predictorFromCheckpoint({ ...snapshot, config: bad })).toThrow(
      `${snapshot.source}/config.json: bigru-attention has no hyper-parameter "colour"`,
    );
  });
});
