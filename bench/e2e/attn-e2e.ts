/**
 * attn's side of the end-to-end benchmarks (shapes in config.ts): full training steps of the GRU + Bahdanau
 * translation model and of the Transformer classifier, and decoding latency of a Transformer translation model,
 * through the public API only (models, losses, optimisers, decoders), as a user would run them.
 */
import {
  AdamW,
  AttentionClassifier,
  Tensor,
  TransformerSeq2Seq,
  beamSearch,
  crossEntropy,
  greedyDecode,
  manualSeed,
  tidy,
} from '../../src/node.js';
import { CLS, DECODE, NMT, reps, tokenIds, type E2EName } from './config.js';
import * as attn from '../../src/node.js';
import { nmtStep as nmtStepOf } from './attn-nmt.js';

/** One training step of the NMT model on attn/node (bench/e2e/attn-nmt.ts). */
export const nmtStep = (): (() => void) => nmtStepOf(attn);

const ids = (data: Int32Array, shape: number[]) => new Tensor(data, shape, 'int32');

/** Seconds per call of fn: `warmup` untimed calls, then the mean over `count` timed ones (or the best). */
export function timeIt(fn: () => void, warmup: number, count: number, best = false): number {
  for (let i = 0; i < warmup; i++) fn();
  let total = 0;
  let min = Infinity;
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    fn();
    const dt = performance.now() - t;
    total += dt;
    min = Math.min(min, dt);
  }
  return (best ? min : total / count) / 1000;
}

export function clsStep(): () => void {
  manualSeed(0);
  const model = new AttentionClassifier({
    vocabSize: CLS.vocab,
    numClasses: CLS.classes,
    embeddingDim: CLS.dModel,
    encoder: 'transformer',
    numLayers: CLS.layers,
    nhead: CLS.heads,
    dimFeedforward: CLS.ff,
    maxLen: CLS.seqLen,
    dropout: 0,
    padId: 0,
  });
  const optimizer = new AdamW(model.parameters(), { lr: CLS.lr, weightDecay: CLS.weightDecay });
  const x = ids(tokenIds(CLS.batch * CLS.seqLen, CLS.vocab, 3), [CLS.batch, CLS.seqLen]);
  const labels = ids(
    Int32Array.from(tokenIds(CLS.batch, CLS.vocab, 4), (v) => v % CLS.classes),
    [CLS.batch],
  );
  return () =>
    tidy(() => {
      optimizer.zeroGrad();
      crossEntropy(model.forward(x).logits, labels).backward();
      optimizer.step();
    });
}

/** One decode of a 20-token sentence (encoding included), greedy or beam 4, with or without the KV cache. */
export function decodeRun(beam: boolean, useCache: boolean): () => void {
  const model = decodeModel();
  const src = ids(tokenIds(DECODE.srcLen, DECODE.vocab, 5), [1, DECODE.srcLen]);
  // The end-of-sentence id is outside the vocabulary: every decode takes exactly DECODE.steps steps.
  const options = { sos: DECODE.sos, eos: DECODE.vocab, maxLength: DECODE.steps };
  return () => {
    const stepper = model.stepper(src, { useCache });
    const hyps = beam
      ? beamSearch(stepper, { ...options, beamSize: DECODE.beam })[0]![0]!
      : greedyDecode(stepper, options)[0]!;
    if (hyps.tokens.length !== DECODE.steps) throw new Error('decode stopped early');
  };
}

/** The decode benches' Transformer-base (eval mode), its weights drawn from seed 0 (the ONNX Runtime peer exports it). */
export function decodeModel(): TransformerSeq2Seq {
  manualSeed(0);
  const model = new TransformerSeq2Seq({
    srcVocabSize: DECODE.vocab,
    dModel: DECODE.dModel,
    nhead: DECODE.heads,
    numEncoderLayers: DECODE.encoderLayers,
    numDecoderLayers: DECODE.decoderLayers,
    dimFeedforward: DECODE.ff,
    // As PyTorch's nn.Transformer, the peer: post-norm, positions for 512 tokens.
    normFirst: false,
    maxLen: 512,
    padId: 0,
  });
  model.eval();
  return model;
}

export function runAttnE2E(name: E2EName, quick: boolean): number {
  const { warmup, reps: count } = reps(name, quick, false);
  switch (name) {
    case 'train_nmt_gru_bahdanau':
      return (NMT.batch * NMT.tgtLen) / timeIt(nmtStep(), warmup, count);
    case 'train_transformer_cls':
      return CLS.batch / timeIt(clsStep(), warmup, count);
    case 'decode_greedy_ms':
      return 1000 * timeIt(decodeRun(false, true), warmup, count, true);
    case 'decode_beam4_ms':
      return 1000 * timeIt(decodeRun(true, true), warmup, count, true);
    case 'decode_greedy_nocache_ms':
      return 1000 * timeIt(decodeRun(false, false), warmup, count, true);
    case 'decode_beam4_nocache_ms':
      return 1000 * timeIt(decodeRun(true, false), warmup, count, true);
  }
}
