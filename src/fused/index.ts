/**
 * The fused layer: fast paths that do the work of several ops in one, between the op set (src/tensor) and the
 * layers (src/nn, src/attention, src/models). Each computes what a readable composition of ops computes, in the
 * same arithmetic, and a test keeps the two equal:
 *
 *   fusedAttention          softmax(scale·q·kᵀ + masks)·v, tiled, O(T) memory   ≡ attention/pipeline.ts's attend
 *   multiHeadAttentionCore  the same on heads read in place from packed q|k|v     ≡ MultiHeadAttention composed
 *   gruSequence             an unpadded GRU layer over all steps                  ≡ GRU cell steps (nn/rnn.ts)
 *   bahdanauGruSequence     the teacher-forced GRU + additive-attention decoder   ≡ BahdanauDecoder.core steps
 *   luongGruSequence        the teacher-forced GRU + Luong (dot/general) decoder  ≡ LuongDecoder.core steps
 *
 * Which path runs is decided where the layer is: MultiHeadAttention, scaledDotProductAttention, GRU and
 * models/seq2seq/decoder-runner.ts.
 */
export { fusedAttention, type FusedAttentionOptions, type FusedAttentionResult } from './attention.js';
export {
  multiHeadAttentionCore,
  type MultiHeadAttentionCoreOptions,
  type MultiHeadAttentionCoreResult,
} from './multi-head-attention.js';
export { gruSequence } from './gru-sequence.js';
export { bahdanauGruSequence } from './bahdanau-gru-sequence.js';
export { luongGruSequence } from './luong-gru-sequence.js';
