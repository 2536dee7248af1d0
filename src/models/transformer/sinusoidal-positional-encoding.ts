/**
 * Fixed sinusoidal positional encoding (Vaswani et al. 2017), added to the input, then dropout:
 *
 *   PE[pos, 2i]     = sin(pos / 10000^(2i/d))
 *   PE[pos, 2i + 1] = cos(pos / 10000^(2i/d))
 *   output = dropout(x + PE[offset : offset + T])
 *
 * Shapes (E = dModel): x [T, B, E], or [B, T, E] with batchFirst, or unbatched [T, E] → the same shape. `offset`
 * shifts the positions (decoding one step at a time). The table `pe` [maxLen, E] is computed in double
 * precision; it is not a parameter, so it is not in the state dict (torch's tutorial keeps it as a buffer).
 */
import { Dropout } from '../../nn/dropout.js';
import { Module } from '../../nn/module.js';
import { fail, requirePositiveIntegers } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { addPositions } from './common.js';

const OP = 'SinusoidalPositionalEncoding';

export interface PositionalEncodingOptions {
  /** Dropout on the sum, in training mode only (default 0.1, as torch's tutorial). */
  dropout?: number;
  /** Input is [B, T, E] when true, [T, B, E] when false (default false, as torch's Transformer layers). */
  batchFirst?: boolean;
  /** Source of randomness for dropout (and initialisation, for learned encodings). */
  generator?: Generator;
}

export interface PositionalEncodingForwardOptions {
  /** Position of the input's first element (default 0). */
  offset?: number;
}

export class SinusoidalPositionalEncoding extends Module {
  /** PE [maxLen, dModel]. */
  readonly pe: Tensor;
  readonly batchFirst: boolean;
  readonly dropout: Dropout;

  constructor(
    readonly dModel: number,
    readonly maxLen = 5000,
    options: PositionalEncodingOptions = {},
  ) {
    super();
    requirePositiveIntegers(OP, { dModel, maxLen });
    const p = options.dropout ?? 0.1;
    if (!(p >= 0 && p <= 1)) fail(OP, `dropout must be in [0, 1], got ${p}`);
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = this.registerModule('dropout', new Dropout(p, options.generator));
    const data = new Float32Array(maxLen * dModel);
    for (let i = 0; 2 * i < dModel; i++) {
      const frequency = Math.pow(10000, (-2 * i) / dModel);
      for (let pos = 0; pos < maxLen; pos++) {
        data[pos * dModel + 2 * i] = Math.sin(pos * frequency);
        if (2 * i + 1 < dModel) data[pos * dModel + 2 * i + 1] = Math.cos(pos * frequency);
      }
    }
    this.pe = new Tensor(data, [maxLen, dModel]);
  }

  forward(x: Tensor, options: PositionalEncodingForwardOptions = {}): Tensor {
    return this.dropout.forward(addPositions(OP, x, this.pe, options.offset ?? 0, this.batchFirst));
  }
}
