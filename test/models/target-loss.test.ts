/**
 * The translation models' loss with `skipPadding` (the output layer at the real targets only) against the
 * readable loss (every position, padding ignored by the cross-entropy): the same loss and gradients, and logits
 * that are the readable logits' real rows.
 */
import { describe, expect, it } from 'vitest';
import {
  BahdanauSeq2Seq,
  Generator,
  indexSelect,
  LuongSeq2Seq,
  reshape,
  Tensor,
  TransformerSeq2Seq,
  type Module,
} from '../../src/index.js';
import { expectClose } from '../helpers/close.js';

const PAD = 0;
const SOS = 1;
const EOS = 2;
const VOCAB = 13;

const ids = (rows: number[][]): Tensor => {
  const width = Math.max(...rows.map((r) => r.length));
  const data = Int32Array.from(rows.flatMap((r) => [...r, ...new Array<number>(width - r.length).fill(PAD)]));
  return new Tensor(data, [rows.length, width], 'int32');
};

const SRC = ids([
  [3, 4, 5, 6],
  [7, 8, 9],
  [10, 11],
]);
const LENGTHS = [4, 3, 2];
const TGT_IN = ids([[SOS, 4, 5, 6], [SOS, 7], [SOS]]);
const TGT_OUT = ids([[4, 5, 6, EOS], [7, EOS], [EOS]]);

type LossFn = (
  options: { skipPadding?: boolean; labelSmoothing?: number; teacherForcingRatio?: number },
  tgtOut?: Tensor,
) => { loss: Tensor; logits: Tensor };

const rnn = { srcVocabSize: VOCAB, tgtVocabSize: VOCAB, embeddingDim: 8, hiddenSize: 12, padId: PAD };
const MODELS: [string, (dropout: number) => { model: Module; loss: LossFn }][] = [
  [
    'Bahdanau GRU (fused)',
    (dropout) => wrapRnn(new BahdanauSeq2Seq({ ...rnn, dropout, generator: new Generator(1) })),
  ],
  [
    'Luong GRU (fused)',
    (dropout) => wrapRnn(new LuongSeq2Seq({ ...rnn, dropout, generator: new Generator(2) })),
  ],
  [
    'Luong LSTM, local-m (the step loop)',
    (dropout) =>
      wrapRnn(
        new LuongSeq2Seq({
          ...rnn,
          cell: 'lstm',
          window: { kind: 'local-m', halfWidth: 1 },
          dropout,
          generator: new Generator(3),
        }),
      ),
  ],
  [
    'Transformer',
    (dropout) => {
      const model = new TransformerSeq2Seq({
        srcVocabSize: VOCAB,
        tgtVocabSize: VOCAB,
        dModel: 16,
        nhead: 2,
        numEncoderLayers: 1,
        numDecoderLayers: 1,
        dimFeedforward: 32,
        dropout,
        padId: PAD,
        generator: new Generator(4),
      });
      return { model, loss: (options, tgtOut = TGT_OUT) => model.loss(SRC, null, TGT_IN, tgtOut, options) };
    },
  ],
];

function wrapRnn(model: BahdanauSeq2Seq | LuongSeq2Seq): { model: Module; loss: LossFn } {
  return { model, loss: (options, tgtOut = TGT_OUT) => model.loss(SRC, LENGTHS, TGT_IN, tgtOut, options) };
}

/** Loss, logits and every parameter's gradient of one call. */
function run(model: Module, loss: LossFn, options: Parameters<LossFn>[0], tgtOut?: Tensor) {
  model.zeroGrad();
  const r = loss(options, tgtOut);
  r.loss.backward();
  return { ...r, grads: model.namedParameters().map(([n, p]) => [n, p.grad!.clone()] as const) };
}

/** The flat positions of TGT_OUT that are not padding. */
const REAL = new Tensor(
  Int32Array.from(Array.from(TGT_OUT.data).flatMap((y, i) => (y === PAD ? [] : [i]))),
  [7],
  'int32',
);

describe('translation loss with skipPadding', () => {
  for (const [name, make] of MODELS) {
    it(`${name}: the same loss and gradients; logits are the real targets' rows`, () => {
      const { model, loss } = make(0);
      for (const labelSmoothing of [0, 0.1]) {
        const all = run(model, loss, { labelSmoothing });
        const real = run(model, loss, { labelSmoothing, skipPadding: true });
        expectClose(real.loss, all.loss, `${name} ε ${labelSmoothing}: loss`);
        const [b, t, v] = all.logits.shape as [number, number, number];
        expect(real.logits.shape).toEqual([REAL.size, v]);
        expectClose(real.logits, indexSelect(reshape(all.logits, [b * t, v]), 0, REAL), `${name}: logits`);
        all.grads.forEach(([n, g], i) =>
          expectClose(real.grads[i]![1], g, `${name} ε ${labelSmoothing}: grad ${n}`),
        );
      }
    });

    it(`${name}: with dropout, both ways draw the same masks`, () => {
      const a = make(0.3);
      const b = make(0.3);
      expectClose(b.loss({ skipPadding: true }).loss, a.loss({}).loss, `${name}: loss under dropout`);
    });
  }

  it('nothing to skip: an unpadded batch gives logits [B, T, V]', () => {
    const { loss } = MODELS[0]![1](0);
    const full = ids([
      [4, 5, 6, EOS],
      [7, 8, 9, EOS],
      [9, 10, 11, EOS],
    ]);
    expect(loss({ skipPadding: true }, full).logits.shape).toEqual([3, 4, VOCAB]);
  });

  it('scheduled sampling (teacher forcing below 1) gives the real rows too', () => {
    const { loss } = MODELS[1]![1](0);
    const options = { teacherForcingRatio: 0 };
    const all = loss(options);
    const real = loss({ ...options, skipPadding: true });
    expectClose(real.loss, all.loss, 'loss');
    expect(real.logits.shape).toEqual([REAL.size, VOCAB]);
  });

  it('tgtOut of the wrong shape is an error naming the model', () => {
    const { loss } = MODELS[0]![1](0);
    expect(() => loss({ skipPadding: true }, ids([[4, EOS]]))).toThrow(
      /BahdanauSeq2Seq.*tgtOut must be int32 \[3, 4\]/,
    );
  });
});
