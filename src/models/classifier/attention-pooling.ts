/** Attention pooling lives with the other attention layers (attention/pooling.ts). */
export { AttentionPooling, type AttentionPoolingResult } from '../../attention/pooling.js';
