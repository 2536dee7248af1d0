import { embedding } from '../tensor/ops/index.js';
import { fail, requirePositiveIntegers } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { normal } from './init.js';
import { Module } from './module.js';

export interface EmbeddingOptions {
  /** Row that stays zero and gets no gradient (the <pad> token), as torch's padding_idx. */
  paddingIdx?: number;
  generator?: Generator;
}

/**
 * A lookup table (torch.nn.Embedding): ids int32 [...] → vectors [..., embeddingDim]. `weight`
 * [numEmbeddings, embeddingDim] starts N(0, 1) with the padding row zeroed, as torch does.
 */
export class Embedding extends Module {
  readonly weight: Tensor;
  readonly paddingIdx: number | undefined;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingOptions = {},
  ) {
    super();
    requirePositiveIntegers('Embedding', { numEmbeddings, embeddingDim });
    const pad = options.paddingIdx;
    if (pad !== undefined && (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings)) {
      fail('Embedding', `paddingIdx ${pad} is outside [${-numEmbeddings}, ${numEmbeddings})`);
    }
    this.paddingIdx = pad === undefined ? undefined : pad < 0 ? pad + numEmbeddings : pad;
    const weight = normal(
      new Tensor(new Float32Array(numEmbeddings * embeddingDim), [numEmbeddings, embeddingDim]),
      0,
      1,
      options.generator,
    );
    if (this.paddingIdx !== undefined) {
      weight.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
    }
    this.weight = this.registerParameter('weight', weight)!;
  }

  forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids, this.paddingIdx);
  }
}
