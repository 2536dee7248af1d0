import { describe, expect, it } from 'vitest';
import { filterPairsByLength } from '../../src/data/length-filter.js';
import { PairParser, parsePairs } from '../../src/data/pairs.js';
import { DataFormatError, formatProblem, type DataProblem } from '../../src/data/problems.js';

const text = [
  'Go.\tVa !',
  'Hi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #509819 (Aiji)',
  '',
  'Run!\tCours !',
].join('\n');

describe('parsePairs', () => {
  it('reads tab-separated pairs, ignoring the attribution column and blank lines', () => {
    const { pairs, problems } = parsePairs(text);
    expect(pairs).toEqual([
      { source: 'Go.', target: 'Va !' },
      { source: 'Hi.', target: 'Salut !' },
      { source: 'Run!', target: 'Cours !' },
    ]);
    expect(problems).toEqual([]);
  });

  it('takes the source from the column asked for', () => {
    expect(parsePairs(text, { sourceColumn: 1 }).pairs[0]).toEqual({ source: 'Va !', target: 'Go.' });
  });

  it('accepts CRLF line endings, a byte-order mark and an array of lines', () => {
    expect(parsePairs('\uFEFFa\tb\r\nc\td\r\n').pairs).toEqual([
      { source: 'a', target: 'b' },
      { source: 'c', target: 'd' },
    ]);
    expect(parsePairs(['a\tb\r', 'c\td']).pairs).toHaveLength(2);
  });

  it('stops at the first malformed line by default, naming the file and line', () => {
    const bad = 'a\tb\nno tab here\nc\td';
    expect(() => parsePairs(bad, { file: 'tatoeba.tsv' })).toThrow(
      'tatoeba.tsv:2: expected 2 or 3 tab-separated columns, got 1',
    );
    try {
      parsePairs(bad, { file: 'tatoeba.tsv' });
    } catch (err) {
      expect(err).toBeInstanceOf(DataFormatError);
      expect((err as DataFormatError).problem).toEqual({
        file: 'tatoeba.tsv',
        line: 2,
        message: 'expected 2 or 3 tab-separated columns, got 1',
      });
      expect((err as Error).message).toBe('tatoeba.tsv:2: expected 2 or 3 tab-separated columns, got 1');
    }
  });

  it('skips malformed lines when asked, collecting every problem', () => {
    const lines = ['a\tb', 'x', 'c\td', 'p\tq\tr\ts', '\tempty', 'e\tf'];
    const heard: DataProblem[] = [];
    const { pairs, problems } = parsePairs(lines.join('\n'), {
      file: 'tatoeba.tsv',
      onError: 'skip',
      onProblem: (p) => heard.push(p),
    });
    expect(pairs.map((p) => p.source)).toEqual(['a', 'c', 'e']);
    expect(problems.map(formatProblem)).toEqual([
      'tatoeba.tsv:2: expected 2 or 3 tab-separated columns, got 1',
      'tatoeba.tsv:4: expected 2 or 3 tab-separated columns, got 4',
      'tatoeba.tsv:5: column 1 is empty',
    ]);
    expect(heard).toEqual(problems);
  });

  it('counts blank lines in the line numbers', () => {
    const { problems } = parsePairs('a\tb\n\n\nbad', { onError: 'skip' });
    expect(problems[0]!.line).toBe(4);
    expect(problems[0]!.file).toBe('<input>');
  });

  it('filters by length on either side', () => {
    const input = 'one two\tun deux\none two three\tun\none\tun deux trois quatre';
    const { pairs, filtered } = parsePairs(input, { maxTokens: 2 });
    expect(pairs).toEqual([{ source: 'one two', target: 'un deux' }]);
    expect(filtered).toBe(2);
    const byChars = parsePairs(input, { maxTokens: 7, lengthOf: (s) => s.length });
    expect(byChars.pairs.map((p) => p.source)).toEqual(['one two']);
    expect(filterPairsByLength(parsePairs(input).pairs, { maxTokens: 3 })).toHaveLength(2);
  });

  it('validates its options', () => {
    expect(() => new PairParser({ sourceColumn: 2 as 0 })).toThrow(/sourceColumn must be 0 or 1/);
    expect(() => new PairParser({ maxTokens: 0 })).toThrow(/maxTokens must be a positive integer/);
    expect(() => new PairParser({ onError: 'ignore' as 'skip' })).toThrow(/onError must be/);
  });
});
