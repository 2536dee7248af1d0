/**
 * A GRU (or LSTM) encoder with a Bahdanau-attention decoder: the model of the classic TensorFlow and PyTorch
 * tutorials (see BahdanauDecoder for one decoder step). With one layer and a unidirectional encoder, the decoder
 * starts from the encoder's final state; see RNNSeq2Seq for forward, loss and stepper, and RNNEncoder for the
 * bridge of a bidirectional encoder.
 *
 * Parameter names are those of the tutorial's PyTorch module (attributes enc_emb, enc, attn, dec_emb, dec, fc):
 *
 *   enc_emb.weight   enc.weight_ih_l0  enc.weight_hh_l0  enc.bias_ih_l0  enc.bias_hh_l0   (…_l1, …_reverse)
 *   bridge.weight    bridge.bias       (bridge_c.*)      — bidirectional only
 *   attn.W1.weight   attn.W1.bias      attn.W2.weight    attn.W2.bias    attn.V.weight    attn.V.bias
 *   dec_emb.weight   dec.weight_ih_l0  dec.weight_hh_l0  dec.bias_ih_l0  dec.bias_hh_l0
 *   fc.weight        fc.bias
 *
 * so a PyTorch model with these attributes (nn.Embedding, nn.GRU(batch_first=True), Linear W1/W2/V, nn.GRU fed
 * [context; embedding], Linear fc) loads directly with loadStateDict(its state_dict()), and computes the same
 * logits (tested against such a model, golden case seq2seq_bahdanau_gru).
 */
import { BahdanauDecoder } from './bahdanau-decoder.js';
import { RNNSeq2Seq, type RNNSeq2SeqOptions } from './rnn-seq2seq.js';

export interface BahdanauSeq2SeqOptions extends RNNSeq2SeqOptions {
  /** Width of the additive scorer (default hiddenSize). */
  attentionUnits?: number;
}

/** The state-dict names of the decoder's modules, and the order of all the model's modules. */
const DECODER_NAMES = {
  embedding: 'dec_emb',
  rnn: 'dec',
  attention: 'attn',
  fc: 'fc',
  dropout: 'dec_dropout',
};
const MODULE_ORDER = ['enc_emb', 'enc', 'bridge', 'bridge_c', 'attn', 'dec_emb', 'dec', 'fc'];

export class BahdanauSeq2Seq extends RNNSeq2Seq {
  readonly decoder: BahdanauDecoder;

  constructor(options: BahdanauSeq2SeqOptions) {
    super('BahdanauSeq2Seq', options);
    this.decoder = new BahdanauDecoder({
      ...this.sharedDecoderOptions(options),
      attentionUnits: options.attentionUnits,
    });
    this.adopt(DECODER_NAMES, MODULE_ORDER);
  }
}
