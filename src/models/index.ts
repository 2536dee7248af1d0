export * from './transformer/index.js';
