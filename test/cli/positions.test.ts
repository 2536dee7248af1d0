// attn train --positions: the choice reaches the checkpoint's config and comes back in translate and classify;
// bad values and architectures without it are usage errors.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attn, tempDir } from './run-cli.js';

const tmp = tempDir('positions');
afterAll(tmp.cleanup);

/** The model config a run's latest checkpoint saved. */
function savedConfig(run: string): Record<string, unknown> {
  const latest = JSON.parse(readFileSync(join(run, 'latest.json'), 'utf8')) as { latest: string };
  const config = JSON.parse(readFileSync(join(run, latest.latest, 'config.json'), 'utf8')) as {
    model: Record<string, unknown>;
  };
  return config.model;
}

const TINY_TRANSFORMER = ['--d-model', '8', '--heads', '2', '--layers', '1', '--ff-dim', '8', '--quiet'];

describe('attn train --positions', () => {
  it.concurrent.each([
    [
      ['--positions', 'rope'],
      '--positions does not apply to --arch gru-bahdanau (only to transformer, transformer-cls)',
    ],
    [
      ['--arch', 'transformer', '--positions', 'absolute'],
      "--positions must be one of sinusoidal, learned, rope, alibi, relative, got 'absolute'",
    ],
    [
      ['--arch', 'transformer', '--positions', 'relative', '--max-relative-distance', '0'],
      "--max-relative-distance must be an integer in [1, 1024], got '0'",
    ],
    [
      ['--arch', 'transformer', '--positions', 'rope', '--max-relative-distance', '4'],
      'maxRelativeDistance 4 applies to positions relative only (positions is rope)',
    ],
  ])('%j is a usage error', async (args, message) => {
    const r = await attn(['train', '--builtin', 'reversal', '--out', join(tmp.dir, 'never'), ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('a Transformer with RoPE: trained, checkpointed with its positions, translating', async () => {
    const run = join(tmp.dir, 'rope');
    const train = await attn([
      'train',
      '--arch',
      'transformer',
      '--builtin',
      'reversal',
      '--count',
      '40',
      ...TINY_TRANSFORMER,
      '--positions',
      'rope',
      '--max-steps',
      '2',
      '--out',
      run,
    ]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    expect(savedConfig(run)).toMatchObject({ positions: 'rope', maxRelativeDistance: 16 });
    const r = await attn(['translate', '--checkpoint', run, '--max-length', '4', 'a b c']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(2);
  });

  it('a Transformer classifier with relative positions: trained, checkpointed, classifying', async () => {
    const data = join(tmp.dir, 'reviews.tsv');
    const rows = ['a good film\tpos', 'great acting\tpos', 'a bad film\tneg', 'awful acting\tneg'];
    writeFileSync(data, ['sentence\tlabel', ...rows, ...rows].join('\n') + '\n');
    const run = join(tmp.dir, 'relative');
    const train = await attn([
      'train',
      '--arch',
      'transformer-cls',
      '--data',
      data,
      ...TINY_TRANSFORMER,
      '--positions',
      'relative',
      '--max-relative-distance',
      '3',
      '--max-steps',
      '2',
      '--out',
      run,
    ]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    expect(savedConfig(run)).toMatchObject({ positions: 'relative', maxRelativeDistance: 3 });
    const c = await attn(['classify', '--checkpoint', run, 'good film']);
    expect(['pos\n', 'neg\n']).toContain(c.stdout);
  });
});
