/**
 * The DecoderStepper of an RNN sequence-to-sequence model (BahdanauSeq2Seq, LuongSeq2Seq) for greedyDecode,
 * beamSearch and sampleDecode. The sources are encoded once, and the keys projected once, at construction;
 * `start(k)` repeats every source's state for its k rows and prepares the parameter views the steps share. Each
 * step returns log-probabilities [rows, V] and the attention weights [rows, S] (0 at padding). `select` reorders
 * the hidden states (and Luong's input-feeding vector) with indexSelect; the encoder-side tensors are shared as
 * long as rows keep their source.
 */
import type { DecoderStepper, StepResult } from '../../decode/stepper.js';
import { noGrad } from '../../tensor/autograd.js';
import { logSoftmax } from '../../tensor/ops/index.js';
import { Tensor } from '../../tensor/tensor.js';
import type { RNNDecoderState, RNNDecoderWeights } from './decoder-parts.js';
import type { RNNAttentionDecoder } from './decoder-runner.js';

export class RNNSeq2SeqStepper implements DecoderStepper<RNNDecoderState> {
  readonly batchSize: number;
  private weights: RNNDecoderWeights | null = null;

  /** @param initial the decoder's state for the batch's sources, one row each (from decoder.init) */
  constructor(
    readonly decoder: RNNAttentionDecoder,
    private readonly initial: RNNDecoderState,
  ) {
    this.batchSize = initial.sources.length;
  }

  start(rowsPerSource: number): RNNDecoderState {
    return noGrad(() => {
      this.weights = this.decoder.prepare();
      if (rowsPerSource === 1) return this.initial;
      const indices = new Int32Array(this.batchSize * rowsPerSource);
      for (let r = 0; r < indices.length; r++) indices[r] = Math.floor(r / rowsPerSource);
      return this.decoder.select(this.initial, indices);
    });
  }

  step(tokens: Int32Array, state: RNNDecoderState): StepResult<RNNDecoderState> {
    return noGrad(() => {
      this.weights ??= this.decoder.prepare();
      const ids = new Tensor(Int32Array.from(tokens), [tokens.length], 'int32');
      const r = this.decoder.step(ids, state, this.weights);
      return { logProbs: logSoftmax(r.logits, -1), state: r.state, attention: r.weights };
    });
  }

  select(state: RNNDecoderState, indices: Int32Array): RNNDecoderState {
    return noGrad(() => this.decoder.select(state, indices));
  }
}
