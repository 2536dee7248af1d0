/** Sentence pairs from a tab-separated file (Node only): a streaming reader and an in-memory loader. */
import { PairParser, type PairReaderOptions, type PairsResult, type SentencePair } from '../pairs.js';
import { parseLineRecords } from './read-lines.js';

/**
 * Streams the pairs of a Tatoeba/Anki file (see `PairReaderOptions`; problems are named after `path` unless
 * `file` is given). When skipping malformed lines, `onProblem` hears of each as it is found.
 */
export async function* readPairsFile(
  path: string,
  options: PairReaderOptions = {},
): AsyncGenerator<SentencePair> {
  const parser = new PairParser({ ...options, file: options.file ?? path });
  yield* parseLineRecords(path, parser, options.maxLineTokens);
}

/** Reads a whole pairs file into memory, with the problems skipped and the number of pairs filtered. */
export async function loadPairsFile(path: string, options: PairReaderOptions = {}): Promise<PairsResult> {
  const parser = new PairParser({ ...options, file: options.file ?? path });
  const pairs: SentencePair[] = [];
  for await (const pair of parseLineRecords(path, parser, options.maxLineTokens)) pairs.push(pair);
  return { pairs, problems: parser.problems, filtered: parser.filtered };
}
