import { describe, expect, it } from 'vitest';
import {
  accuracy,
  bleuFromStatistics,
  chrfFromStatistics,
  corpusBleu,
  corpusChrf,
  exactMatch,
  macroF1,
  tensor,
  tokenAccuracy,
  tokenize13a,
} from '../../src/index.js';

describe('tokenize13a', () => {
  it('splits off punctuation and symbols, but not apostrophes or inner hyphens', () => {
    expect(tokenize13a('Hello, world!')).toEqual(['Hello', ',', 'world', '!']);
    expect(tokenize13a("It wasn't e-mail (really).")).toEqual([
      'It',
      "wasn't",
      'e-mail',
      '(',
      'really',
      ')',
      '.',
    ]);
    expect(tokenize13a('a/b {c} [d] x@y #1 50% a+b "q"')).toEqual(
      'a / b { c } [ d ] x @ y # 1 50 % a + b " q "'.split(' '),
    );
  });

  it('keeps . and , between digits, splits them elsewhere', () => {
    expect(tokenize13a('It costs $3.50, or 1,000 yen.')).toEqual([
      'It',
      'costs',
      '$',
      '3.50',
      ',',
      'or',
      '1,000',
      'yen',
      '.',
    ]);
    // A period before a digit is still split when a non-digit precedes it.
    expect(tokenize13a('.5 and end.')).toEqual(['.', '5', 'and', 'end', '.']);
  });

  it('splits a dash after a digit only', () => {
    expect(tokenize13a('1990-2000 and well-known -5')).toEqual([
      '1990',
      '-',
      '2000',
      'and',
      'well-known',
      '-5',
    ]);
  });

  it('un-escapes entities, drops <skipped>, joins words hyphenated across lines', () => {
    expect(tokenize13a('&quot;quoted&quot; &amp; &lt;tag&gt;')).toEqual([
      '"',
      'quoted',
      '"',
      '&',
      '<',
      'tag',
      '>',
    ]);
    expect(tokenize13a('<skipped>word hyphen-\nated two\nlines')).toEqual([
      'word',
      'hyphenated',
      'two',
      'lines',
    ]);
    expect(tokenize13a('  many   spaces\t')).toEqual(['many', 'spaces']);
    expect(tokenize13a('')).toEqual([]);
  });
});

describe('corpusBleu worked out by hand', () => {
  it('one sentence, one zero-match order (exp smoothing)', () => {
    // hyp: the cat sat on the mat / ref: the cat is on the mat (6 tokens each, BP = 1)
    // 1-grams 5/6 (the×2 cat on mat), 2-grams 3/5 (the cat, on the, the mat), 3-grams 1/4 (on the mat),
    // 4-grams 0/3 → exp smoothing 100/(2·3).
    const r = corpusBleu(['the cat sat on the mat'], ['the cat is on the mat']);
    expect(r.counts).toEqual([5, 3, 1, 0]);
    expect(r.totals).toEqual([6, 5, 4, 3]);
    expect(r.precisions[0]).toBeCloseTo(500 / 6, 12);
    expect(r.precisions[3]).toBeCloseTo(100 / 6, 12);
    expect(r.bp).toBe(1);
    // (5/6 · 3/5 · 1/4 · 1/6)^(1/4) = (1/48)^(1/4)
    expect(r.score).toBeCloseTo(100 / 48 ** 0.25, 10);
  });

  it('two orders without matches: the smoothing exponent increments', () => {
    // hyp: a b x c d / ref: a b y c d. 1: 4/5, 2: 2/4, 3: 0/3 → 100/(2·3), 4: 0/2 → 100/(4·2)
    const r = corpusBleu(['a b x c d'], ['a b y c d']);
    expect(r.counts).toEqual([4, 2, 0, 0]);
    expect(r.totals).toEqual([5, 4, 3, 2]);
    expect(r.precisions[2]).toBeCloseTo(100 / 6, 12);
    expect(r.precisions[3]).toBeCloseTo(100 / 8, 12);
    expect(r.score).toBeCloseTo(100 * (1 / 120) ** 0.25, 10); // (4/5 · 2/4 · 1/6 · 1/8)^(1/4)
  });

  it('corpus-level counts, clipping by the max count over references, closest length, brevity penalty', () => {
    // A: hyp "the the the the", refs "the cat is here" (4) and "the the cat" (3)
    //    1-grams: the×4 clipped to max(1, 2) = 2 → 2/4; 2-grams: "the the"×3 clipped to 1 → 1/3;
    //    3-grams 0/2; 4-grams 0/1; closest ref length 4.
    // B: hyp "a b c", ref "a b c d e": 3/3, 2/2, 1/1, 0/0; ref length 5.
    // Corpus: counts [5, 3, 1, 0], totals [7, 5, 3, 1], c = 7, r = 9, BP = exp(1 − 9/7).
    const r = corpusBleu(['the the the the', 'a b c'], [['the cat is here', 'the the cat'], 'a b c d e']);
    expect(r.counts).toEqual([5, 3, 1, 0]);
    expect(r.totals).toEqual([7, 5, 3, 1]);
    expect(r.sysLen).toBe(7);
    expect(r.refLen).toBe(9);
    expect(r.bp).toBeCloseTo(Math.exp(-2 / 7), 15);
    expect(r.precisions[3]).toBe(50); // 100 / (2 · 1)
    // (5/7 · 3/5 · 1/3 · 1/2)^(1/4) = (1/14)^(1/4)
    expect(r.score).toBeCloseTo(100 * Math.exp(-2 / 7) * (1 / 14) ** 0.25, 10);
  });

  it('closest reference length: nearest, the shorter on a tie; empty references skipped', () => {
    expect(corpusBleu(['a b c d'], [['a b c', 'a b c d e']]).refLen).toBe(3);
    expect(corpusBleu(['a b c d'], [['a b', 'a b c d e']]).refLen).toBe(5);
    expect(corpusBleu(['a b c d'], [['', 'a b']]).refLen).toBe(2);
  });

  it('no match at any order scores 0', () => {
    const r = corpusBleu(['x y z'], ['a b c']);
    expect(r.score).toBe(0);
    expect(r.precisions).toEqual([0, 0, 0, 0]);
  });
});

// Values from sacrebleu's own tests (test/test_bleu.py, test/test_sentence_bleu.py). sacrebleu takes reference
// streams (refs[k][i]); corpusBleu takes references per hypothesis, so the streams are transposed here.
describe('corpusBleu against sacrebleu’s published values', () => {
  const refStreams = [
    ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
    ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
  ];
  const refs = refStreams[0]!.map((_, i) => refStreams.map((stream) => stream[i]!));
  const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

  // sacrebleu checks these to 1e-8.
  const near = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThan(1e-8);

  it('the README example', () => {
    near(corpusBleu(hyps, refs).score, 48.530827);
    near(corpusBleu(hyps, refs, { tokenize: '13a' }).score, 48.530827);
    near(corpusBleu(hyps, refs, { smoothMethod: 'none' }).score, 48.530827);
    near(corpusBleu(hyps, refs, { tokenize: 'none' }).score, 49.1919566);
    expect(corpusBleu(['', '', ''], refs).score).toBe(0);
  });

  it('the README example at n-gram orders 1 to 6', () => {
    const expected = ['77.65', '60.50', '53.93', '48.53', '46.14', '43.28'];
    expected.forEach((score, k) => {
      expect(corpusBleu(hyps, refs, { maxNgramOrder: k + 1 }).score.toFixed(2)).toBe(score);
    });
  });

  // sacrebleu.raw_corpus_bleu: floor smoothing, no tokenisation, effective order.
  const raw = (h: string[], r: string[], smoothValue = 0.01) =>
    corpusBleu(h, r, { smoothMethod: 'floor', smoothValue, tokenize: 'none', effectiveOrder: true });

  it('raw corpus BLEU, effective order and statistics', () => {
    expect(raw(['this is a test', 'another test'], ['ref1', 'ref2']).score).toBe(0);
    expect(raw(['this is a test'], ['this is a test']).score / 100).toBeCloseTo(1, 8);
    expect(raw(['this is a fest'], ['this is a test']).score / 100).toBeCloseTo(0.223606797749979, 8);
    expect(raw(['test'], ['a test']).score / 100).toBeCloseTo(0.3678794411714425, 8);
    expect(raw(['a test'], ['a test']).score / 100).toBeCloseTo(1, 8);
    expect(raw(['a little test'], ['a test']).score / 100).toBeCloseTo(0.03218297948685433, 8);
    const stats = raw(['am I am a character sequence'], ['I am a symbol string sequence a a']);
    expect([stats.counts, stats.totals]).toEqual([
      [4, 2, 1, 0],
      [6, 5, 4, 3],
    ]);
    expect(
      raw(['am I am a character sequence'], ['I am a symbol string sequence a a'], 0.1).score / 100,
    ).toBeCloseTo(0.1555722182, 8);
    expect(raw(['am I am a character sequence'], ['I am a symbol string sequence a a'], 0).score).toBe(0);
  });

  it('scoring from statistics, and degenerate statistics', () => {
    expect(
      bleuFromStatistics([9, 7, 5, 3], [10, 8, 6, 4], 11, 11, { smoothMethod: 'none' }).score / 100,
    ).toBeCloseTo(0.8375922397, 8);
    const degenerate: [number[], number[], number, number, number][] = [
      [[0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0],
      [[0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0],
      [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0],
      [[6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0],
      [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1],
      [[0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01],
    ];
    for (const [counts, totals, sys, ref, smoothValue] of degenerate) {
      expect(bleuFromStatistics(counts, totals, sys, ref, { smoothMethod: 'floor', smoothValue }).score).toBe(
        0,
      );
    }
  });

  it('sentence-level smoothing methods (effective order)', () => {
    const ref = 'producţia de zahăr brut se exprimă în zahăr alb;';
    const sys = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
    const cases: [BleuSmooth, number | undefined, '13a' | 'none', number][] = [
      ['exp', undefined, '13a', 8.493],
      ['none', undefined, '13a', 0.0],
      ['floor', undefined, '13a', 4.51688],
      ['floor', 0.1, '13a', 4.51688],
      ['floor', 0.5, '13a', 10.1],
      ['add-k', undefined, '13a', 14.882],
      ['add-k', 1, '13a', 14.882],
      ['add-k', 2, '13a', 21.389],
      ['exp', undefined, 'none', 7.347],
    ];
    for (const [smoothMethod, smoothValue, tokenize, expected] of cases) {
      const score = corpusBleu([sys], [ref], {
        smoothMethod,
        smoothValue,
        tokenize,
        effectiveOrder: true,
      }).score;
      expect(Math.abs(score - expected), `${smoothMethod} ${smoothValue} ${tokenize}: ${score}`).toBeLessThan(
        1e-3,
      );
    }
    for (const smoothMethod of ['exp', 'none', 'floor', 'add-k'] as const) {
      expect(
        corpusBleu(['this is a cat'], ['okay thanks'], { smoothMethod, effectiveOrder: true }).score,
      ).toBe(0);
    }
  });

  it('lowercase', () => {
    expect(corpusBleu(['THE CAT'], ['the cat'], { lowercase: true }).counts).toEqual([2, 1, 0, 0]);
    expect(corpusBleu(['THE CAT'], ['the cat']).counts).toEqual([0, 0, 0, 0]);
  });

  it('rejects mismatched or missing input', () => {
    expect(() => corpusBleu(['a'], [])).toThrow('corpusBleu: 1 hypotheses but 0 references');
    expect(() => corpusBleu(['a'], [['', '']])).toThrow(
      'corpusBleu: hypothesis 0 has no non-empty reference',
    );
    expect(() => corpusBleu(['a'], ['a'], { smoothMethod: 'bad' as never })).toThrow(
      "corpusBleu: unknown smoothMethod 'bad'",
    );
    expect(() => corpusBleu(['a'], ['a'], { maxNgramOrder: 0 })).toThrow('corpusBleu: maxNgramOrder must be');
  });
});

type BleuSmooth = 'exp' | 'floor' | 'add-k' | 'none';

describe('classification and sequence metrics', () => {
  it('accuracy, from arrays or tensors', () => {
    expect(accuracy([0, 1, 2, 1], [0, 2, 2, 1])).toBe(0.75);
    expect(accuracy(tensor([0, 1], { dtype: 'int32' }), tensor([0, 0], { dtype: 'int32' }))).toBe(0.5);
    expect(() => accuracy([0, 1], [0])).toThrow('accuracy: pred has 2 labels, gold has 1');
    expect(() => accuracy([], [])).toThrow('accuracy: no labels to score');
    expect(() => accuracy([0.5], [0])).toThrow('accuracy: pred[0] is 0.5, not an integer class id');
  });

  it('macroF1 averages per-class F1 = 2TP / (2TP + FP + FN)', () => {
    // class 0: TP 1, FP 1, FN 0 → 2/3; class 1: TP 2, FP 0, FN 1 → 4/5; class 2: TP 1 → 1
    const pred = [0, 0, 1, 1, 2];
    const gold = [0, 1, 1, 1, 2];
    expect(macroF1(pred, gold)).toBeCloseTo((2 / 3 + 4 / 5 + 1) / 3, 15);
    // A class absent from both is not averaged; one never predicted counts with F1 = 0.
    expect(macroF1(pred, gold, 4)).toBeCloseTo((2 / 3 + 4 / 5 + 1) / 3, 15);
    expect(macroF1([0, 0], [0, 1])).toBeCloseTo((2 / 3 + 0) / 2, 15);
    expect(() => macroF1([0, 5], [0, 1], 3)).toThrow('macroF1: pred[1] = 5 is outside [0, 3)');
  });

  it('tokenAccuracy ignores positions whose gold token is the pad id', () => {
    const pred = tensor(
      [
        [1, 2, 0],
        [3, 3, 7],
      ],
      { dtype: 'int32' },
    );
    const gold = tensor(
      [
        [1, 5, 0],
        [3, 3, 0],
      ],
      { dtype: 'int32' },
    );
    expect(tokenAccuracy(pred, gold, 0)).toBe(0.75); // 3 of the 4 non-pad positions
    expect(tokenAccuracy(pred, gold)).toBe(4 / 6);
    expect(() => tokenAccuracy([1, 1], [0, 0], 0)).toThrow('tokenAccuracy: every gold token is the pad id 0');
  });

  it('exactMatch compares whole strings or id sequences', () => {
    expect(exactMatch(['a b', 'c'], ['a b', 'd'])).toBe(0.5);
    expect(
      exactMatch(
        [[1, 2], [3]],
        [
          [1, 2],
          [3, 4],
        ],
      ),
    ).toBe(0.5);
    expect(exactMatch([new Int32Array([1, 2])], [[1, 2]])).toBe(1);
    expect(() => exactMatch(['a'], [])).toThrow('exactMatch: pred has 1 items, gold has 0');
  });
});

// Published values: sacrebleu's own tests (test/test_chrf.py: test_cases and test_cases_effective_order with
// char_order 6, word_order 0, beta 3, eps_smoothing on and off; test_cases_keep_whitespace; the sentence-level
// cases with the defaults and eps_smoothing), checked there to 1e-4, and the chrF/chrF++ examples of Hugging Face
// evaluate's chrf metric card (metrics/chrf/README.md), which runs sacrebleu with its defaults.
describe('corpusChrf against sacrebleu’s published values', () => {
  const near = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThan(1e-4);

  it('test_chrf: ε smoothing, β 3', () => {
    const cases: [string[], string[], number][] = [
      [['abcdefg'], ['hijklmnop'], 0.0],
      [['a'], ['b'], 0.0],
      [[''], ['b'], 0.0],
      [[''], ['ref'], 0.0],
      [[''], ['reference'], 0.0],
      [['aa'], ['ab'], 8.3333],
      [['a', 'b'], ['a', 'c'], 8.3333],
      [['a'], ['a'], 16.6667],
      [['a b c'], ['a b c'], 50.0],
      [['a b c'], ['abc'], 50.0],
      [
        [
          ' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
        ],
        [
          'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .',
        ],
        63.36173,
      ],
      [
        [' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
        ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
        64.1302698,
      ],
      [
        ['Niemand hat die Absicht, eine Mauer zu errichten'],
        ['Niemand hat die Absicht, eine Mauer zu errichten'],
        100.0,
      ],
    ];
    for (const [hyps, refs, expected] of cases)
      near(
        corpusChrf(hyps, refs, { charOrder: 6, wordOrder: 0, beta: 3, epsSmoothing: true }).score,
        expected,
      );
  });

  it('test_chrf_eff_order: the default effective-order mean, β 3', () => {
    const cases: [string[], string[], number][] = [
      [['a'], ['a'], 100.0],
      [[''], ['reference'], 0.0],
      [['a b c'], ['a b c'], 100.0],
      [['a b c'], ['abc'], 100.0],
      [[''], ['c'], 0.0],
      [['a', 'b'], ['a', 'c'], 50.0],
      [['aa'], ['ab'], 25.0],
    ];
    for (const [hyps, refs, expected] of cases) near(corpusChrf(hyps, refs, { beta: 3 }).score, expected);
  });

  it('test_chrf_keep_whitespace', () => {
    near(
      corpusChrf(
        ['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.'],
        ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
        { beta: 3, whitespace: true },
      ).score,
      67.3481606,
    );
    near(
      corpusChrf(
        [
          'risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
        ],
        [
          'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .',
        ],
        { beta: 3, whitespace: true },
      ).score,
      65.2414427,
    );
  });

  it('test_chrf_sentence_level: the defaults (β 2) with ε smoothing', () => {
    const cases: [string, string, number][] = [
      [
        'Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.',
        'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.',
        39.14078509,
      ],
      [
        'Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.',
        'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.',
        31.22557079,
      ],
      [
        'Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.',
        'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.',
        57.15704367,
      ],
    ];
    for (const [hyp, ref, expected] of cases)
      near(corpusChrf([hyp], [[ref]], { epsSmoothing: true }).score, expected);
  });

  it('chrF and chrF++ with the defaults (the evaluate metric card)', () => {
    const hyps = [
      'The relationship between cats and dogs is not exactly friendly.',
      'a good bookshop is just a genteel black hole that knows how to read.',
    ];
    const refs = [
      ['The relationship between dogs and cats is not exactly friendly.'],
      ['A good bookshop is just a genteel Black Hole that knows how to read.'],
    ];
    near(corpusChrf(hyps, refs).score, 84.64214891738334);
    near(corpusChrf(hyps, refs, { wordOrder: 2 }).score, 82.87263732906315);
    near(corpusChrf(hyps, refs, { wordOrder: 2, lowercase: true }).score, 92.12853119829202);
  });

  it('statistics, punctuation split off words, the best of several references, bad input', () => {
    const r = corpusChrf(['ab.'], ['ab'], { charOrder: 2, wordOrder: 1 });
    // chars a b . / ab b. ; words "ab" "." against "ab".
    expect(r.statistics).toEqual([
      [3, 2, 2],
      [2, 1, 1],
      [2, 1, 1],
    ]);
    expect(r.score).toBeCloseTo(chrfFromStatistics(r.statistics), 12);
    expect(corpusChrf(['a b'], [['x y', 'a b']]).score).toBe(100);
    expect(() => corpusChrf(['a'], ['a'], { order: 3 } as never)).toThrow(
      "corpusChrf: unknown option 'order' (expected charOrder, wordOrder, beta, lowercase, whitespace, epsSmoothing)",
    );
    expect(() => corpusChrf(['a'], [])).toThrow('corpusChrf: 1 hypotheses but 0 references');
    expect(() => corpusChrf(['a'], ['a'], { charOrder: 0 })).toThrow('charOrder and wordOrder are both 0');
  });
});
