/** Text-classification CSV/TSV files (Node only): a streaming reader and an in-memory loader. */
import {
  ClassificationParser,
  collectClassification,
  type ClassificationExample,
  type ClassificationReaderOptions,
  type ClassificationResult,
} from '../classification.js';
import { parseLineRecords } from './read-lines.js';

/** The options with the format taken from the file name (`.csv` → CSV, otherwise TSV) unless given. */
function withFileDefaults(path: string, options: ClassificationReaderOptions): ClassificationReaderOptions {
  return {
    ...options,
    file: options.file ?? path,
    format: options.format ?? (/\.csv$/i.test(path) ? 'csv' : 'tsv'),
  };
}

/**
 * Streams the examples of a classification file. Without `labels`, ids follow the order in which labels first
 * appear (a stream cannot sort what it has not seen yet): pass `labels` for ids that match `loadClassificationFile`.
 */
export async function* readClassificationFile(
  path: string,
  options: ClassificationReaderOptions = {},
): AsyncGenerator<ClassificationExample> {
  const parser = new ClassificationParser(withFileDefaults(path, options));
  yield* parseLineRecords(path, parser, options.maxLineTokens);
  parser.finish();
}

/** Reads a whole classification file into memory; without `labels`, ids follow the sorted labels. */
export async function loadClassificationFile(
  path: string,
  options: ClassificationReaderOptions = {},
): Promise<ClassificationResult> {
  const resolved = withFileDefaults(path, options);
  const parser = new ClassificationParser(resolved);
  const examples: ClassificationExample[] = [];
  for await (const example of parseLineRecords(path, parser, options.maxLineTokens)) examples.push(example);
  parser.finish();
  return collectClassification(parser, examples, resolved);
}
