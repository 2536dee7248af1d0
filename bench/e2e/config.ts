/**
 * The end-to-end benchmarks of issue 10: their names, units, and the one set of shapes every implementation
 * (attn, PyTorch in bench/torch_e2e.py, TensorFlow.js and jax-js) reads, so that all of them do the same work.
 * bench/torch_e2e.py repeats these numbers; a test-free check is the shapes it prints back in its JSON.
 */
export const E2E_BENCHES = [
  'train_nmt_gru_bahdanau',
  'train_transformer_cls',
  'decode_greedy_ms',
  'decode_beam4_ms',
  'decode_greedy_nocache_ms',
  'decode_beam4_nocache_ms',
] as const;

export type E2EName = (typeof E2E_BENCHES)[number];

export const E2E_UNITS: Record<E2EName, string> = {
  train_nmt_gru_bahdanau: 'tokens/s',
  train_transformer_cls: 'sequences/s',
  decode_greedy_ms: 'ms',
  decode_beam4_ms: 'ms',
  decode_greedy_nocache_ms: 'ms',
  decode_beam4_nocache_ms: 'ms',
};

/** (a) GRU encoder, Bahdanau attention, GRU decoder fed [context; embedding]; Adam, teacher forcing. */
export const NMT = {
  srcVocab: 8000,
  tgtVocab: 8000,
  embedding: 256,
  hidden: 512,
  /** Width of the additive scorer (W1, W2: → units). */
  attentionUnits: 512,
  batch: 64,
  srcLen: 16,
  tgtLen: 16,
  lr: 1e-3,
} as const;

/**
 * (b) Embedding → sinusoidal positions → 4 post-norm Transformer encoder layers (ReLU) → attention pooling
 * (vᵀ tanh(W h)) → Linear to 2 classes; AdamW. Dropout 0 everywhere, so every implementation does the same
 * arithmetic (no random masks to match); a key padding mask (all false: full-length sequences) is applied.
 */
export const CLS = {
  vocab: 8000,
  dModel: 256,
  heads: 4,
  ff: 1024,
  layers: 4,
  seqLen: 128,
  batch: 32,
  classes: 2,
  lr: 1e-3,
  weightDecay: 0.01,
} as const;

/**
 * (c) A Transformer-base translation model (post-norm, ReLU, sinusoidal positions, final norms on both stacks),
 * eval mode: a 20-token source, 20 generated tokens (the end-of-sentence id is outside the vocabulary, so every
 * decode runs all 20 steps), batch of one sentence; beam search keeps 4 hypotheses.
 */
export const DECODE = {
  vocab: 8000,
  dModel: 512,
  heads: 8,
  ff: 2048,
  encoderLayers: 6,
  decoderLayers: 6,
  srcLen: 20,
  steps: 20,
  beam: 4,
  sos: 1,
} as const;

/** How many steps or decodes to time: warm-up runs first, then `reps` timed ones. */
export function reps(name: E2EName, quick: boolean, slowPeer: boolean): { warmup: number; reps: number } {
  const training = name.startsWith('train_');
  // The JavaScript peers take seconds to minutes per step: one timed training step (after one warm-up) already
  // measures them to a few per cent of a figure that is 10-100× from attn's.
  if (slowPeer) return { warmup: 1, reps: quick || training ? 1 : 2 };
  return { warmup: quick ? 1 : 2, reps: quick ? 1 : training ? 8 : 5 };
}

/** Deterministic token ids in [1, vocab) (0 is padding in every implementation; none is generated). */
export function tokenIds(count: number, vocab: number, seed: number): Int32Array {
  const out = new Int32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = 1 + ((s >>> 0) % (vocab - 1));
  }
  return out;
}
