// Small models and tasks for the trainer tests, built from src/nn: a GRU encoder–decoder (no attention) with
// dropout, a GRU classifier, and a task whose loss is a cheap quadratic (for tests of the loop itself).
import {
  crossEntropy,
  Dropout,
  Embedding,
  GRU,
  indexSelect,
  Linear,
  logSoftmax,
  mean,
  Module,
  type Padding,
  reshape,
  reversalTask,
  square,
  sub,
  Tensor,
  type ClassificationModel,
  type DecoderStepper,
  type Generator,
  type SequenceExample,
  type TaskAdapter,
  type Tokenizer,
  type TranslationExample,
  type TranslationModel,
} from '../../src/index.js';

export interface TinySeq2SeqOptions {
  vocab: number;
  embed?: number;
  hidden?: number;
  dropout?: number;
  /** Initialisation; dropout draws from the default generator unless `dropoutGenerator` is given. */
  generator?: Generator;
  dropoutGenerator?: Generator;
}

/** GRU encoder → final state → GRU decoder (teacher forcing) → dropout → linear. */
export class TinySeq2Seq extends Module implements TranslationModel {
  readonly srcEmbedding: Embedding;
  readonly tgtEmbedding: Embedding;
  readonly encoder: GRU;
  readonly decoder: GRU;
  readonly drop: Dropout;
  readonly out: Linear;

  constructor(readonly config: TinySeq2SeqOptions) {
    super();
    const { vocab, generator } = config;
    const e = config.embed ?? 8;
    const h = config.hidden ?? 16;
    this.srcEmbedding = this.registerModule(
      'src_embedding',
      new Embedding(vocab, e, { paddingIdx: 0, generator }),
    );
    this.tgtEmbedding = this.registerModule(
      'tgt_embedding',
      new Embedding(vocab, e, { paddingIdx: 0, generator }),
    );
    this.encoder = this.registerModule('encoder', new GRU(e, h, { batchFirst: true, generator }));
    this.decoder = this.registerModule('decoder', new GRU(e, h, { batchFirst: true, generator }));
    this.drop = this.registerModule('drop', new Dropout(config.dropout ?? 0.3, config.dropoutGenerator));
    this.out = this.registerModule('out', new Linear(h, vocab, { generator }));
  }

  private encode(src: Tensor, padding: Padding): Tensor {
    return this.encoder.forward(this.srcEmbedding.forward(src), null, { lengths: padding.lengths }).hN;
  }

  loss(src: Tensor, padding: Padding, tgtIn: Tensor, tgtOut: Tensor): { loss: Tensor; logits: Tensor } {
    const h = this.encode(src, padding);
    const { output } = this.decoder.forward(this.drop.forward(this.tgtEmbedding.forward(tgtIn)), h);
    const logits = this.out.forward(this.drop.forward(output));
    const [b, t, v] = logits.shape as [number, number, number];
    const loss = crossEntropy(reshape(logits, [b * t, v]), reshape(tgtOut, [b * t]), { ignoreIndex: 0 });
    return { loss, logits };
  }

  stepper(src: Tensor, padding: Padding): DecoderStepper<Tensor> {
    const h0 = this.encode(src, padding);
    const batchSize = src.shape[0]!;
    return {
      batchSize,
      start: (rows) => (rows === 1 ? h0 : indexSelect(h0, 1, repeatRows(batchSize, rows))),
      step: (tokens, state) => {
        const x = this.tgtEmbedding.forward(new Tensor(Int32Array.from(tokens), [tokens.length, 1], 'int32'));
        const { output, hN } = this.decoder.forward(x, state);
        const logits = reshape(this.out.forward(output), [tokens.length, -1]);
        return { logProbs: logSoftmax(logits, -1), state: hN };
      },
      select: (state, indices) =>
        indexSelect(state, 1, new Tensor(Int32Array.from(indices), [indices.length], 'int32')),
    };
  }
}

function repeatRows(batch: number, rows: number): Tensor {
  const idx = new Int32Array(batch * rows);
  for (let i = 0; i < idx.length; i++) idx[i] = Math.floor(i / rows);
  return new Tensor(idx, [idx.length], 'int32');
}

/** Embedding → GRU over the real tokens → final state → linear. */
export class TinyClassifier extends Module implements ClassificationModel {
  readonly embedding: Embedding;
  readonly rnn: GRU;
  readonly head: Linear;

  constructor(vocab: number, classes: number, generator?: Generator) {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(vocab, 8, { paddingIdx: 0, generator }));
    this.rnn = this.registerModule('rnn', new GRU(8, 16, { batchFirst: true, generator }));
    this.head = this.registerModule('head', new Linear(16, classes, { generator }));
  }

  forward(ids: Tensor, padding: Padding): { logits: Tensor } {
    const { hN } = this.rnn.forward(this.embedding.forward(ids), null, { lengths: padding.lengths });
    return { logits: this.head.forward(reshape(hN, [ids.shape[0]!, 16])) };
  }
}

/** The built-in reversal task as id examples: train and dev, and its tokenizer. */
export function reversalData(
  train = 48,
  dev = 12,
): { train: TranslationExample[]; dev: TranslationExample[]; tokenizer: Tokenizer; vocab: number } {
  const task = reversalTask({ count: train + dev, seed: 3, minLength: 2, maxLength: 5, vocabSize: 5 });
  const tok = task.sourceTokenizer;
  const examples = task.pairs.map((p) => ({ source: tok.encode(p.source), target: tok.encode(p.target) }));
  return {
    train: examples.slice(0, train),
    dev: examples.slice(train),
    tokenizer: tok,
    vocab: tok.vocabulary.size,
  };
}

/** Sequences labelled by whether their first id is even (learnable from the tokens). */
export function parityData(count: number, g: Generator): SequenceExample[] {
  return Array.from({ length: count }, () => {
    const n = g.randint(2, 7);
    const ids = Array.from({ length: n }, () => g.randint(4, 12));
    return { ids, label: ids[0]! % 2 };
  });
}

/** A vector parameter w, pulled towards random targets: loss = mean((w − t)²). Cheap enough for loop tests. */
export class Vector extends Module {
  readonly w: Tensor;
  constructor(size: number) {
    super();
    this.w = this.registerParameter('w', new Tensor(new Float32Array(size).fill(1), [size]))!;
  }
}

export interface QuadraticBatch {
  target: Tensor;
}

/**
 * `batches` batches per epoch, each a target vector drawn from the epoch's generator; evaluate() returns the
 * scripted metrics in turn (the last one repeated), or the distance to zero.
 */
export class QuadraticTask implements TaskAdapter<QuadraticBatch> {
  readonly model: Vector;
  evaluations = 0;
  constructor(
    readonly size: number,
    readonly batches: number,
    readonly script: Record<string, number>[] = [],
  ) {
    this.model = new Vector(size);
  }

  trainBatches(_epoch: number, g: Generator): QuadraticBatch[] {
    return Array.from({ length: this.batches }, () => {
      const t = new Float32Array(this.size);
      g.fillUniform(t, -1, 1);
      return { target: new Tensor(t, [this.size]) };
    });
  }

  loss(batch: QuadraticBatch): { loss: Tensor; tokens: number; examples: number } {
    return { loss: mean(square(sub(this.model.w, batch.target))), tokens: this.size, examples: 1 };
  }

  evaluate(_split: string): Record<string, number> {
    const i = this.evaluations++;
    if (this.script.length > 0) return this.script[Math.min(i, this.script.length - 1)]!;
    let s = 0;
    for (const v of this.model.w.data) s += v * v;
    return { loss: s / this.size };
  }
}
