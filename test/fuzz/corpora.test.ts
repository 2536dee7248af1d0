// Fuzz: seeded mutations of translation and classification corpora (TSV and CSV) and crafted ones (a 10 MB
// line, /dev/zero, random binary, invalid UTF-8, NUL and control characters in labels, stray columns), each
// read in a child under a memory limit both ways: stopping at the first malformed line (an AttnError naming the
// file) and skipping malformed lines (a load).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCases, type FuzzCase } from './run-cases.js';
import { concat, mutateBytes, SeededRandom } from './seeded.js';

const dir = mkdtempSync(join(tmpdir(), 'attn-fuzz-corpora-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

const PAIRS = encode(
  'Go.\tVa !\nHi.\tSalut.\tCC-BY 2.0 (France) Attribution: tatoeba.org\nRun!\tCours !\n\nWho?\tQui ?\n' +
    'I see.\tJe comprends.\nThanks a lot.\tMerci beaucoup.\n',
);
const TSV = encode('sentence\tlabel\na good film\t1\na bad film\t0\nvery good acting\t1\nvery bad plot\t0\n');
const CSV = encode(
  'text,label\n"a good, fine film",pos\n"a ""bad"" film",neg\ngood plot,pos\nbad plot,neg\n',
);

describe('fuzz: corpora', () => {
  it('every mutated or crafted corpus loads or is refused with a short error naming it', async () => {
    const random = new SeededRandom(61);
    const cases: FuzzCase[] = [];
    const add = (
      id: string,
      kind: 'pairs' | 'classification',
      bytes: Uint8Array | null,
      expect: { strict?: FuzzCase['expect']; skipping?: FuzzCase['expect'] } = {},
      name = `${id}.${kind === 'pairs' ? 'tsv' : id.includes('csv') ? 'csv' : 'tsv'}`,
    ): void => {
      const path = join(dir, name);
      if (bytes !== null) writeFileSync(path, bytes);
      cases.push({ id: `${id}-strict`, kind, path, mustName: path, expect: expect.strict ?? 'either' });
      cases.push({
        id: `${id}-skipping`,
        kind,
        path,
        mustName: path,
        options: { onError: 'skip' },
        expect: expect.skipping ?? 'either',
      });
    };
    add('pairs-base', 'pairs', PAIRS, { strict: 'ok', skipping: 'ok' });
    add('tsv-base', 'classification', TSV, { strict: 'ok', skipping: 'ok' });
    add('csv-base', 'classification', CSV, { strict: 'ok', skipping: 'ok' });
    for (let i = 0; i < 40; i++) {
      let bytes = mutateBytes(PAIRS, random);
      if (random.next() < 0.5) bytes = mutateBytes(bytes, random);
      add(`pairs-mutation-${i}`, 'pairs', bytes);
    }
    for (let i = 0; i < 40; i++) {
      const csv = random.next() < 0.5;
      let bytes = mutateBytes(csv ? CSV : TSV, random);
      if (random.next() < 0.5) bytes = mutateBytes(bytes, random);
      add(`${csv ? 'csv' : 'tsv'}-mutation-${i}`, 'classification', bytes);
    }

    // Crafted: each must be refused when stopping at problems.
    const long = new Uint8Array(10_000_000).fill(0x61);
    add('pairs-10mb-line', 'pairs', concat(encode('a\tb\n'), long, encode('\tc\n')), {
      strict: 'error',
      skipping: 'ok',
    });
    add('tsv-10mb-line', 'classification', concat(encode('a\t1\nb\t0\n'), long, encode('\t1\n')), {
      strict: 'error',
      skipping: 'ok',
    });
    add('pairs-2000-words', 'pairs', encode(`a\tb\n${'w '.repeat(2000)}\tc\n`), {
      strict: 'error',
      skipping: 'ok',
    });
    add(
      'tsv-invalid-utf8',
      'classification',
      concat(encode('a\t1\nb '), Uint8Array.of(0xc3, 0x28), encode('\t0\n')),
      {
        strict: 'error',
        skipping: 'ok',
      },
    );
    add('tsv-nul-in-label', 'classification', encode('a\t1\nb\t0\u0000x\n'), {
      strict: 'error',
      skipping: 'error',
    });
    add('tsv-control-in-label', 'classification', encode('a\t1\nb\t0\u0001\nc\t1\n'), {
      strict: 'error',
      skipping: 'ok',
    });
    add('tsv-stray-column', 'classification', encode('a\t1\nb\t0\tx\nc\t1\n'), {
      strict: 'error',
      skipping: 'ok',
    });
    const binary = new Uint8Array(4096);
    for (let i = 0; i < binary.length; i++) binary[i] = random.int(256);
    binary[10] = 0;
    add('pairs-binary', 'pairs', binary, { strict: 'error', skipping: 'error' });
    add('tsv-binary', 'classification', binary, { strict: 'error', skipping: 'error' });
    const zero = join(dir, 'zero.tsv');
    symlinkSync('/dev/zero', zero);
    add('pairs-dev-zero', 'pairs', null, { strict: 'error', skipping: 'error' }, 'zero.tsv');
    mkdirSync(join(dir, 'folder.tsv'));
    add('tsv-directory', 'classification', null, { strict: 'error', skipping: 'error' }, 'folder.tsv');
    add('tsv-missing', 'classification', null, { strict: 'error', skipping: 'error' }, 'missing.tsv');

    const { problems, outcomes } = await runCases(cases, dir);
    expect(problems).toEqual([]);
    expect(outcomes.size).toBe(cases.length);
  }, 60_000);
});
