/** The Node-only part of attn's data layer: reading corpora from files, streamed or whole. */
export { readLines, readLineRecords, DEFAULT_MAX_LINE_BYTES, type ReadLinesOptions } from './read-lines.js';
export { readPairsFile, loadPairsFile } from './pairs-file.js';
export { readClassificationFile, loadClassificationFile } from './classification-file.js';
