/**
 * attn's training step of the GRU + Bahdanau translation model (shapes in config.ts), written against the
 * library it is given: bench/e2e/attn-e2e.ts runs it in Node on attn/node, bench/browser/page.ts in Chromium on
 * the attn/browser bundle the page loaded (a second copy of the core would have its own backend registry).
 */
import type * as Attn from '../../src/index.js';
import { NMT, tokenIds } from './config.js';

/** What the step uses of the library. */
export type NmtLibrary = Pick<typeof Attn, 'Adam' | 'BahdanauSeq2Seq' | 'Tensor' | 'manualSeed' | 'tidy'>;

/** One training step of the NMT model: forward with teacher forcing, loss, backward, Adam. */
export function nmtStep(lib: NmtLibrary): () => void {
  const { Adam, BahdanauSeq2Seq, Tensor, manualSeed, tidy } = lib;
  const ids = (data: Int32Array, shape: number[]) => new Tensor(data, shape, 'int32');
  manualSeed(0);
  const model = new BahdanauSeq2Seq({
    srcVocabSize: NMT.srcVocab,
    tgtVocabSize: NMT.tgtVocab,
    embeddingDim: NMT.embedding,
    hiddenSize: NMT.hidden,
    attentionUnits: NMT.attentionUnits,
    cell: 'gru',
    dropout: 0,
    padId: 0,
  });
  const optimizer = new Adam(model.parameters(), { lr: NMT.lr });
  const { batch, srcLen, tgtLen } = NMT;
  const src = ids(tokenIds(batch * srcLen, NMT.srcVocab, 1), [batch, srcLen]);
  const tgt = tokenIds(batch * (tgtLen + 1), NMT.tgtVocab, 2);
  const tgtIn = new Int32Array(batch * tgtLen);
  const tgtOut = new Int32Array(batch * tgtLen);
  for (let b = 0; b < batch; b++) {
    tgtIn.set(tgt.subarray(b * (tgtLen + 1), b * (tgtLen + 1) + tgtLen), b * tgtLen);
    tgtOut.set(tgt.subarray(b * (tgtLen + 1) + 1, (b + 1) * (tgtLen + 1)), b * tgtLen);
  }
  const tIn = ids(tgtIn, [batch, tgtLen]);
  const tOut = ids(tgtOut, [batch, tgtLen]);
  // tidy: the step's activations go back to the storage pool when it ends, as the Trainer's steps do.
  return () =>
    tidy(() => {
      optimizer.zeroGrad();
      model.loss(src, null, tIn, tOut).loss.backward();
      optimizer.step();
    });
}

/** One training step of the Transformer classifier: forward, cross-entropy, backward, AdamW. */
