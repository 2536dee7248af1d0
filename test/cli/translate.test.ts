// attn train → translate → eval on tiny settings, as a user runs them (child processes of the built command).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reversalTask } from '../../src/index.js';
import { attn, tempDir, TINY_REVERSAL } from './run-cli.js';

const tmp = tempDir('translate');
afterAll(tmp.cleanup);
const run = join(tmp.dir, 'rev');
const pairsFile = join(tmp.dir, 'pairs.tsv');

beforeAll(async () => {
  const { pairs } = reversalTask({ count: 30, seed: 99 });
  writeFileSync(pairsFile, pairs.map((p) => `${p.source}\t${p.target}`).join('\n') + '\n');
  const r = await attn(['train', ...TINY_REVERSAL, '--eval-every', '6', '--out', run]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(
    /^gru-bahdanau: completed at step 12, \d+ epochs done\ndev: loss [\d.]+ {2}tokenAccuracy [\d.]+ {2}exactMatch [\d.]+ {2}bleu [\d.]+ {2}chrf [\d.]+\ncheckpoint: .*step-00000012\n$/,
  );
});

describe('attn train → translate → eval (translation)', () => {
  it('writes checkpoints and a JSONL log with train, eval, checkpoint and end records', () => {
    expect(existsSync(join(run, 'latest.json'))).toBe(true);
    const records = readFileSync(join(run, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; step: number });
    const kinds = records.map((r) => r.kind);
    expect(kinds.filter((k) => k === 'eval').map((_, i) => i)).toHaveLength(2);
    expect(kinds[kinds.length - 1]).toBe('end');
    expect(records.filter((r) => r.kind === 'eval').map((r) => r.step)).toEqual([6, 12]);
  });

  it('translates arguments and stdin lines, one output line per input line, in order', async () => {
    const args = await attn(['translate', '--checkpoint', run, 'a b c', 'd e']);
    expect(args.code).toBe(0);
    const lines = args.stdout.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');

    const input = 'a b c\n\nd e\n';
    const stdin = await attn(['translate', '--checkpoint', run], { input });
    expect(stdin.code).toBe(0);
    const out = stdin.stdout.split('\n');
    // Same translations as the arguments gave; the blank line stays blank.
    expect(out).toEqual([lines[0], '', lines[1], '']);

    const json = await attn(['translate', '--checkpoint', run, '--json', '--beam', '3', '--n-best', '2'], {
      input,
    });
    expect(json.code).toBe(0);
    const objects = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects.map((o) => o.input)).toEqual(['a b c', '', 'd e']);
    const first = objects[0] as {
      sourceTokens: string[];
      hypotheses: { tokens: string[]; attention: { layers: number[][][][] } }[];
    };
    expect(first.sourceTokens).toEqual(['a', 'b', 'c', '<eos>']);
    expect(first.hypotheses).toHaveLength(2);
    expect(first.hypotheses[0]!.attention.layers[0]![0]![0]).toHaveLength(4);
  });

  it('samples with --sample: the same --seed gives the same translations', async () => {
    const args = ['translate', '--checkpoint', run, '--sample', '--temperature', '1.5', '--top-k', '5'];
    const input = 'a b c\nd e\nb a\n';
    const a = await attn([...args, '--top-p', '0.9', '--seed', '3'], { input });
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout.split('\n')).toHaveLength(4);
    expect((await attn([...args, '--top-p', '0.9', '--seed', '3'], { input })).stdout).toBe(a.stdout);
    // Seeds 1..6 do not all draw the same (the flattened distribution of an untrained model is wide).
    const outs = new Set<string>();
    for (const seed of ['1', '2', '3', '4', '5', '6'])
      outs.add((await attn([...args, '--seed', seed], { input })).stdout);
    expect(outs.size).toBeGreaterThan(1);
  });

  it('scores a pairs file with --json, and the same as text', async () => {
    const json = await attn(['eval', '--checkpoint', run, '--data', pairsFile, '--json']);
    expect(json.code).toBe(0);
    const m = JSON.parse(json.stdout) as Record<string, number | string>;
    expect(m.task).toBe('translate');
    expect(m.examples).toBe(30);
    expect(m.bleu).toBeGreaterThanOrEqual(0);
    expect(m.exactMatch).toBeGreaterThanOrEqual(0);
    for (const key of ['chrf', 'chrf++']) expect(m[key]).toBeGreaterThanOrEqual(0);
    const text = await attn(['eval', '--checkpoint', run, '--data', pairsFile, '--limit', '10']);
    expect(text.stdout).toMatch(
      /^examples 10\nbleu [\d.]+\nchrf [\d.]+\nchrf\+\+ [\d.]+\nexactMatch [\d.]+\n$/,
    );
  });

  it('ends on --time-budget with its own status, exit 0, a checkpoint and the end record saying so', async () => {
    const dir = join(tmp.dir, 'budget');
    const r = await attn([
      'train',
      ...TINY_REVERSAL,
      '--max-steps',
      '1000000',
      '--time-budget',
      '0.3',
      '--quiet',
      '--out',
      dir,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gru-bahdanau: time-budget at step (\d+), \d+ epochs done\ndev: loss /);
    const step = Number(/at step (\d+)/.exec(r.stdout)![1]);
    expect(r.stdout).toContain(`checkpoint: ${join(dir, `step-${String(step).padStart(8, '0')}`)}`);
    const records = readFileSync(join(dir, 'log.jsonl'), 'utf8').trimEnd().split('\n');
    expect(JSON.parse(records.at(-1)!)).toMatchObject({ kind: 'end', status: 'time-budget', step });
  });

  it('with only --time-budget, the progress lines follow the budget: no epoch or step total, ETA within it', async () => {
    const args = TINY_REVERSAL.filter(
      (a, i) => a !== '--quiet' && a !== '--max-steps' && TINY_REVERSAL[i - 1] !== '--max-steps',
    );
    const r = await attn([
      'train',
      ...args,
      '--time-budget',
      '0.5',
      '--log-every',
      '1',
      '--out',
      join(tmp.dir, 'budget-progress'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gru-bahdanau: time-budget at step \d+/);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('epoch'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines)
      expect(line).toMatch(/^epoch \d+ step \d+ loss [\d.]+ lr \S+ \S+ tok\/s ETA 0:0[01]$/);
  });

  it('resumes a run from its checkpoint, and refuses one with other settings', async () => {
    const dir = join(tmp.dir, 'resume');
    expect((await attn(['train', ...TINY_REVERSAL, '--max-steps', '4', '--out', dir])).code).toBe(0);
    const more = await attn(['train', '--out', dir, '--max-steps', '8', '--quiet']);
    expect(more.code).toBe(0);
    expect(more.stderr).toContain(`resuming the run in ${dir} at step 4`);
    expect(more.stdout).toMatch(/completed at step 8/);
    const before = readFileSync(join(dir, 'latest.json'), 'utf8');
    const other = await attn(['train', '--out', dir, '--arch', 'gru-luong', '--lr', '0.5']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(
      `attn: ${dir} holds a run with other settings: arch "gru-luong" (the run has "gru-bahdanau")`,
    );
    expect(other.stderr).toContain('lr 0.5 (the run has 0.01)');
    // Nothing written before is touched.
    expect(readFileSync(join(dir, 'latest.json'), 'utf8')).toBe(before);
  });

  it('trains gru-luong with the location score and an entmax normaliser, saved in its config', async () => {
    const dir = join(tmp.dir, 'location');
    const train = await attn([
      'train',
      '--arch',
      'gru-luong',
      '--score',
      'location',
      '--max-source-length',
      '12',
      '--normalizer',
      'entmax',
      '--entmax-alpha',
      '1.3',
      '--builtin',
      'reversal',
      '--count',
      '60',
      '--embedding-dim',
      '8',
      '--hidden-size',
      '8',
      '--max-steps',
      '2',
      '--quiet',
      '--out',
      dir,
    ]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const latest = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { latest: string };
    const config = JSON.parse(readFileSync(join(dir, latest.latest, 'config.json'), 'utf8')) as {
      model: Record<string, unknown>;
    };
    expect(config.model).toMatchObject({
      score: 'location',
      maxSourceLength: 12,
      normalizer: 'entmax',
      entmaxAlpha: 1.3,
    });
    const r = await attn(['translate', '--checkpoint', dir, '--max-length', '3', 'a b c']);
    expect(r.code).toBe(0);
    const long = await attn(['translate', '--checkpoint', dir, 'a b c d e f g h i j k l m n o p']);
    expect(long.code).not.toBe(0);
    expect(long.stderr).toContain(
      'LocationAttention: the source has 17 positions, more than maxSourceLength 12',
    );
    const wrong = await attn([
      'train',
      '--arch',
      'gru-luong',
      '--max-source-length',
      '12',
      '--builtin',
      'reversal',
      '--out',
      join(dir, 'x'),
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('maxSourceLength applies to the location score only, got score general');
  });

  it('trains and runs a Transformer, whose attention has layers and heads', async () => {
    const dir = join(tmp.dir, 'tf');
    const train = await attn([
      'train',
      '--arch',
      'transformer',
      '--builtin',
      'reversal',
      '--count',
      '100',
      '--d-model',
      '8',
      '--heads',
      '2',
      '--layers',
      '1',
      '--decoder-layers',
      '2',
      '--ff-dim',
      '16',
      '--max-steps',
      '4',
      '--quiet',
      '--out',
      dir,
    ]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const r = await attn(['translate', '--checkpoint', dir, '--json', '--max-length', '3', 'a b']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as {
      hypotheses: { tokens: string[]; attention: { layers: number[][][][] } }[];
    };
    const layers = result.hypotheses[0]!.attention.layers;
    expect(layers).toHaveLength(2);
    expect(layers[0]).toHaveLength(2);
    expect(result.hypotheses[0]!.tokens.length).toBeLessThanOrEqual(3);
  });
});
