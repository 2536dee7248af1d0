// Bad input to the attn command: each gives a clear message naming what to fix, a non-zero exit code (2 for
// usage, 1 for data and checkpoints), and leaves what was written before as it was.
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attn, tempDir, TINY_REVERSAL } from './run-cli.js';

const tmp = tempDir('bad');
afterAll(tmp.cleanup);
const run = join(tmp.dir, 'run');
const file = (name: string, text: string): string => {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(async () => {
  const r = await attn(['train', ...TINY_REVERSAL, '--max-steps', '2', '--out', run]);
  expect(r.code).toBe(0);
});

describe('usage errors exit 2 and name the option', () => {
  it.concurrent.each([
    [['train', '--nope'], "Unknown option '--nope'"],
    [['train', '--builtin', 'date'], '--out DIR is required'],
    [['train', '--out', 'x'], 'give one of --data FILE and --builtin date|reversal'],
    [
      ['train', '--builtin', 'date', '--out', 'x', '--hidden-size', '0'],
      "--hidden-size must be an integer in [1, 4096], got '0'",
    ],
    [
      ['train', '--builtin', 'date', '--out', 'x', '--dropout', '2'],
      "--dropout must be a number in [0, 0.9], got '2'",
    ],
    [
      ['train', '--builtin', 'date', '--out', 'x', '--lr', 'fast'],
      "--lr must be a number in (0, 10], got 'fast'",
    ],
    [
      ['train', '--builtin', 'date', '--out', 'x', '--heads', '2'],
      '--heads does not apply to --arch gru-bahdanau',
    ],
    [
      ['train', '--builtin', 'date', '--out', 'x', '--arch', 'lstm'],
      '--arch must be one of gru-bahdanau, gru-luong',
    ],
    [
      ['train', '--task', 'classify', '--arch', 'transformer', '--data', 'x', '--out', 'x'],
      '--arch transformer is a translate model, but --task is classify',
    ],
    [
      ['train', '--task', 'classify', '--builtin', 'date', '--out', 'x'],
      '--builtin date is a translation task',
    ],
    [['translate', 'hello'], '--checkpoint DIR is required'],
    [['translate', '--checkpoint', 'x', '--beam', '0'], "--beam must be an integer in [1, 64], got '0'"],
    [
      ['translate', '--checkpoint', 'x', '--beam', '2', '--n-best', '3'],
      '--n-best 3 needs --beam of at least 3',
    ],
    [['translate', '--checkpoint', 'x', '--top-p', '0.9', 'hi'], '--top-p applies only with --sample'],
    [['translate', '--checkpoint', 'x', '--seed', '1', 'hi'], '--seed applies only with --sample'],
    [
      ['translate', '--checkpoint', 'x', '--sample', '--beam', '4', 'hi'],
      '--sample draws one translation: it does not go with --beam',
    ],
    [
      ['translate', '--checkpoint', 'x', '--sample', '--top-p', '0'],
      "--top-p must be a number in (0, 1], got '0'",
    ],
    [
      ['translate', '--checkpoint', 'x', '--sample', '--temperature', '0'],
      "--temperature must be a number in (0, 100], got '0'",
    ],
    [['translate', '--checkpoint', 'x', '--sample', '--top-k', '1.5'], '--top-k must be an integer in [0, '],
    [['eval', '--checkpoint', 'x'], '--data FILE is required'],
    [['attention', '--checkpoint', 'x', '--out', 'a.jpg', 'hi'], 'use a .svg or .png file name'],
    [['plot', 'run'], '--out FILE.png|FILE.svg is required'],
    [['demo', '--time-budget', '0'], "--time-budget must be a number in (0, 86400], got '0'"],
  ])('attn %j', async (args, message) => {
    const r = await attn(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('rejects a --config file with an unknown option or bad JSON, naming the file', async () => {
    const unknown = file('unknown.json', '{"hidden-size": 8, "colour": "red"}');
    const r = await attn(['train', '--builtin', 'date', '--out', 'x', '--config', unknown]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--config ${unknown}: unknown option "colour"`);
    const broken = file('broken.json', '{"hidden-size": ');
    const b = await attn(['train', '--builtin', 'date', '--out', 'x', '--config', broken]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`--config ${broken}: not valid JSON`);
  });

  it('refuses an --out that is a file, and a layer the model does not have', async () => {
    const f = file('plain.txt', 'x');
    const r = await attn(['train', '--builtin', 'date', '--out', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out ${f} is a file, not a directory`);
    const layer = await attn([
      'attention',
      '--checkpoint',
      run,
      '--out',
      join(tmp.dir, 'a.svg'),
      '--layer',
      '1',
      'a b',
    ]);
    expect(layer.code).toBe(2);
    expect(layer.stderr).toContain('--layer 1 is out of range: gru-bahdanau has 1 attention layer (0-0)');
  });
});

describe('data problems exit 1 and name the file and line', () => {
  it('names a missing or unreadable data file', async () => {
    const missing = join(tmp.dir, 'missing.tsv');
    const r = await attn(['train', '--data', missing, '--out', join(tmp.dir, 'o1'), '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot open ${missing}`);
    const directory = join(tmp.dir, 'a-directory');
    mkdirSync(directory);
    const d = await attn(['train', '--data', directory, '--out', join(tmp.dir, 'o2'), '--quiet']);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('EISDIR');
  });

  it('stops at a malformed line with its number, or skips it with --skip-malformed', async () => {
    const pairs = file('pairs.tsv', 'go\tva\nhi\tsalut\nno tab here\nrun\tcours\nstop\tarrête\n');
    const out = join(tmp.dir, 'o3');
    const r = await attn(['train', '--data', pairs, '--out', out, '--max-steps', '1', '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`attn: ${pairs}:3: expected 2 or 3 tab-separated columns, got 1\n`);
    expect(() => readdirSync(out)).toThrow();
    const s = await attn([
      'train',
      '--data',
      pairs,
      '--out',
      out,
      '--max-steps',
      '1',
      '--quiet',
      '--skip-malformed',
    ]);
    expect(s.code).toBe(0);
    expect(s.stderr).toContain(
      `attn train: skipped 1 malformed line of ${pairs} (first: ${pairs}:3: expected 2 or 3`,
    );
  });

  it('rejects an empty corpus, and a classification file with one label', async () => {
    const empty = file('empty.tsv', '\n\n');
    const r = await attn(['train', '--data', empty, '--out', join(tmp.dir, 'o4'), '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${empty} holds no sentence pairs`);
    const one = file('one.tsv', 'good\tpos\nfine\tpos\n');
    const c = await attn([
      'train',
      '--task',
      'classify',
      '--data',
      one,
      '--out',
      join(tmp.dir, 'o5'),
      '--quiet',
    ]);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain(`${one} has only one label (pos); a classifier needs at least 2`);
  });

  it('scores only labels the model knows', async () => {
    const labelled = file('l.tsv', 'good\tpos\nbad\tneg\nfine\tpos\nawful\tneg\n');
    const cls = join(tmp.dir, 'cls');
    expect(
      (
        await attn([
          'train',
          '--task',
          'classify',
          '--data',
          labelled,
          '--max-steps',
          '1',
          '--quiet',
          '--out',
          cls,
        ])
      ).code,
    ).toBe(0);
    const other = file('other.tsv', 'good\tpos\nmeh\tneutral\n');
    const r = await attn(['eval', '--checkpoint', cls, '--data', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${other}:2: unknown label "neutral" (expected one of neg, pos)`);
  });
});

describe('checkpoint problems exit 1, name the file, and leave the run as it was', () => {
  it('names a missing checkpoint directory, and one of the other task', async () => {
    const r = await attn(['translate', '--checkpoint', join(tmp.dir, 'nowhere'), 'a']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(tmp.dir, 'nowhere')} does not exist`);
    const c = await attn(['classify', '--checkpoint', run, 'a']);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain(`${run} holds a translation model (gru-bahdanau); use attn translate`);
  });

  it('names a corrupt file, for every command, and training does not overwrite the run', async () => {
    const copy = join(tmp.dir, 'corrupt');
    cpSync(run, copy, { recursive: true });
    const step = readdirSync(copy).find((f) => f.startsWith('step-'))!;
    const weights = join(copy, step, 'model.safetensors');
    const bytes = readFileSync(weights);
    bytes[bytes.length - 3]! ^= 0x5a;
    writeFileSync(weights, bytes);
    const snapshot = readdirSync(copy).map((f) => [
      f,
      readFileSync(join(copy, f === step ? `${f}/model.safetensors` : f)),
    ]);
    for (const args of [
      ['translate', '--checkpoint', copy, 'a'],
      ['eval', '--checkpoint', copy, '--data', file('p.tsv', 'a\tb\n')],
      ['attention', '--checkpoint', copy, '--out', join(tmp.dir, 'x.png'), 'a'],
      ['train', '--out', copy, '--max-steps', '5', '--quiet'],
    ]) {
      const r = await attn(args);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr, args[0]).toContain(`${weights} is corrupt: its SHA-256 differs`);
    }
    for (const [f, content] of snapshot)
      expect(readFileSync(join(copy, f === step ? `${f}/model.safetensors` : (f as string)))).toEqual(
        content,
      );
  });

  it('reports an input a Transformer cannot take on its own line and translates the rest', async () => {
    const tf = join(tmp.dir, 'tf');
    const train = await attn([
      'train',
      '--arch',
      'transformer',
      '--builtin',
      'reversal',
      '--count',
      '50',
      '--d-model',
      '8',
      '--heads',
      '2',
      '--layers',
      '1',
      '--ff-dim',
      '8',
      '--max-len',
      '12',
      '--max-steps',
      '1',
      '--quiet',
      '--out',
      tf,
    ]);
    expect(train.code).toBe(0);
    const r = await attn(['translate', '--checkpoint', tf, '--max-length', '2'], {
      input: 'a b\na b c d e f g h i j k l m\nc\n',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'attn translate: line 2: Predictor.translate: text 0 has 14 tokens; the model takes at most 12',
    );
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe('');
  });
});
