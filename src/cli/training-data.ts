/**
 * The data of a training run: a built-in task or a file (sentence pairs, or labelled texts), a dev split (a
 * file, or a seeded share of the data), tokenizers trained on the training split (or the ones a resumed run
 * saved), and the examples as ids. Malformed lines stop the run with `file:line: problem`, or with
 * `--skip-malformed` are skipped and summed up in a note; an empty corpus is an error naming the file.
 */
import { CharTokenizer } from '../data/char-tokenizer.js';
import { BpeTokenizer } from '../data/bpe-tokenizer.js';
import { WordTokenizer } from '../data/word-tokenizer.js';
import type { SequenceExample, TranslationExample } from '../data/batching.js';
import { loadClassificationFile } from '../data/node/classification-file.js';
import { loadPairsFile } from '../data/node/pairs-file.js';
import type { SentencePair } from '../data/pairs.js';
import { formatProblem, type DataProblem } from '../data/problems.js';
import { splitDataset } from '../data/split.js';
import { dateTask } from '../data/tasks/date-task.js';
import { reversalTask } from '../data/tasks/reversal-task.js';
import type { Tokenizer } from '../data/tokenizer.js';
import type { PredictorTokenizers } from '../inference/predictor.js';
import { fail } from '../tensor/errors.js';
import type { DataSettings } from './train-settings.js';
import { onMalformed } from './data-file-options.js';

export type PreparedData =
  | {
      task: 'translate';
      tokenizers: { source: Tokenizer; target: Tokenizer };
      train: TranslationExample[];
      dev: TranslationExample[];
      /** The training pairs as text (the demo holds out dates not among them). */
      trainPairs: SentencePair[];
      notes: string[];
    }
  | {
      task: 'classify';
      tokenizers: { text: Tokenizer };
      labels: string[];
      train: SequenceExample[];
      dev: SequenceExample[];
      notes: string[];
    };

/** What a resumed run brings: its tokenizers and labels, so that ids mean what they meant. */
export interface SavedVocabulary {
  tokenizers: PredictorTokenizers;
  labels?: string[];
}

const OP = 'attn train';

function problemNote(file: string, problems: DataProblem[]): string[] {
  if (problems.length === 0) return [];
  return [
    `skipped ${problems.length} malformed line${problems.length === 1 ? '' : 's'} of ${file} (first: ${formatProblem(problems[0]!)})`,
  ];
}

/** A new tokenizer of the settings' kind over `texts`. */
function trainTokenizer(settings: DataSettings, texts: string[]): Tokenizer {
  // NFC keeps an accented letter one character, so output text looks as typed.
  const normalize = { unicode: 'NFC' as const };
  switch (settings.tokenizer) {
    case 'char':
      return CharTokenizer.train(texts, { normalize, maxSize: settings.vocabSize });
    case 'bpe':
      return BpeTokenizer.train(texts, { normalize, vocabSize: settings.vocabSize ?? 8000 });
    case 'word':
      return WordTokenizer.train(texts, {
        normalize,
        maxSize: settings.vocabSize,
        minFrequency: settings.minFreq,
      });
  }
}

/** Seeded train/dev split of `items` holding out `fraction` (at least one item each side). */
function holdOut<T>(items: T[], fraction: number, seed: number, what: string): { train: T[]; dev: T[] } {
  if (items.length < 2)
    fail(
      OP,
      `${what} has ${items.length} example; at least 2 are needed to hold some out for evaluation (or give --dev FILE)`,
    );
  const dev = Math.min(items.length - 1, Math.max(1, Math.round(items.length * fraction)));
  const split = splitDataset(items, { counts: { dev }, seed });
  return { train: split.train, dev: split.dev };
}

/**
 * Encodes pairs, dropping those with an empty side after tokenization or longer than `maxLength` tokens
 * (the `<eos>` the batches add counted), and notes how many went.
 */
function encodePairs(
  pairs: SentencePair[],
  tokenizers: { source: Tokenizer; target: Tokenizer },
  maxLength: number,
  what: string,
  notes: string[],
): TranslationExample[] {
  const out: TranslationExample[] = [];
  let empty = 0;
  let long = 0;
  for (const p of pairs) {
    const source = tokenizers.source.encode(p.source);
    const target = tokenizers.target.encode(p.target);
    if (source.length === 0 || target.length === 0) empty++;
    else if (source.length + 1 > maxLength || target.length + 1 > maxLength) long++;
    else out.push({ source, target });
  }
  if (empty > 0)
    notes.push(`dropped ${empty} pair${empty === 1 ? '' : 's'} of ${what} with no tokens on one side`);
  if (long > 0)
    notes.push(
      `dropped ${long} pair${long === 1 ? '' : 's'} of ${what} longer than the model's ${maxLength} positions`,
    );
  return out;
}

async function translationData(
  settings: DataSettings,
  seed: number,
  maxLength: number,
  saved: SavedVocabulary | undefined,
): Promise<PreparedData> {
  const notes: string[] = [];
  let pairs: SentencePair[];
  let devPairs: SentencePair[] | undefined;
  let builtinTokenizers: { source: Tokenizer; target: Tokenizer } | undefined;
  const readOptions = {
    sourceColumn: settings.sourceColumn,
    onError: onMalformed(settings),
    maxTokens: settings.maxTokens,
    maxLineTokens: settings.maxLineTokens,
  };
  if (settings.builtin === 'date') {
    const task = dateTask({ count: settings.count!, seed: seed + 1 });
    pairs = task.pairs.map(({ source, target }) => ({ source, target }));
    builtinTokenizers = { source: task.sourceTokenizer, target: task.targetTokenizer };
  } else if (settings.builtin === 'reversal') {
    const task = reversalTask({ count: settings.count!, seed: seed + 1 });
    pairs = task.pairs;
    builtinTokenizers = { source: task.sourceTokenizer, target: task.targetTokenizer };
  } else {
    const file = settings.file!;
    const result = await loadPairsFile(file, readOptions);
    notes.push(...problemNote(file, result.problems));
    if (result.filtered > 0)
      notes.push(`dropped ${result.filtered} pairs of ${file} longer than --max-tokens`);
    if (result.pairs.length === 0) {
      fail(
        OP,
        `${file} holds no sentence pairs (expected lines "source<TAB>target"${result.problems.length ? `; ${result.problems.length} malformed lines were skipped` : ''})`,
      );
    }
    pairs = result.pairs;
  }
  if (settings.dev !== undefined) {
    const result = await loadPairsFile(settings.dev, readOptions);
    notes.push(...problemNote(settings.dev, result.problems));
    if (result.pairs.length === 0) fail(OP, `${settings.dev} (--dev) holds no sentence pairs`);
    devPairs = result.pairs;
  }
  let trainPairs = pairs;
  if (devPairs === undefined) {
    const split = holdOut(pairs, settings.devFraction, seed, settings.file ?? `the ${settings.builtin} task`);
    trainPairs = split.train;
    devPairs = split.dev;
  }
  const given = saved?.tokenizers;
  const tokenizers =
    given && 'source' in given
      ? given
      : (builtinTokenizers ?? {
          source: trainTokenizer(
            settings,
            trainPairs.map((p) => p.source),
          ),
          target: trainTokenizer(
            settings,
            trainPairs.map((p) => p.target),
          ),
        });
  const train = encodePairs(trainPairs, tokenizers, maxLength, 'the training data', notes);
  const dev = encodePairs(devPairs, tokenizers, maxLength, 'the dev data', notes);
  if (train.length === 0) fail(OP, 'no training pairs are left after tokenization');
  if (dev.length === 0) fail(OP, 'no dev pairs are left after tokenization');
  return { task: 'translate', tokenizers, train, dev, trainPairs, notes };
}

async function classificationData(
  settings: DataSettings,
  seed: number,
  maxLength: number,
  saved: SavedVocabulary | undefined,
): Promise<PreparedData> {
  const notes: string[] = [];
  const file = settings.file!;
  const readOptions = {
    textColumn: settings.textColumn,
    labelColumn: settings.labelColumn,
    format: settings.format,
    onError: onMalformed(settings),
    maxTokens: settings.maxTokens,
    maxLineTokens: settings.maxLineTokens,
  };
  const result = await loadClassificationFile(file, { ...readOptions, labels: saved?.labels });
  notes.push(...problemNote(file, result.problems));
  if (result.filtered > 0)
    notes.push(`dropped ${result.filtered} examples of ${file} longer than --max-tokens`);
  if (result.examples.length === 0)
    fail(OP, `${file} holds no labelled examples (expected lines "text<TAB>label")`);
  const labels = result.labels;
  if (labels.length < 2) fail(OP, `${file} has only one label (${labels[0]}); a classifier needs at least 2`);
  let examples = result.examples;
  let devExamples;
  if (settings.dev !== undefined) {
    const dev = await loadClassificationFile(settings.dev, { ...readOptions, labels });
    notes.push(...problemNote(settings.dev, dev.problems));
    if (dev.examples.length === 0) fail(OP, `${settings.dev} (--dev) holds no labelled examples`);
    devExamples = dev.examples;
  } else {
    const split = holdOut(examples, settings.devFraction, seed, file);
    examples = split.train;
    devExamples = split.dev;
  }
  const given = saved?.tokenizers;
  const tokenizer =
    given && 'text' in given
      ? given.text
      : trainTokenizer(
          settings,
          examples.map((e) => e.text),
        );
  const encode = (list: typeof examples, what: string): SequenceExample[] => {
    const out: SequenceExample[] = [];
    let dropped = 0;
    for (const e of list) {
      const ids = tokenizer.encode(e.text);
      if (ids.length === 0 || ids.length > maxLength) dropped++;
      else out.push({ ids, label: e.label });
    }
    if (dropped > 0)
      notes.push(`dropped ${dropped} examples of ${what} that are empty or longer than ${maxLength} tokens`);
    return out;
  };
  const train = encode(examples, 'the training data');
  const dev = encode(devExamples, 'the dev data');
  if (train.length === 0 || dev.length === 0) fail(OP, 'no examples are left after tokenization');
  return { task: 'classify', tokenizers: { text: tokenizer }, labels, train, dev, notes };
}

/** Reads, splits, tokenizes and encodes the run's data (see the file comment). */
export function prepareData(
  task: 'translate' | 'classify',
  settings: DataSettings,
  seed: number,
  maxLength: number,
  saved?: SavedVocabulary,
): Promise<PreparedData> {
  return task === 'translate'
    ? translationData(settings, seed, maxLength, saved)
    : classificationData(settings, seed, maxLength, saved);
}
