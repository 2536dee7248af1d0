// attn train --task classify → classify → eval on a tiny labelled file, as a user runs them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attn, tempDir } from './run-cli.js';

const tmp = tempDir('classify');
afterAll(tmp.cleanup);
const data = join(tmp.dir, 'reviews.tsv');
const csv = join(tmp.dir, 'reviews.csv');
const run = join(tmp.dir, 'cls');

const GOOD = ['a good film', 'great acting', 'good and fun', 'a great plot', 'fun film', 'really good'];
const BAD = ['a bad film', 'awful acting', 'bad and dull', 'an awful plot', 'dull film', 'really bad'];
const TINY = ['--embedding-dim', '8', '--hidden-size', '8', '--batch-size', '4', '--lr', '0.05', '--quiet'];

beforeAll(async () => {
  const rows = GOOD.map((t) => `${t}\tpos`).concat(BAD.map((t) => `${t}\tneg`));
  writeFileSync(data, ['sentence\tlabel', ...rows, ...rows].join('\n') + '\n');
  writeFileSync(
    csv,
    ['text,label', ...GOOD.map((t) => `"${t}",pos`), ...BAD.map((t) => `"${t}",neg`)].join('\n') + '\n',
  );
  const r = await attn([
    'train',
    '--task',
    'classify',
    '--data',
    data,
    '--epochs',
    '6',
    ...TINY,
    '--out',
    run,
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(
    /^bigru-attention: completed at step \d+, 6 epochs done\ndev: loss [\d.]+ {2}accuracy [\d.]+ {2}macroF1 [\d.]+\n/,
  );
});

describe('attn train → classify → eval (classification)', () => {
  it('classifies arguments and stdin lines, in order, with labels the file used', async () => {
    const args = await attn(['classify', '--checkpoint', run, 'a good film', 'a bad film']);
    expect(args.code).toBe(0);
    const labels = args.stdout.split('\n');
    expect(labels.slice(0, 2).every((l) => l === 'pos' || l === 'neg')).toBe(true);
    const stdin = await attn(['classify', '--checkpoint', run], { input: 'a good film\n\na bad film' });
    expect(stdin.stdout).toBe(`${labels[0]}\n\n${labels[1]}\n`);
    const json = await attn(['classify', '--checkpoint', run, '--json', 'great fun film']);
    const r = JSON.parse(json.stdout) as {
      input: string;
      tokens: string[];
      labels: string[];
      probabilities: number[];
      weights: number[];
    };
    expect(r.input).toBe('great fun film');
    expect(r.tokens).toEqual(['great', 'fun', 'film']);
    expect(r.labels).toEqual(['neg', 'pos']);
    expect(r.weights).toHaveLength(3);
    expect(r.probabilities[0]! + r.probabilities[1]!).toBeCloseTo(1, 5);
  });

  it('learns the tiny task, and eval scores it from TSV and CSV alike', async () => {
    const tsv = await attn(['eval', '--checkpoint', run, '--data', data, '--json']);
    expect(tsv.code).toBe(0);
    const m = JSON.parse(tsv.stdout) as Record<string, number>;
    expect(m.examples).toBe(24);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.9);
    const fromCsv = JSON.parse(
      (await attn(['eval', '--checkpoint', run, '--data', csv, '--json'])).stdout,
    ) as Record<string, number>;
    expect(fromCsv.examples).toBe(12);
    expect(fromCsv.accuracy).toBeCloseTo(m.accuracy!, 10);
  });

  it('trains a Transformer classifier', async () => {
    const dir = join(tmp.dir, 'tcls');
    const r = await attn([
      'train',
      '--arch',
      'transformer-cls',
      '--data',
      data,
      '--d-model',
      '8',
      '--heads',
      '2',
      '--ff-dim',
      '16',
      '--layers',
      '1',
      '--max-steps',
      '3',
      '--quiet',
      '--out',
      dir,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^transformer-cls: completed at step 3/);
    const c = await attn(['classify', '--checkpoint', dir, 'good']);
    expect(['pos\n', 'neg\n']).toContain(c.stdout);
  });
});
