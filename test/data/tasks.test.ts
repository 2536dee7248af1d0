import { describe, expect, it } from 'vitest';
import { bucketBatches } from '../../src/data/batching.js';
import { DATE_FORMATS, epochDay, ordinal } from '../../src/data/tasks/date-formats.js';
import { dateTask } from '../../src/data/tasks/date-task.js';
import { reversalTask } from '../../src/data/tasks/reversal-task.js';
import { UNK_ID } from '../../src/data/vocabulary.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * An independent reading of a source date, for checking targets: the year (four digits, or two resolved into
 * the window), the month (a name or the second number of a day-first date), the day.
 */
function readDate(source: string, minYear: number): { year: number; month: number; day: number } {
  const s = source.toLowerCase();
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (compact) return { year: +compact[1]!, month: +compact[2]!, day: +compact[3]! };
  const iso = /^(\d{4})[-/](\d{2})[-/](\d{2})$/.exec(s);
  if (iso) return { year: +iso[1]!, month: +iso[2]!, day: +iso[3]! };
  const numeric = /^(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})$/.exec(s);
  const fullYear = (y: string) => (y.length === 4 ? +y : minYear + ((((+y - minYear) % 100) + 100) % 100));
  if (numeric) return { day: +numeric[1]!, month: +numeric[2]!, year: fullYear(numeric[3]!) };
  const month = MONTHS.findIndex((m) => new RegExp(`\\b${m}`).test(s)) + 1;
  const numbers = [...s.matchAll(/\d+/g)].map((m) => m[0]);
  const yearText = numbers.find((n) => n.length === 4) ?? numbers.find((n, i) => i > 0 && n.length === 2)!;
  const dayText = numbers.find((n) => n !== yearText)!;
  return { year: fullYear(yearText), month, day: +dayText };
}

function isValidIso(target: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(target);
  if (!m) return false;
  const d = new Date(`${target}T00:00:00Z`);
  return d.getUTCFullYear() === +m[1]! && d.getUTCMonth() + 1 === +m[2]! && d.getUTCDate() === +m[3]!;
}

describe('date formats', () => {
  it('render 3 May 1998 (a Sunday) as their examples say', () => {
    const date = { year: 1998, month: 5, day: 3, weekday: 0 };
    expect(DATE_FORMATS.length).toBeGreaterThanOrEqual(10);
    for (const f of DATE_FORMATS) expect(f.render(date)).toBe(f.example);
    const examples = DATE_FORMATS.map((f) => f.example);
    for (const e of [
      '3 May 1998',
      'May 3, 1998',
      '03/05/1998',
      '1998-05-03',
      'Sunday, May 3 1998',
      '3rd of may 98',
    ]) {
      expect(examples).toContain(e);
    }
    expect(DATE_FORMATS.find((f) => f.name === 'd MMM yyyy')!.render({ ...date, month: 9 })).toBe(
      '3 Sep 1998',
    );
  });

  it('write ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '23rd',
      '31st',
    ]);
  });
});

describe('dateTask', () => {
  it('is deterministic per seed', () => {
    expect(dateTask({ count: 50, seed: 1 }).pairs).toEqual(dateTask({ count: 50, seed: 1 }).pairs);
    expect(dateTask({ count: 50, seed: 2 }).pairs).not.toEqual(dateTask({ count: 50, seed: 1 }).pairs);
  });

  it('gives valid ISO targets that match their sources', () => {
    const { pairs } = dateTask({ count: 2000, seed: 3 });
    const formats = new Set<string>();
    const years = new Set<number>();
    for (const p of pairs) {
      formats.add(p.format);
      expect(isValidIso(p.target), p.target).toBe(true);
      const { year, month, day } = readDate(p.source, 1950);
      expect(`${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`, p.source).toBe(
        p.target,
      );
      years.add(year);
      // The weekday, where written, is the right one.
      const weekday = /^(sun|mon|tue|wed|thu|fri|sat)/i.exec(p.source)?.[1]?.toLowerCase();
      if (weekday) {
        const index = new Date(epochDay(year, month, day) * 86_400_000).getUTCDay();
        expect(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][index]).toBe(weekday);
      }
    }
    expect(formats.size).toBe(DATE_FORMATS.length);
    expect(Math.min(...years)).toBeLessThan(1960);
    expect(Math.max(...years)).toBeGreaterThan(2040);
  });

  it('respects the year range and leaves out two-digit years over a range beyond 100 years', () => {
    const narrow = dateTask({ count: 200, seed: 4, minYear: 2000, maxYear: 2001 });
    for (const p of narrow.pairs) expect(['2000', '2001']).toContain(p.target.slice(0, 4));
    const wide = dateTask({ count: 500, seed: 4, minYear: 1800, maxYear: 2100 });
    for (const p of wide.pairs) expect(p.format).not.toMatch(/(^|[^y])yy($|[^y])/);
    expect(() => dateTask({ count: 1, minYear: 1800, maxYear: 2100, formats: ['d/M/yy'] })).toThrow(
      /two-digit years/,
    );
    expect(() => dateTask({ count: 1, formats: ['nope'] })).toThrow(/unknown format "nope"/);
  });

  it('comes with character tokenizers that cover every source and target', () => {
    const { pairs, sourceTokenizer, targetTokenizer } = dateTask({ count: 1000, seed: 5 });
    for (const p of pairs.slice(0, 1000)) {
      const src = sourceTokenizer.encode(p.source);
      expect(src).not.toContain(UNK_ID);
      expect(sourceTokenizer.decode(src)).toBe(p.source);
      expect(targetTokenizer.decode(targetTokenizer.encode(p.target))).toBe(p.target);
    }
    expect(targetTokenizer.vocabulary.size).toBe(4 + 11);
    const examples = pairs.map((p) => ({
      source: sourceTokenizer.encode(p.source),
      target: targetTokenizer.encode(p.target),
    }));
    const [batch] = [...bucketBatches(examples, { batchSize: 32, seed: 1 })];
    expect(batch!.decoderInput.shape).toEqual([32, 11]);
  });
});

describe('reversalTask', () => {
  it('reverses random word sequences deterministically per seed', () => {
    const a = reversalTask({ count: 100, seed: 1, minLength: 2, maxLength: 6, vocabSize: 5 });
    expect(reversalTask({ count: 100, seed: 1, minLength: 2, maxLength: 6, vocabSize: 5 }).pairs).toEqual(
      a.pairs,
    );
    expect(reversalTask({ count: 100, seed: 2, minLength: 2, maxLength: 6, vocabSize: 5 }).pairs).not.toEqual(
      a.pairs,
    );
    const lengths = new Set<number>();
    for (const p of a.pairs) {
      const words = p.source.split(' ');
      lengths.add(words.length);
      expect(p.target).toBe([...words].reverse().join(' '));
      for (const w of words) expect(['a', 'b', 'c', 'd', 'e']).toContain(w);
      expect(a.sourceTokenizer.decode(a.sourceTokenizer.encode(p.source))).toBe(p.source);
      expect(a.sourceTokenizer.encode(p.source)).not.toContain(UNK_ID);
    }
    expect([...lengths].sort()).toEqual([2, 3, 4, 5, 6]);
    expect(a.sourceTokenizer.vocabulary.size).toBe(9);
    expect(a.targetTokenizer).toBe(a.sourceTokenizer);
  });

  it('writes character-level sequences with custom symbols', () => {
    const t = reversalTask({ count: 20, seed: 3, level: 'char', symbols: ['0', '1', '2'], vocabSize: 3 });
    for (const p of t.pairs) {
      expect(p.source).toMatch(/^[012]{3,10}$/);
      expect(p.target).toBe([...p.source].reverse().join(''));
      expect(t.sourceTokenizer.type).toBe('char');
      expect(t.sourceTokenizer.decode(t.sourceTokenizer.encode(p.source))).toBe(p.source);
    }
    expect(() => reversalTask({ count: 1, level: 'char', symbols: ['ab'], vocabSize: 1 })).toThrow(
      /one-character symbols/,
    );
    expect(() => reversalTask({ count: 1, vocabSize: 27 })).toThrow(
      /vocabSize must be an integer in \[1, 26\]/,
    );
  });
});
