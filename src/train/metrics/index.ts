export { corpusBleu, bleuFromStatistics, type BleuOptions, type BleuResult } from './bleu.js';
export { corpusChrf, chrfFromStatistics, type ChrfOptions, type ChrfResult } from './chrf.js';
export { tokenize13a } from './tokenize-13a.js';
export { accuracy } from './accuracy.js';
export { macroF1 } from './macro-f1.js';
export { tokenAccuracy } from './token-accuracy.js';
export { exactMatch, type MatchItem } from './exact-match.js';
export type { Labels } from './labels.js';
