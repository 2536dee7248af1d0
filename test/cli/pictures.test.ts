// attn attention and attn plot: pictures of a trained model's attention and of a run's training curves.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attn, tempDir, TINY_REVERSAL } from './run-cli.js';

const tmp = tempDir('pictures');
afterAll(tmp.cleanup);
const run = join(tmp.dir, 'rev');
const tf = join(tmp.dir, 'tf');
const cls = join(tmp.dir, 'cls');

beforeAll(async () => {
  const data = join(tmp.dir, 'l.tsv');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(data, 'good film\tpos\nbad film\tneg\ngreat\tpos\nawful\tneg\n');
  const results = await Promise.all([
    attn(['train', ...TINY_REVERSAL, '--eval-every', '4', '--out', run]),
    attn([
      'train',
      '--arch',
      'transformer',
      '--builtin',
      'reversal',
      '--count',
      '60',
      '--d-model',
      '8',
      '--heads',
      '2',
      '--layers',
      '2',
      '--ff-dim',
      '8',
      '--max-steps',
      '2',
      '--quiet',
      '--out',
      tf,
    ]),
    attn(['train', '--task', 'classify', '--data', data, '--max-steps', '2', '--quiet', '--out', cls]),
  ]);
  for (const r of results) expect(r.code).toBe(0);
});

/** The texts of an SVG document. */
function svgTexts(path: string): string[] {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node)) {
        if (k === 'text')
          for (const t of [v].flat())
            texts.push(typeof t === 'object' ? String((t as { '#text'?: unknown })['#text']) : String(t));
        else walk(v);
      }
  };
  walk(new XMLParser({ ignoreAttributes: false }).parse(readFileSync(path, 'utf8')));
  return texts;
}

describe('attn attention', () => {
  it('draws a translation heatmap labelled with the source and output tokens', async () => {
    const svg = join(tmp.dir, 'rev.svg');
    const r = await attn(['attention', '--checkpoint', run, '--out', svg, 'a b c']);
    expect(r.code).toBe(0);
    const [translation] = r.stdout.split('\n');
    expect(r.stdout).toContain(`picture: ${svg}`);
    const texts = svgTexts(svg);
    for (const t of ['a', 'b', 'c', '<eos>']) expect(texts).toContain(t);
    for (const t of translation!.split(' ').filter(Boolean)) expect(texts).toContain(t);
    const png = join(tmp.dir, 'rev.png');
    expect((await attn(['attention', '-c', run, '-o', png, '-q', 'a b c'])).stdout).toBe(
      `${translation}\npicture: ${png}\n`,
    );
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    const chrf = join(tmp.dir, 'chrf.svg');
    expect((await attn(['plot', run, '-o', chrf, '--series', 'dev/chrf'])).stdout).toBe(
      `picture: ${chrf} (dev/chrf)\n`,
    );
  });

  it('picks a Transformer layer and head, or draws the grid of all', async () => {
    const one = join(tmp.dir, 'tf.svg');
    const r = await attn([
      'attention',
      '-c',
      tf,
      '-o',
      one,
      '--layer',
      '0',
      '--head',
      '1',
      '--max-length',
      '2',
      'a b',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(layer 0, head 1)');
    const grid = join(tmp.dir, 'grid.svg');
    expect((await attn(['attention', '-c', tf, '-o', grid, '--grid', '--max-length', '2', 'a b'])).code).toBe(
      0,
    );
    const texts = svgTexts(grid);
    for (const caption of ['layer 0 · head 0', 'layer 0 · head 1', 'layer 1 · head 0', 'layer 1 · head 1'])
      expect(texts).toContain(caption);
    const bad = await attn(['attention', '-c', tf, '-o', grid, '--head', '2', 'a b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--head 2 is out of range: transformer has 2 heads (0-1, or mean)');
  });

  it("highlights a classifier's tokens by their pooling weights", async () => {
    const svg = join(tmp.dir, 'cls.svg');
    const r = await attn(['attention', '-c', cls, '-o', svg, 'good film']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^(pos|neg) \(\d+\.\d%\)\n/);
    const texts = svgTexts(svg);
    expect(texts).toContain('good');
    expect(texts).toContain('film');
    const grid = await attn(['attention', '-c', cls, '-o', svg, '--grid', 'good']);
    expect(grid.code).toBe(2);
    expect(grid.stderr).toContain('--grid applies to translation models; bigru-attention is a classifier');
  });
});

describe('attn plot', () => {
  it('lists the series of a run and draws the chosen ones', async () => {
    const list = await attn(['plot', run, '--list']);
    expect(list.code).toBe(0);
    const names = list.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[0]);
    for (const n of ['loss', 'lr', 'dev/loss', 'dev/bleu', 'dev/chrf', 'dev/exactMatch'])
      expect(names).toContain(n);
    const svg = join(tmp.dir, 'curves.svg');
    const r = await attn(['plot', run, '--out', svg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`picture: ${svg} (loss, dev/loss)\n`);
    const texts = svgTexts(svg);
    expect(texts).toContain('loss');
    expect(texts).toContain('dev/loss');
    const png = join(tmp.dir, 'curves.png');
    expect((await attn(['plot', join(run, 'log.jsonl'), '-o', png, '-s', 'dev/bleu'])).code).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });

  it('names an unknown series, a missing log and a malformed line', async () => {
    const r = await attn(['plot', run, '-o', join(tmp.dir, 'x.svg'), '-s', 'dev/nothing']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('log.jsonl has no series dev/nothing (it has dev/loss, ');
    const missing = await attn(['plot', join(tmp.dir, 'none'), '-o', join(tmp.dir, 'x.svg')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${join(tmp.dir, 'none')} does not exist`);
    const { writeFileSync } = await import('node:fs');
    const log = join(tmp.dir, 'bad.jsonl');
    writeFileSync(log, '{"step": 1, "loss": 2}\nnot json\n{"step": 2, "loss": 1}\n');
    const bad = await attn(['plot', log, '-o', join(tmp.dir, 'x.svg')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${log}: line 2: not JSON`);
  });
});
