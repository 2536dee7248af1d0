/**
 * The data layer (browser-safe): text normalisation, tokenizers and vocabularies, corpus parsers over text,
 * splits, length-bucketed batching and the built-in synthetic tasks. Reading files lives in `./node/`, exported
 * from `attn/node`.
 */
export * from './vocabulary.js';
export * from './normalize.js';
export * from './tokenizer.js';
export { WordTokenizer, type WordTokenizerTrainOptions } from './word-tokenizer.js';
export { CharTokenizer, type CharTokenizerTrainOptions } from './char-tokenizer.js';
export {
  BpeTokenizer,
  DEFAULT_END_OF_WORD,
  type BpeTrainOptions,
  type BpeTokenizerJSON,
} from './bpe-tokenizer.js';
export { tokenizerFromJSON } from './load-tokenizer.js';
export * from './problems.js';
export { splitLines } from './lines.js';
export { LineSplitter, type LineRecord } from './line-splitter.js';
export {
  DelimitedRecordReader,
  parseDelimitedLine,
  type DelimitedOptions,
  type DelimitedRecord,
} from './delimited.js';
export * from './pairs.js';
export {
  ClassificationParser,
  parseClassification,
  sortLabels,
  type ClassificationExample,
  type ClassificationReaderOptions,
  type ClassificationResult,
  type ColumnSelector,
} from './classification.js';
export {
  DEFAULT_MAX_LINE_TOKENS,
  filterPairsByLength,
  whitespaceTokenCount,
  type LengthFilterOptions,
} from './length-filter.js';
export * from './split.js';
export * from './padding.js';
export * from './batching.js';
export * from './tasks/index.js';
