// Fuzz: hostile config files and option sets given to the built `attn` command, each checked for the exit code
// README promises (2 for usage or a value out of range, 1 for a failure while running), one short message
// naming the file at fault, and no stack trace.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attn, tempDir } from '../cli/run-cli.js';

const tmp = tempDir('fuzz-options');
afterAll(() => tmp.cleanup());

const pairs = join(tmp.dir, 'pairs.tsv');
writeFileSync(pairs, 'a b\tc d\ne f\tg h\ni j\tk l\n');

interface CommandCase {
  name: string;
  args: string[];
  input?: string;
  code: 1 | 2;
  /** Text the message must contain (the file or option at fault). */
  says: string;
}

function config(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

describe('fuzz: command lines and config files', () => {
  const fifo = join(tmp.dir, 'config.fifo');
  execFileSync('mkfifo', [fifo]);
  const folder = join(tmp.dir, 'data-folder');
  mkdirSync(folder);
  const train = (...args: string[]): string[] => [
    'train',
    '--data',
    pairs,
    '--max-steps',
    '1',
    '--quiet',
    '--out',
    join(tmp.dir, 'run'),
    ...args,
  ];
  const deep = config('deep.json', `{"layers":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
  const huge = config(
    'huge.json',
    '{"hidden-size": 4096, "layers": 8, "bidirectional": true, "embedding-dim": 4096}',
  );
  const cases: CommandCase[] = [
    { name: 'config is /dev/zero', args: train('--config', '/dev/zero'), code: 2, says: '/dev/zero' },
    { name: 'config is a FIFO', args: train('--config', fifo), code: 2, says: fifo },
    { name: 'config nested 100k deep', args: train('--config', deep), code: 2, says: deep },
    { name: 'config asks for 50 GB', args: train('--config', huge), code: 2, says: 'memory' },
    {
      name: 'heads do not divide d-model',
      args: train('--arch', 'transformer', '--heads', '3', '--d-model', '10'),
      code: 2,
      says: 'nhead 3',
    },
    { name: 'max-line-tokens 0', args: train('--max-line-tokens', '0'), code: 2, says: '--max-line-tokens' },
    {
      name: 'data is /dev/zero',
      args: ['train', '--data', '/dev/zero', '--quiet', '--out', join(tmp.dir, 'r2')],
      code: 1,
      says: '/dev/zero',
    },
    {
      name: 'data is a directory',
      args: ['train', '--data', folder, '--quiet', '--out', join(tmp.dir, 'r3')],
      code: 1,
      says: folder,
    },
    {
      name: 'checkpoint is /dev/zero',
      args: ['translate', '--checkpoint', '/dev/zero', 'a'],
      code: 1,
      says: '/dev/zero',
    },
  ];

  it.each(cases)('$name', async ({ args, input, code, says }) => {
    const r = await attn(args, { input });
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(says);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr.length).toBeLessThan(4200);
  });
});
