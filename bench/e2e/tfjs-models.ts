/**
 * TensorFlow.js's side of the end-to-end benchmarks, browser-safe: run in Node by bench/e2e/tfjs-e2e.ts (a child
 * process of bench/e2e/run-e2e.ts) and in Chromium by bench/browser/page.ts. The models are written with tf ops (tfjs-layers has no Bahdanau decoder nor a Transformer) and do the same
 * arithmetic as attn's (shapes in config.ts): same layers, loss, optimiser, decode loop.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { CLS, DECODE, NMT, tokenIds } from './config.js';

type T = tf.Tensor;
/** Every variable the models made, so that a run can dispose of them. */
export const params: tf.Variable[] = [];
function param(shape: number[], scale: number): tf.Variable {
  const v = tf.variable(tf.randomUniform(shape, -scale, scale));
  params.push(v);
  return v;
}
// Weights are stored [in, out] (Keras's layout): the wasm backend's matMul is ~10× slower with a transposed
// operand, so x·W is the idiomatic and fast form here.
const linear = (inF: number, outF: number, bias = true) => ({
  w: param([inF, outF], 1 / Math.sqrt(inF)),
  b: bias ? param([outF], 1 / Math.sqrt(inF)) : null,
});
type Lin = ReturnType<typeof linear>;
/** x [..., in] · W + b. */
function apply(l: Lin, x: T): T {
  const shape = x.shape;
  const y = tf.matMul(x.reshape([-1, shape[shape.length - 1]!]), l.w);
  const out = l.b ? tf.add(y, l.b) : y;
  return out.reshape([...shape.slice(0, -1), l.w.shape[1]!]);
}
const ids2 = (data: Int32Array, shape: number[]) => tf.tensor(data, shape, 'int32');

/**
 * Embedding lookup table[ids]. The wasm backend lacks UnsortedSegmentSum, the kernel of gather's own gradient,
 * so the gradient is given as what it is, a scatter-add of the output gradient into the table's rows (ScatterNd
 * sums duplicate indices).
 */
function gatherRows(table: tf.Variable, ids: T): T {
  const [vocab, width] = table.shape as [number, number];
  const flat = ids.reshape([-1, 1]);
  const f = tf.customGrad((...args: (T | tf.GradSaveFunc)[]) => {
    const t = args[0] as T;
    (args[1] as tf.GradSaveFunc)([flat]);
    return {
      value: tf.gather(t, flat.reshape([-1])),
      gradFunc: (dy: T, saved: T[]) => tf.scatterND(saved[0]!, dy.reshape([-1, width]), [vocab, width]),
    };
  });
  return (f(table) as T).reshape([...ids.shape, width]);
}

/** GRU cell from the input pre-activation xg [B, 3H] (bias included) and h [B, H], gates r, z, n. */
function gru(xg: T, h: T, whh: tf.Variable, bhh: tf.Variable): T {
  const hg = tf.add(tf.matMul(h, whh), bhh);
  const [xr, xz, xn] = tf.split(xg, 3, 1) as [T, T, T];
  const [hr, hz, hn] = tf.split(hg, 3, 1) as [T, T, T];
  const r = tf.sigmoid(tf.add(xr, hr));
  const z = tf.sigmoid(tf.add(xz, hz));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  return tf.add(n, tf.mul(z, tf.sub(h, n)));
}

export function nmtStep(): () => void {
  const { hidden: H, embedding: E, attentionUnits: U, batch: B, srcLen: S, tgtLen: TT } = NMT;
  const k = 1 / Math.sqrt(H);
  const encEmb = param([NMT.srcVocab, E], 1);
  const encWih = param([E, 3 * H], k);
  const encWhh = param([H, 3 * H], k);
  const encBih = param([3 * H], k);
  const encBhh = param([3 * H], k);
  const W1 = linear(H, U);
  const W2 = linear(H, U);
  const V = linear(U, 1);
  const decEmb = param([NMT.tgtVocab, E], 1);
  const decWih = param([H + E, 3 * H], k);
  const decWhh = param([H, 3 * H], k);
  const decBih = param([3 * H], k);
  const decBhh = param([3 * H], k);
  const fc = linear(H, NMT.tgtVocab);
  const optimizer = tf.train.adam(NMT.lr, 0.9, 0.999, 1e-8);
  const src = ids2(tokenIds(B * S, NMT.srcVocab, 1), [B, S]);
  const tgt = ids2(tokenIds(B * (TT + 1), NMT.tgtVocab, 2), [B, TT + 1]);
  const tgtIn = tgt.slice([0, 0], [B, TT]);
  const tgtOut = tgt.slice([0, 1], [B, TT]).reshape([B * TT]);
  const loss = (): tf.Scalar => {
    const x = gatherRows(encEmb, src); // [B, S, E]
    const xg = tf.add(tf.matMul(x.reshape([B * S, E]), encWih), encBih).reshape([B, S, 3 * H]);
    let h: T = tf.zeros([B, H]);
    const outs: T[] = [];
    for (let s = 0; s < S; s++) {
      h = gru(xg.slice([0, s, 0], [B, 1, 3 * H]).reshape([B, 3 * H]), h, encWhh, encBhh);
      outs.push(h);
    }
    const memory = tf.stack(outs, 1); // [B, S, H]
    const keys = apply(W1, memory); // [B, S, U]
    const emb = gatherRows(decEmb, tgtIn); // [B, T, E]
    const dec: T[] = [];
    for (let t = 0; t < TT; t++) {
      const q = apply(W2, h).reshape([B, 1, U]);
      const scores = apply(V, tf.tanh(tf.add(keys, q))).reshape([B, S]);
      const alpha = tf.softmax(scores);
      const context = tf.matMul(alpha.reshape([B, 1, S]), memory).reshape([B, H]);
      const input = tf.concat([context, emb.slice([0, t, 0], [B, 1, E]).reshape([B, E])], 1);
      h = gru(tf.add(tf.matMul(input, decWih), decBih), h, decWhh, decBhh);
      dec.push(h);
    }
    const logits = apply(fc, tf.stack(dec, 1).reshape([B * TT, H]));
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tgtOut, NMT.tgtVocab), logits) as tf.Scalar;
  };
  return () => {
    tf.tidy(() => {
      optimizer.minimize(loss, false, params);
    });
  };
}

function layerNorm(x: T, g: tf.Variable, b: tf.Variable): T {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
}
const norm = (d: number) => {
  const g = tf.variable(tf.ones([d]));
  const b = tf.variable(tf.zeros([d]));
  params.push(g, b);
  return { g, b };
};

/** softmax(q·kᵀ/√dh + mask)·v over [B, H, Tq, dh] × [B, H, Tk, dh]; mask broadcastable to the scores. */
function attention(q: T, k: T, v: T, mask: T | null): T {
  let s = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(q.shape[3]!));
  if (mask) s = tf.add(s, mask);
  return tf.matMul(tf.softmax(s), v);
}
const splitHeads = (x: T, heads: number) => {
  const [b, t, d] = x.shape as [number, number, number];
  return x.reshape([b, t, heads, d / heads]).transpose([0, 2, 1, 3]);
};
const mergeHeads = (x: T) => {
  const [b, h, t, dh] = x.shape as [number, number, number, number];
  return x.transpose([0, 2, 1, 3]).reshape([b, t, h * dh]);
};

function mha(d: number) {
  return { inProj: linear(d, 3 * d), out: linear(d, d) };
}

function encoderLayer(d: number, ff: number) {
  return { sa: mha(d), l1: linear(d, ff), l2: linear(ff, d), n1: norm(d), n2: norm(d) };
}
type EncLayer = ReturnType<typeof encoderLayer>;

function runEncoderLayer(l: EncLayer, x: T, heads: number, mask: T | null): T {
  const [q, k, v] = tf.split(apply(l.sa.inProj, x), 3, -1) as [T, T, T];
  const a = apply(
    l.sa.out,
    mergeHeads(attention(splitHeads(q, heads), splitHeads(k, heads), splitHeads(v, heads), mask)),
  );
  x = layerNorm(tf.add(x, a), l.n1.g, l.n1.b);
  return layerNorm(tf.add(x, apply(l.l2, tf.relu(apply(l.l1, x)))), l.n2.g, l.n2.b);
}

function sinusoid(maxLen: number, d: number): T {
  const pe = new Float32Array(maxLen * d);
  for (let p = 0; p < maxLen; p++)
    for (let i = 0; i < d; i += 2) {
      const angle = p * Math.exp(-(i * Math.log(10000)) / d);
      pe[p * d + i] = Math.sin(angle);
      pe[p * d + i + 1] = Math.cos(angle);
    }
  return tf.tensor(pe, [maxLen, d]);
}

export function clsStep(): () => void {
  const { dModel: D, heads, ff, layers, seqLen: TT, batch: B, classes } = CLS;
  const emb = param([CLS.vocab, D], 1);
  const pe = sinusoid(TT, D);
  const encoder = Array.from({ length: layers }, () => encoderLayer(D, ff));
  const W = linear(D, D);
  const v = linear(D, 1, false);
  const out = linear(D, classes);
  const ids = ids2(tokenIds(B * TT, CLS.vocab, 3), [B, TT]);
  const labels = tf.tensor(
    Int32Array.from(tokenIds(B, CLS.vocab, 4), (x) => x % classes),
    [B],
    'int32',
  );
  const adam = tf.train.adam(CLS.lr, 0.9, 0.999, 1e-8);
  const loss = (): tf.Scalar => {
    const pad = tf.equal(ids, 0); // [B, T]
    const mask = tf.mul(tf.cast(pad, 'float32'), -1e9);
    let x: T = tf.add(gatherRows(emb, ids), pe);
    for (const l of encoder) x = runEncoderLayer(l, x, heads, mask.reshape([B, 1, 1, TT]));
    const scores = tf.add(apply(v, tf.tanh(apply(W, x))).reshape([B, TT]), mask);
    const pooled = tf.matMul(tf.softmax(scores).reshape([B, 1, TT]), x).reshape([B, D]);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, classes), apply(out, pooled)) as tf.Scalar;
  };
  return () => {
    tf.tidy(() => {
      // AdamW: decoupled decay p ← p·(1 − lr·λ), then the Adam update (torch's order).
      for (const p of params) p.assign(tf.mul(p, 1 - CLS.lr * CLS.weightDecay));
      adam.minimize(loss, false, params);
    });
  };
}

function decoderLayer(d: number, ff: number) {
  return {
    sa: mha(d),
    ca: mha(d),
    l1: linear(d, ff),
    l2: linear(ff, d),
    n1: norm(d),
    n2: norm(d),
    n3: norm(d),
  };
}
interface Cache {
  k: T | null;
  v: T | null;
}

export function decodeRun(beam: boolean, useCache: boolean): () => void {
  const { dModel: D, heads, ff, vocab, srcLen, steps } = DECODE;
  const srcEmb = param([vocab, D], 1 / Math.sqrt(D));
  const tgtEmb = param([vocab, D], 1 / Math.sqrt(D));
  const pe = sinusoid(512, D);
  const enc = Array.from({ length: DECODE.encoderLayers }, () => encoderLayer(D, ff));
  const encNorm = norm(D);
  const dec = Array.from({ length: DECODE.decoderLayers }, () => decoderLayer(D, ff));
  const decNorm = norm(D);
  const gen = linear(D, vocab);
  const src = ids2(tokenIds(srcLen, vocab, 5), [1, srcLen]);
  const rowsK = beam ? DECODE.beam : 1;
  const scale = Math.sqrt(D);
  const embed = (table: T, ids: T, offset: number) =>
    tf.add(tf.mul(tf.gather(table, ids), scale), pe.slice([offset, 0], [ids.shape[1]!, D]));

  /** x [R, t, D] over memory; cross keys/values [R, H, S, dh] per layer given, or computed from memory. */
  const decoderStack = (x: T, memK: T[], memV: T[], memMask: T, causal: T | null, caches: Cache[] | null) => {
    dec.forEach((l, i) => {
      const [q, k, v] = tf.split(apply(l.sa.inProj, x), 3, -1) as [T, T, T];
      let kh = splitHeads(k, heads);
      let vh = splitHeads(v, heads);
      if (caches) {
        const c = caches[i]!;
        if (c.k) {
          kh = tf.concat([c.k, kh], 2);
          vh = tf.concat([c.v!, vh], 2);
        }
        caches[i] = { k: kh, v: vh };
      }
      x = layerNorm(
        tf.add(x, apply(l.sa.out, mergeHeads(attention(splitHeads(q, heads), kh, vh, causal)))),
        l.n1.g,
        l.n1.b,
      );
      const wq = l.ca.inProj.w.slice([0, 0], [D, D]);
      const bq = l.ca.inProj.b!.slice([0], [D]);
      const qc = tf.add(tf.matMul(x.reshape([-1, D]), wq), bq).reshape(x.shape);
      x = layerNorm(
        tf.add(x, apply(l.ca.out, mergeHeads(attention(splitHeads(qc, heads), memK[i]!, memV[i]!, memMask)))),
        l.n2.g,
        l.n2.b,
      );
      x = layerNorm(tf.add(x, apply(l.l2, tf.relu(apply(l.l1, x)))), l.n3.g, l.n3.b);
    });
    return layerNorm(x, decNorm.g, decNorm.b);
  };

  return () => {
    const prefixOut = tf.tidy(() => {
      const padMask = tf.mul(tf.cast(tf.equal(src, 0), 'float32'), -1e9).reshape([1, 1, 1, srcLen]);
      let m: T = embed(srcEmb, src, 0);
      for (const l of enc) m = runEncoderLayer(l, m, heads, padMask);
      m = tf.tile(layerNorm(m, encNorm.g, encNorm.b), [rowsK, 1, 1]);
      const memK: T[] = [];
      const memV: T[] = [];
      for (const l of dec) {
        const w = l.ca.inProj.w;
        const b = l.ca.inProj.b!;
        const kv = tf.add(tf.matMul(m.reshape([-1, D]), w.slice([0, D], [D, 2 * D])), b.slice([D], [2 * D]));
        const [k, v] = tf.split(kv.reshape([rowsK, srcLen, 2 * D]), 2, -1) as [T, T];
        memK.push(splitHeads(k, heads));
        memV.push(splitHeads(v, heads));
      }
      const memMask = tf.tile(padMask, [rowsK, 1, 1, 1]);
      let caches: Cache[] | null = useCache ? dec.map(() => ({ k: null, v: null })) : null;
      let tokens: T = tf.fill([rowsK, 1], DECODE.sos, 'int32');
      let prefix = tokens;
      const init = new Float32Array(rowsK).fill(-Infinity);
      init[0] = 0;
      let scores: T = tf.tensor(init);
      for (let t = 0; t < steps; t++) {
        let hidden: T;
        if (useCache) {
          hidden = decoderStack(embed(tgtEmb, tokens, t), memK, memV, memMask, null, caches);
        } else {
          const len = t + 1;
          const causal = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([len, len]), -1, 0)), -1e9);
          hidden = decoderStack(embed(tgtEmb, prefix, 0), memK, memV, memMask, causal, null);
          hidden = hidden.slice([0, t, 0], [rowsK, 1, D]);
        }
        const lp = tf.logSoftmax(apply(gen, hidden.reshape([rowsK, D])));
        if (beam) {
          const { values, indices } = tf.topk(tf.add(scores.reshape([rowsK, 1]), lp).reshape([-1]), rowsK);
          const idx = indices.dataSync();
          const rows = tf.tensor(
            Int32Array.from(idx, (i) => Math.floor(i / vocab)),
            [rowsK],
            'int32',
          );
          tokens = tf.tensor(
            Int32Array.from(idx, (i) => i % vocab),
            [rowsK, 1],
            'int32',
          );
          scores = values;
          if (caches) caches = caches.map((c) => ({ k: tf.gather(c.k!, rows), v: tf.gather(c.v!, rows) }));
          prefix = tf.concat([tf.gather(prefix, rows), tokens], 1);
        } else {
          tokens = tf.argMax(lp, -1).reshape([rowsK, 1]).cast('int32');
          prefix = tf.concat([prefix, tokens], 1);
        }
      }
      return prefix;
    });
    prefixOut.dataSync();
    prefixOut.dispose();
  };
}

export function seconds(fn: () => void, warmup: number, count: number, best: boolean): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return (best ? Math.min(...times) : times.reduce((a, b) => a + b, 0) / times.length) / 1000;
}
