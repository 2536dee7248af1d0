import { describe, expect, it } from 'vitest';
import { parseClassification, sortLabels } from '../../src/data/classification.js';
import { parseDelimitedLine } from '../../src/data/delimited.js';
import { formatProblem } from '../../src/data/problems.js';

const csv = { delimiter: ',', quoting: true };

describe('delimited records (RFC 4180)', () => {
  it('splits plain and quoted fields', () => {
    expect(parseDelimitedLine('a,b,c', csv)).toEqual(['a', 'b', 'c']);
    expect(parseDelimitedLine('"a, b",c', csv)).toEqual(['a, b', 'c']);
    expect(parseDelimitedLine('"say ""hi""",1', csv)).toEqual(['say "hi"', '1']);
    expect(parseDelimitedLine(',,', csv)).toEqual(['', '', '']);
    expect(parseDelimitedLine('""', csv)).toEqual(['']);
  });

  it('keeps a quote inside an unquoted field, and quotes as text in TSV', () => {
    expect(parseDelimitedLine('5" screen,1', csv)).toEqual(['5" screen', '1']);
    expect(parseDelimitedLine('"a"\t1', { delimiter: '\t', quoting: false })).toEqual(['"a"', '1']);
  });

  it('rejects text after a closing quote', () => {
    expect(() => parseDelimitedLine('"a"b,1', csv)).toThrow('unexpected "b" after a closing quote');
  });
});

describe('parseClassification', () => {
  it('reads TSV with a detected header and numeric labels (SST-2 layout)', () => {
    const r = parseClassification('sentence\tlabel\na fine film \t1\ndull\t0\n');
    expect(r.header).toEqual(['sentence', 'label']);
    expect(r.examples).toEqual([
      { text: 'a fine film', label: 1 },
      { text: 'dull', label: 0 },
    ]);
    expect(r.labels).toEqual(['0', '1']);
  });

  it('reads headerless input when the first row looks like data', () => {
    const r = parseClassification('great\t1\nbad\t0');
    expect(r.header).toBeNull();
    expect(r.examples).toHaveLength(2);
  });

  it('follows an explicit header option', () => {
    expect(parseClassification('great\t1\nbad\t0', { header: true }).examples).toHaveLength(1);
    expect(parseClassification('text\tlabel\nbad\t0', { header: false, onError: 'skip' }).labels).toEqual([
      '0',
      'label',
    ]);
  });

  it('detects a header when labels are given and the first label is not one of them', () => {
    const r = parseClassification('review\tstars\nok\tpos', { labels: ['neg', 'pos'] });
    expect(r.header).toEqual(['review', 'stars']);
    expect(r.examples).toEqual([{ text: 'ok', label: 1 }]);
  });

  it('selects columns by name or index', () => {
    const text = 'id,label,text\n1,pos,"Loved it, truly"\n2,neg,"Meh"';
    const byName = parseClassification(text, { format: 'csv', textColumn: 'text', labelColumn: 'label' });
    expect(byName.examples).toEqual([
      { text: 'Loved it, truly', label: 1 },
      { text: 'Meh', label: 0 },
    ]);
    expect(byName.labels).toEqual(['neg', 'pos']);
    const byIndex = parseClassification(text, { format: 'csv', textColumn: 2, labelColumn: 1, header: true });
    expect(byIndex.examples).toEqual(byName.examples);
    expect(() => parseClassification(text, { format: 'csv', textColumn: 'body', file: 'r.csv' })).toThrow(
      'r.csv:1: the header has no column "body" for textColumn (columns: id, label, text)',
    );
    expect(() => parseClassification(text, { textColumn: 'text', header: false })).toThrow(/header is false/);
  });

  it('reads CSV quoted fields with commas, doubled quotes and line breaks', () => {
    const text = 'text,label\n"He said ""wow"", then left",1\n"two\nlines",0\nplain,1\n';
    const r = parseClassification(text, { format: 'csv', file: 'q.csv', onError: 'skip' });
    expect(r.examples.map((e) => e.text)).toEqual(['He said "wow", then left', 'two\nlines', 'plain']);
    expect(r.problems).toEqual([]);
  });

  it('reports malformed records with the line where they start', () => {
    const text = 'text,label\ngood,1\nno label\n"unterminated,0\nmore,1\n';
    expect(() => parseClassification(text, { format: 'csv', file: 'reviews.csv' })).toThrow(
      'reviews.csv:3: expected 2 comma-separated columns (as the header), got 1',
    );
    const r = parseClassification(text, { format: 'csv', file: 'reviews.csv', onError: 'skip' });
    expect(r.examples).toEqual([{ text: 'good', label: 0 }]);
    expect(r.problems.map(formatProblem)).toEqual([
      'reviews.csv:3: expected 2 comma-separated columns (as the header), got 1',
      'reviews.csv:4: quoted field is not closed before the end of the input',
    ]);
  });

  it('maps labels through a fixed list and reports unknown ones', () => {
    const text = 'fine\tpos\nawful\tneg\nodd\tmeh';
    const r = parseClassification(text, { labels: ['neg', 'pos'], onError: 'skip', file: 'x.tsv' });
    expect(r.examples.map((e) => e.label)).toEqual([1, 0]);
    expect(r.labels).toEqual(['neg', 'pos']);
    expect(r.problems.map(formatProblem)).toEqual([
      'x.tsv:3: unknown label "meh" (expected one of neg, pos)',
    ]);
  });

  it('reports missing columns and empty cells when headerless', () => {
    const r = parseClassification('a\t1\nb\n\t0\nc\t\n', { onError: 'skip' });
    expect(r.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '2: expected at least 2 tab-separated columns, got 1',
      '3: the text (column 1) is empty',
      '4: the label (column 2) is empty',
    ]);
  });

  it('filters long texts', () => {
    const r = parseClassification('a b c\t1\na\t0', { maxTokens: 2 });
    expect(r.examples).toEqual([{ text: 'a', label: 0 }]);
    expect(r.filtered).toBe(1);
  });

  it('sorts labels numerically when all are numbers', () => {
    expect(sortLabels(['10', '2', '1'])).toEqual(['1', '2', '10']);
    expect(sortLabels(['b', 'a', '10'])).toEqual(['10', 'a', 'b']);
  });
});
