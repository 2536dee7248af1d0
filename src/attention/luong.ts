/**
 * Luong et al. (2015) name four scores for their global and local attention: dot, general and concat, which compare
 * the decoder state with each source state, and location, a_t = softmax(W_a h_t), which scores the source positions
 * from the decoder state alone. This picks the layer for a name; the layers themselves live in dot.ts, general.ts,
 * concat.ts and location.ts.
 */
import { fail } from '../tensor/errors.js';
import type { Attention, AttentionOptions } from './attention.js';
import { ConcatAttention } from './concat.js';
import { DotAttention } from './dot.js';
import { GeneralAttention } from './general.js';
import { LocationAttention } from './location.js';

export type LuongScore = 'dot' | 'general' | 'concat' | 'location';

export const LUONG_SCORES: readonly LuongScore[] = ['dot', 'general', 'concat', 'location'];

export interface LuongAttentionOptions extends AttentionOptions {
  /** 'location' only (and required there): the longest source W_a scores. */
  maxSourceLength?: number;
}

export function luongAttention(
  score: LuongScore,
  dim: number,
  options: LuongAttentionOptions = {},
): Attention {
  const { maxSourceLength, ...rest } = options;
  if (maxSourceLength !== undefined && score !== 'location')
    fail(
      'luongAttention',
      `maxSourceLength applies to the 'location' score only, got score '${String(score)}'`,
    );
  switch (score) {
    case 'dot':
      return new DotAttention(dim, rest);
    case 'general':
      return new GeneralAttention(dim, dim, rest);
    case 'concat':
      return new ConcatAttention(dim, dim, dim, rest);
    case 'location':
      if (maxSourceLength === undefined)
        fail('luongAttention', "the 'location' score needs maxSourceLength (the longest source it scores)");
      return new LocationAttention(dim, dim, maxSourceLength, rest);
    default:
      return fail(
        'luongAttention',
        `score must be 'dot', 'general', 'concat' or 'location', got ${String(score)}`,
      );
  }
}
