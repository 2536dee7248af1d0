// model.py's tokenizers against attn's: the word and char tokenizers of tokenizers.json encode and decode text
// in Python exactly as attn's do (normalisation: case, accents, Unicode forms, punctuation, whitespace), and a
// BPE tokenizer, which model.py does not implement, is refused by name.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BpeTokenizer, CharTokenizer, WordTokenizer, type Tokenizer } from '../../src/index.js';
import { PYTHON, skipWithoutTorch } from './torch-python.js';

const MODEL_DIR = fileURLToPath(new URL('../../src/export/pytorch/', import.meta.url));

const CORPUS = [
  'Où est la gare ? Je ne sais pas.',
  'ÉCOLE, café; naïve «déjà» vu!',
  'Tom’s  dog\tran (fast)…  home.',
  'İstanbul — Straße – ﬁne ½',
];
const TEXTS = [...CORPUS, '  Café   CAFÉ café ', 'unknown wörds here?!', 'ﬁ½ İ', ''];

/** Python's ids and decoded text of TEXTS with model.py's Tokenizer of `tokenizer`'s JSON. */
function python(tokenizer: Tokenizer): { ids: number[][]; text: string[] } | { error: string } {
  const code = `
import json, sys
sys.path.insert(0, sys.argv[1])
from model import Tokenizer
spec, texts = json.load(sys.stdin)
try:
    t = Tokenizer(spec)
except ValueError as e:
    print(json.dumps({"error": str(e)})); sys.exit(0)
ids = [t.encode(x) for x in texts]
print(json.dumps({"ids": ids, "text": [t.decode(i) for i in ids]}))
`;
  const result = spawnSync(PYTHON, ['-c', code, MODEL_DIR], {
    input: JSON.stringify([tokenizer.toJSON(), TEXTS]),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as { ids: number[][]; text: string[] };
}

describe.skipIf(skipWithoutTorch('pytorch-tokenizers.test.ts'))("model.py's tokenizers", () => {
  it.each([
    ['word, default normalisation', WordTokenizer.train(CORPUS)],
    [
      'word, accents stripped, NFC, case kept',
      WordTokenizer.train(CORPUS, { normalize: { stripAccents: true, unicode: 'NFC', lowercase: false } }),
    ],
    [
      'word, NFKC, no punctuation spacing',
      WordTokenizer.train(CORPUS, { normalize: { unicode: 'NFKC', spacePunctuation: false } }),
    ],
    ['char, default normalisation', CharTokenizer.train(CORPUS)],
    [
      'char, NFC, whitespace kept',
      CharTokenizer.train(CORPUS, { normalize: { unicode: 'NFC', collapseWhitespace: false } }),
    ],
  ])('%s: encodes and decodes as attn', (_name, tokenizer) => {
    const got = python(tokenizer);
    expect(got).toEqual({
      ids: TEXTS.map((t) => tokenizer.encode(t)),
      text: TEXTS.map((t) => tokenizer.decode(tokenizer.encode(t))),
    });
  });

  it('refuses a BPE tokenizer, saying to pass ids', () => {
    const got = python(BpeTokenizer.train(CORPUS, { numMerges: 5 }));
    expect(got).toEqual({
      error:
        "tokenizer type 'bpe': this Python tokenizer reads attn's word and char tokenizers; encode with attn and pass ids for others",
    });
  });
});
