/**
 * What the Transformer modules share: the layers' constructor options (torch.nn.TransformerEncoderLayer and
 * TransformerDecoderLayer take the same ones), the feed-forward activation, input checks, the stacks' final
 * norm and the positional encodings' addition.
 */
import { ATTENTION_POSITIONS, type AttentionPositions } from '../../attention/positions.js';
import { checkNormalizer, type Normalizer } from '../../attention/normalizers.js';
import { LayerNorm } from '../../nn/layer-norm.js';
import { fail, requirePositiveIntegers } from '../../tensor/errors.js';
import { add, gelu, relu, reshape, slice } from '../../tensor/ops/index.js';
import type { Generator } from '../../tensor/random.js';
import { formatShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

/** The feed-forward activation: torch's 'relu' (default) or 'gelu' (exact, erf-based), or any function. */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

/** Options of TransformerEncoderLayer and TransformerDecoderLayer, with torch's defaults. */
export interface TransformerLayerOptions {
  /** Model dimension E (features of every input and output). */
  dModel: number;
  /** Number of attention heads H; dModel must be divisible by it. */
  nhead: number;
  /** Hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, in the feed-forward block and on the attention weights (default 0.1). */
  dropout?: number;
  /** Feed-forward activation (default 'relu'). */
  activation?: TransformerActivation;
  /** eps of the LayerNorms (default 1e-5). */
  layerNormEps?: number;
  /** Inputs and outputs are [B, T, E] when true, [T, B, E] when false (default false, as torch). */
  batchFirst?: boolean;
  /** Pre-norm (LayerNorm before each block) when true, post-norm (after each residual) when false (default). */
  normFirst?: boolean;
  /**
   * How every attention block's heads normalise their scores (default 'softmax'; see attention/normalizers.ts),
   * and α of 'entmax'. Another normaliser than softmax runs MultiHeadAttention's readable path.
   */
  normalizer?: Normalizer;
  alpha?: number;
  /** Source of randomness for initialisation and dropout (the global seeded generator by default). */
  generator?: Generator;
  /**
   * Positions inside the self-attention (default 'none'): 'rope', 'alibi' or 'relative' (see
   * attention/positions.ts). A decoder layer's cross-attention takes none.
   */
  positions?: AttentionPositions;
  /** k of 'relative' positions (default 16). */
  maxRelativeDistance?: number;
}

export interface ResolvedLayerOptions {
  dModel: number;
  nhead: number;
  dimFeedforward: number;
  dropout: number;
  activation: TransformerActivation;
  layerNormEps: number;
  batchFirst: boolean;
  normFirst: boolean;
  normalizer: Normalizer;
  alpha: number | undefined;
  generator: Generator | undefined;
  positions: AttentionPositions;
  maxRelativeDistance: number;
}

/** Validates the options, naming `op` and the offending option, and fills in torch's defaults. */
export function resolveLayerOptions(op: string, options: TransformerLayerOptions): ResolvedLayerOptions {
  if (typeof options !== 'object' || options === null)
    fail(op, `needs an options object { dModel, nhead, ... }, got ${String(options)}`);
  const resolved: ResolvedLayerOptions = {
    dModel: options.dModel,
    nhead: options.nhead,
    dimFeedforward: options.dimFeedforward ?? 2048,
    dropout: options.dropout ?? 0.1,
    activation: options.activation ?? 'relu',
    layerNormEps: options.layerNormEps ?? 1e-5,
    batchFirst: options.batchFirst ?? false,
    normFirst: options.normFirst ?? false,
    normalizer: options.normalizer ?? 'softmax',
    alpha: options.alpha,
    generator: options.generator,
    positions: options.positions ?? 'none',
    maxRelativeDistance: options.maxRelativeDistance ?? 16,
  };
  const { dModel, nhead, dimFeedforward, maxRelativeDistance } = resolved;
  requirePositiveIntegers(op, { dModel, nhead, dimFeedforward, maxRelativeDistance });
  if (!(ATTENTION_POSITIONS as readonly string[]).includes(resolved.positions))
    fail(
      op,
      `positions must be one of ${ATTENTION_POSITIONS.join(', ')}, got ${JSON.stringify(resolved.positions)}`,
    );
  if (resolved.dModel % resolved.nhead !== 0)
    fail(op, `dModel (${resolved.dModel}) must be divisible by nhead (${resolved.nhead})`);
  if (!(resolved.dropout >= 0 && resolved.dropout <= 1))
    fail(op, `dropout must be in [0, 1], got ${resolved.dropout}`);
  if (!(resolved.layerNormEps > 0)) fail(op, `layerNormEps must be positive, got ${resolved.layerNormEps}`);
  const a = resolved.activation;
  if (a !== 'relu' && a !== 'gelu' && typeof a !== 'function')
    fail(op, `activation must be 'relu', 'gelu' or a function, got ${String(a)}`);
  checkNormalizer(op, resolved.normalizer, resolved.alpha);
  return resolved;
}

export function activationFunction(activation: TransformerActivation): (x: Tensor) => Tensor {
  if (activation === 'relu') return relu;
  if (activation === 'gelu') return gelu;
  return activation;
}

/** Checks a sequence input: float32 [T, B, E] or [B, T, E] (batchFirst), or unbatched [T, E]. */
export function checkSequence(
  op: string,
  name: string,
  x: unknown,
  dModel: number,
  batchFirst: boolean,
): asserts x is Tensor {
  if (!(x instanceof Tensor)) fail(op, `${name} must be a Tensor, got ${String(x)}`);
  if (x.dtype !== 'float32' || (x.ndim !== 2 && x.ndim !== 3) || x.shape.at(-1) !== dModel) {
    const layout = batchFirst ? 'B, T' : 'T, B';
    fail(
      op,
      `${name} must be float32 [${layout}, ${dModel}] (batchFirst ${batchFirst}) or unbatched [T, ${dModel}], ` +
        `got ${x.dtype} ${formatShape(x.shape)}`,
    );
  }
}

/** The final norm of a stack: none, a LayerNorm(dModel) with the layers' eps, or the one given. */
export function finalNorm(
  op: string,
  norm: LayerNorm | boolean | null | undefined,
  first: { dModel: number; layerNormEps: number },
): LayerNorm | null {
  if (norm === undefined || norm === null || norm === false) return null;
  if (norm === true) return new LayerNorm(first.dModel, { eps: first.layerNormEps });
  if (!(norm instanceof LayerNorm)) fail(op, `norm must be a LayerNorm or a boolean, got ${String(norm)}`);
  const features = norm.normalizedShape;
  if (features.length !== 1 || features[0] !== first.dModel)
    fail(op, `norm must normalise [${first.dModel}] (dModel), got [${features.join(',')}]`);
  return norm;
}

/**
 * x + table[offset : offset + T] for x [T, B, E], [B, T, E] (batchFirst) or [T, E], table [maxLen, E]: the
 * addition of a positional encoding.
 */
export function addPositions(
  op: string,
  x: unknown,
  table: Tensor,
  offset: number,
  batchFirst: boolean,
): Tensor {
  const [maxLen, dModel] = table.shape as [number, number];
  checkSequence(op, 'input', x, dModel, batchFirst);
  const length = x.shape[x.ndim === 3 && batchFirst ? 1 : 0]!;
  if (!Number.isInteger(offset) || offset < 0)
    fail(op, `offset must be a non-negative integer, got ${offset}`);
  if (offset + length > maxLen) {
    fail(
      op,
      `positions ${offset}..${offset + length - 1} exceed maxLen ${maxLen} (input ${formatShape(x.shape)})`,
    );
  }
  const positions = slice(table, 0, offset, offset + length);
  // [T, E] broadcasts against [B, T, E] and [T, E] as it is; [T, B, E] needs [T, 1, E].
  return add(x, x.ndim === 3 && !batchFirst ? reshape(positions, [length, 1, dModel]) : positions);
}
