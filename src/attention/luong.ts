/**
 * Luong et al. (2015) name three scores for their global and local attention: dot, general and concat. This
 * picks the layer for a name; the layers themselves live in dot.ts, general.ts and concat.ts.
 */
import { fail } from '../tensor/errors.js';
import type { Attention, AttentionOptions } from './attention.js';
import { ConcatAttention } from './concat.js';
import { DotAttention } from './dot.js';
import { GeneralAttention } from './general.js';

export type LuongScore = 'dot' | 'general' | 'concat';

export function luongAttention(score: LuongScore, dim: number, options: AttentionOptions = {}): Attention {
  switch (score) {
    case 'dot':
      return new DotAttention(dim, options);
    case 'general':
      return new GeneralAttention(dim, dim, options);
    case 'concat':
      return new ConcatAttention(dim, dim, dim, options);
    default:
      return fail('luongAttention', `score must be 'dot', 'general' or 'concat', got ${String(score)}`);
  }
}
