/**
 * The `attn` configuration of the Transformer encoder–decoder (architecture `transformer`): padding id 0,
 * vocabulary sizes from the tokenizers. See ../config.ts for how a declaration is read.
 */
import { bool, choice, float, int, type ConfigOf } from '../config.js';
import { NORMALIZER_CONFIG } from '../normalizer-config.js';

/**
 * How a Transformer knows positions: added to the embeddings ('sinusoidal', 'learned'), or inside every
 * self-attention ('rope', 'alibi', 'relative'; see attention/positions.ts).
 */
export const TRANSFORMER_POSITIONS = ['sinusoidal', 'learned', 'rope', 'alibi', 'relative'] as const;
export type TransformerPositions = (typeof TRANSFORMER_POSITIONS)[number];

/** The positions field and k of 'relative', declared alike in `transformer` and `transformer-cls`. */
export const positionFields = () => ({
  positions: choice(
    'sinusoidal',
    TRANSFORMER_POSITIONS,
    'sinusoidal|learned (added to the embeddings), rope|alibi|relative (in self-attention)',
  ),
  maxRelativeDistance: int(16, 1, 1024, 'k of relative positions (distances clipped to [-k, k])'),
});

export const TRANSFORMER_CONFIG = {
  dModel: int(256, 1, 4096, 'model width'),
  nhead: int(4, 1, 64, 'attention heads (must divide dModel)', { flag: 'heads' }),
  numEncoderLayers: int(3, 1, 24, 'encoder layers', { flag: 'encoder-layers', groupFlag: 'layers' }),
  numDecoderLayers: int(3, 1, 24, 'decoder layers', { flag: 'decoder-layers', groupFlag: 'layers' }),
  dimFeedforward: int(1024, 1, 16384, 'feed-forward hidden size', { flag: 'ff-dim' }),
  dropout: float(0.1, 0, 0.9, 'dropout probability while training'),
  normFirst: bool(true, 'pre-norm layers (false: post-norm)', { flag: 'post-norm' }),
  maxLen: int(256, 1, 8192, 'longest source or target sequence'),
  ...positionFields(),
  ...NORMALIZER_CONFIG,
};

export type TransformerConfig = ConfigOf<typeof TRANSFORMER_CONFIG>;

/** maxRelativeDistance is read by relative positions only: set for another scheme, it would be ignored. */
export function checkPositions(c: { positions: string; maxRelativeDistance: number }): string | null {
  return c.positions !== 'relative' && c.maxRelativeDistance !== 16
    ? `maxRelativeDistance ${c.maxRelativeDistance} applies to positions relative only (positions is ${c.positions})`
    : null;
}

/** Heads split the width: each head attends over dModel / nhead features. */
export function checkHeads(width: number, nhead: number, widthName: string): string | null {
  return width % nhead === 0 ? null : `nhead ${nhead} must divide the model width ${width} (${widthName})`;
}
