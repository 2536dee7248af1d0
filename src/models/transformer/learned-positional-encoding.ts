/**
 * Learned positional encoding (as BERT and GPT-2): a trainable vector per position, added to the input, then
 * dropout:
 *
 *   output = dropout(x + embedding.weight[offset : offset + T])
 *
 * Shapes (E = dModel): x [T, B, E], or [B, T, E] with batchFirst, or unbatched [T, E] → the same shape.
 *
 * Parameter: `embedding.weight` [maxLen, dModel], an Embedding (so N(0, 1) initially, as torch.nn.Embedding).
 */
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import { Module } from '../../nn/module.js';
import { fail, requirePositiveIntegers } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { addPositions } from './common.js';
import type {
  PositionalEncodingForwardOptions,
  PositionalEncodingOptions,
} from './sinusoidal-positional-encoding.js';

const OP = 'LearnedPositionalEncoding';

export class LearnedPositionalEncoding extends Module {
  /** The table: `embedding.weight` [maxLen, dModel]. */
  readonly embedding: Embedding;
  readonly batchFirst: boolean;
  readonly dropout: Dropout;

  constructor(
    readonly maxLen: number,
    readonly dModel: number,
    options: PositionalEncodingOptions = {},
  ) {
    super();
    requirePositiveIntegers(OP, { maxLen, dModel });
    const p = options.dropout ?? 0.1;
    if (!(p >= 0 && p <= 1)) fail(OP, `dropout must be in [0, 1], got ${p}`);
    this.batchFirst = options.batchFirst ?? false;
    this.embedding = this.registerModule(
      'embedding',
      new Embedding(maxLen, dModel, { generator: options.generator }),
    );
    this.dropout = this.registerModule('dropout', new Dropout(p, options.generator));
  }

  forward(x: Tensor, options: PositionalEncodingForwardOptions = {}): Tensor {
    return this.dropout.forward(
      addPositions(OP, x, this.embedding.weight, options.offset ?? 0, this.batchFirst),
    );
  }
}
