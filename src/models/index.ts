export * from './transformer/index.js';
export * from './transformer-seq2seq/index.js';
export * from './classifier/index.js';
export * from './seq2seq/index.js';
