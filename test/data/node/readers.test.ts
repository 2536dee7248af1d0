import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  loadClassificationFile,
  readClassificationFile,
} from '../../../src/data/node/classification-file.js';
import { loadPairsFile, readPairsFile } from '../../../src/data/node/pairs-file.js';
import { readLines } from '../../../src/data/node/read-lines.js';
import { formatProblem, type DataProblem } from '../../../src/data/problems.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attn-data-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text, 'utf8');
  return path;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('readLines', () => {
  it('streams lines without endings, dropping a byte-order mark', async () => {
    const path = await write('l.txt', '\uFEFFone\r\ntwo\nthree');
    expect(await collect(readLines(path))).toEqual(['one', 'two', 'three']);
  });

  it('names a missing file', async () => {
    await expect(collect(readLines(join(dir, 'nope.tsv')))).rejects.toThrow(
      /readLines: cannot open .*nope\.tsv/,
    );
  });
});

describe('pair files', () => {
  const content = [
    'Go.\tVa !',
    'Hi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org',
    'broken',
    'Run!\tCours !',
  ];

  it('streams pairs, stopping at a malformed line with the file and line', async () => {
    const path = await write('tatoeba.tsv', content.join('\n'));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const p of readPairsFile(path)) seen.push(p.source);
      })(),
    ).rejects.toThrow(`${path}:3: expected 2 or 3 tab-separated columns, got 1`);
    expect(seen).toEqual(['Go.', 'Hi.']);
  });

  it('skips malformed lines and reports them through onProblem', async () => {
    const path = await write('tatoeba.tsv', content.join('\n') + '\n');
    const heard: DataProblem[] = [];
    const pairs = await collect(
      readPairsFile(path, { onError: 'skip', file: 'tatoeba.tsv', onProblem: (p) => heard.push(p) }),
    );
    expect(pairs.map((p) => p.target)).toEqual(['Va !', 'Salut !', 'Cours !']);
    expect(heard.map(formatProblem)).toEqual(['tatoeba.tsv:3: expected 2 or 3 tab-separated columns, got 1']);
  });

  it('loads a whole file with source column, filtering and problems', async () => {
    const path = await write('tatoeba.tsv', content.join('\n'));
    const r = await loadPairsFile(path, { onError: 'skip', sourceColumn: 1, maxTokens: 1 });
    expect(r.pairs).toEqual([]); // every side has two tokens ("Va !")
    expect(r.filtered).toBe(3);
    const all = await loadPairsFile(path, { onError: 'skip', sourceColumn: 1 });
    expect(all.pairs[0]).toEqual({ source: 'Va !', target: 'Go.' });
    expect(all.problems).toHaveLength(1);
    expect(all.problems[0]!.file).toBe(path);
  });

  it('reads a file larger than one stream chunk and can stop early', async () => {
    const lines = Array.from({ length: 20000 }, (_, i) => `sentence number ${i}\tphrase numéro ${i}`);
    const path = await write('big.tsv', lines.join('\n'));
    let n = 0;
    for await (const p of readPairsFile(path)) {
      if (n === 123) expect(p).toEqual({ source: 'sentence number 123', target: 'phrase numéro 123' });
      if (++n === 15000) break;
    }
    expect(n).toBe(15000);
    expect((await loadPairsFile(path)).pairs).toHaveLength(20000);
  });
});

describe('classification files', () => {
  it('loads a CSV (format from the extension) with quotes spanning lines', async () => {
    const path = await write('reviews.csv', 'text,label\n"Good, really",pos\n"two\nlines",neg\nfine,pos\n');
    const r = await loadClassificationFile(path);
    expect(r.header).toEqual(['text', 'label']);
    expect(r.labels).toEqual(['neg', 'pos']);
    expect(r.examples).toEqual([
      { text: 'Good, really', label: 1 },
      { text: 'two\nlines', label: 0 },
      { text: 'fine', label: 1 },
    ]);
  });

  it('streams a TSV and reports problems with the file and line', async () => {
    const path = await write('sst.tsv', 'sentence\tlabel\ngood\t1\nbad\n"quoted" stays\t0\n');
    await expect(collect(readClassificationFile(path, { file: 'sst.tsv' }))).rejects.toThrow(
      'sst.tsv:3: expected 2 tab-separated columns (as the header), got 1',
    );
    const problems: DataProblem[] = [];
    const examples = await collect(
      readClassificationFile(path, { file: 'sst.tsv', onError: 'skip', onProblem: (p) => problems.push(p) }),
    );
    expect(examples).toEqual([
      { text: 'good', label: 0 },
      { text: '"quoted" stays', label: 1 },
    ]);
    expect(problems.map(formatProblem)).toEqual([
      'sst.tsv:3: expected 2 tab-separated columns (as the header), got 1',
    ]);
  });

  it('reports an unterminated quote at the end of a CSV file', async () => {
    const path = await write('bad.csv', 'a,1\n"b,0\n');
    const r = await loadClassificationFile(path, { onError: 'skip', file: 'bad.csv' });
    expect(r.problems.map(formatProblem)).toEqual([
      'bad.csv:2: quoted field is not closed before the end of the input',
    ]);
    await expect(collect(readClassificationFile(path))).rejects.toThrow(/:2: quoted field is not closed/);
  });
});

const DATA = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
const TATOEBA = join(DATA, 'tatoeba-fra-eng.train.tsv');
const TATOEBA_DEV = join(DATA, 'tatoeba-fra-eng.dev.tsv');
const SST2 = join(DATA, 'sst2.train.tsv');
const SST2_DEV = join(DATA, 'sst2.dev.tsv');

describe('the real corpora in ../shared/data', () => {
  it.skipIf(!existsSync(TATOEBA))(
    `reads the first 1000 Tatoeba pairs (skipped when ${TATOEBA} is absent)`,
    async () => {
      const pairs = [];
      for await (const p of readPairsFile(TATOEBA, { sourceColumn: 1 })) {
        pairs.push(p);
        if (pairs.length === 1000) break;
      }
      expect(pairs).toHaveLength(1000);
      for (const p of pairs) {
        expect(p.source.length).toBeGreaterThan(0);
        expect(p.target.length).toBeGreaterThan(0);
      }
      expect(pairs[0]).toEqual({
        source: 'Quand était ton dernier jour de congé ?',
        target: 'When was your last day off?',
      });
    },
  );

  it.skipIf(!existsSync(SST2))(
    `reads the first 1000 SST-2 rows with their header (skipped when ${SST2} is absent)`,
    async () => {
      const examples = [];
      const problems: DataProblem[] = [];
      for await (const e of readClassificationFile(SST2, {
        labels: ['0', '1'],
        onError: 'skip',
        onProblem: (p) => problems.push(p),
      })) {
        examples.push(e);
        if (examples.length === 1000) break;
      }
      expect(problems).toEqual([]);
      expect(examples).toHaveLength(1000);
      expect(examples[0]).toEqual({ text: 'when are bears bears and', label: 1 });
      expect(new Set(examples.map((e) => e.label))).toEqual(new Set([0, 1]));
    },
  );

  it.skipIf(!existsSync(TATOEBA_DEV) || !existsSync(SST2_DEV))(
    `loads the whole dev files with the documented counts (skipped when ${DATA} lacks them)`,
    async () => {
      const pairs = await loadPairsFile(TATOEBA_DEV);
      expect(pairs.pairs).toHaveLength(3000);
      expect(pairs.problems).toEqual([]);
      const sst = await loadClassificationFile(SST2_DEV);
      expect(sst.header).toEqual(['sentence', 'label']);
      expect(sst.examples).toHaveLength(6735);
      expect(sst.labels).toEqual(['0', '1']);
    },
  );
});
