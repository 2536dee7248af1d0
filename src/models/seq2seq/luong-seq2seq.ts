/**
 * An RNN encoder with a Luong-attention decoder (Luong, Pham & Manning 2015): global or local (local-m, local-p)
 * attention with the dot, general, concat or location score, queried by the decoder's new hidden state, the attentional
 * state h̃ = tanh(W_c [c; h]) fed to the output layer and, with input feeding (default), to the next step. See
 * LuongDecoder for one step, and RNNSeq2Seq for forward, loss and stepper.
 *
 * Parameters: `enc_emb.*`, `enc.*` (torch.nn.GRU / LSTM names), `bridge.*` (bidirectional), `dec_emb.*`, `dec.*`
 * (weight_ih_l0 reads [embedding; h̃]), `attn.*` (`W.weight` for general and location [maxSourceLength, H]; `W.*`, `v.weight` for concat;
 * `Wp.weight`, `vp.weight` for local-p), `W_c.weight`, `fc.weight`, `fc.bias`.
 */
import { LuongDecoder, type LuongDecoderOptions } from './luong-decoder.js';
import { RNNSeq2Seq, type RNNSeq2SeqOptions } from './rnn-seq2seq.js';

export interface LuongSeq2SeqOptions
  extends
    RNNSeq2SeqOptions,
    Pick<LuongDecoderOptions, 'score' | 'window' | 'inputFeeding' | 'maxSourceLength'> {}

/** The state-dict names of the decoder's modules, and the order of all the model's modules. */
const DECODER_NAMES = {
  embedding: 'dec_emb',
  rnn: 'dec',
  attention: 'attn',
  W_c: 'W_c',
  fc: 'fc',
  dropout: 'dec_dropout',
};
const MODULE_ORDER = ['enc_emb', 'enc', 'bridge', 'bridge_c', 'dec_emb', 'dec', 'attn', 'W_c', 'fc'];

export class LuongSeq2Seq extends RNNSeq2Seq {
  readonly decoder: LuongDecoder;

  constructor(options: LuongSeq2SeqOptions) {
    super('LuongSeq2Seq', options);
    this.decoder = new LuongDecoder({
      ...this.sharedDecoderOptions(options),
      score: options.score,
      window: options.window,
      inputFeeding: options.inputFeeding,
      maxSourceLength: options.maxSourceLength,
    });
    this.adopt(DECODER_NAMES, MODULE_ORDER);
  }
}
