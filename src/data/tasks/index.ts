export * from './date-formats.js';
export * from './date-task.js';
export * from './reversal-task.js';
