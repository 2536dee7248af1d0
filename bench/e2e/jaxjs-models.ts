/**
 * jax-js's side of the end-to-end benchmarks, browser-safe: run in Node by bench/e2e/jaxjs-e2e.ts (a child
 * process of bench/e2e/run-e2e.ts) and in Chromium by bench/browser/page.ts. The same models as attn's (shapes in config.ts), written with jax-js's numpy/nn ops and valueAndGrad. jax-js
 * arrays are reference-counted and every function consumes its arguments: `.ref` marks each use that is not the
 * last. Weights are stored [in, out] so that every product is x·W. Adam and AdamW are written out (jax-js ships
 * no optimisers; @jax-js/optax is not on the registry).
 */
import { nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import { CLS, DECODE, NMT, tokenIds } from './config.js';

type A = np.Array;
type Params = Record<string, A>;

let seed = 12345;
function uniform(shape: number[], bound: number): A {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    data[i] = (seed / 2 ** 32) * 2 * bound - bound;
  }
  return np.array(data).reshape(shape);
}
const ids = (data: Int32Array, shape: number[]) => np.array(data, { dtype: np.int32 }).reshape(shape);

/** Adds linear layer `name` (weight [in, out], bias [out]) to p. */
function addLinear(p: Params, name: string, inF: number, outF: number, bias = true): void {
  p[`${name}.w`] = uniform([inF, outF], 1 / Math.sqrt(inF));
  if (bias) p[`${name}.b`] = uniform([outF], 1 / Math.sqrt(inF));
}
/** x [..., in]·W + b, consuming x (the parameters are referenced). */
function linear(p: Params, name: string, x: A): A {
  const shape = x.shape;
  const w = p[`${name}.w`]!;
  let y = np.matmul(x.reshape([-1, shape[shape.length - 1]!]), w.ref);
  const b = p[`${name}.b`];
  if (b) y = y.add(b.ref);
  return y.reshape([...shape.slice(0, -1), w.shape[1]!]);
}

/** GRU step from the input pre-activation xg [B, 3H] (bias included) and h [B, H]; consumes both. */
function gru(p: Params, name: string, xg: A, h: A): A {
  const hg = linear(p, name, h.ref);
  const [xr, xz, xn] = np.split(xg, 3, 1) as [A, A, A];
  const [hr, hz, hn] = np.split(hg, 3, 1) as [A, A, A];
  const r = nn.sigmoid(xr.add(hr));
  const z = nn.sigmoid(xz.add(hz));
  const n = np.tanh(xn.add(r.mul(hn)));
  return n.ref.add(z.mul(h.sub(n)));
}

function crossEntropy(logits: A, labels: A, classes: number): A {
  const rows = logits.shape[0]!;
  return nn
    .logSoftmax(logits, -1)
    .mul(nn.oneHot(labels, classes))
    .sum()
    .mul(-1 / rows);
}

/** Adam (or AdamW with decay > 0) as torch: one update of every parameter. */
function adam(lr: number, decay: number) {
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  let m: Params | null = null;
  let v: Params | null = null;
  let step = 0;
  return (params: Params, grads: Params): Params => {
    step++;
    if (!m || !v) {
      m = tree.map((g: A) => np.zerosLike(g.ref), grads) as Params;
      v = tree.map((g: A) => np.zerosLike(g.ref), grads) as Params;
    }
    const c1 = lr / (1 - b1 ** step);
    const c2 = Math.sqrt(1 - b2 ** step);
    const out: Params = {};
    for (const key of Object.keys(params)) {
      const g = grads[key]!;
      const mk = m[key]!.mul(b1).add(g.ref.mul(1 - b1));
      const vk = v[key]!.mul(b2).add(g.ref.mul(g).mul(1 - b2));
      let pk = params[key]!;
      if (decay > 0) pk = pk.mul(1 - lr * decay);
      out[key] = pk.sub(mk.ref.mul(c1).div(np.sqrt(vk.ref).div(c2).add(eps)));
      m[key] = mk;
      v[key] = vk;
    }
    return out;
  };
}

export function nmtStep(): () => Promise<void> {
  const { hidden: H, embedding: E, attentionUnits: U, batch: B, srcLen: S, tgtLen: T } = NMT;
  const p: Params = {};
  p['encEmb'] = uniform([NMT.srcVocab, E], 1);
  addLinear(p, 'encIh', E, 3 * H);
  addLinear(p, 'encHh', H, 3 * H);
  addLinear(p, 'W1', H, U);
  addLinear(p, 'W2', H, U);
  addLinear(p, 'V', U, 1);
  p['decEmb'] = uniform([NMT.tgtVocab, E], 1);
  addLinear(p, 'decIh', H + E, 3 * H);
  addLinear(p, 'decHh', H, 3 * H);
  addLinear(p, 'fc', H, NMT.tgtVocab);
  const src = tokenIds(B * S, NMT.srcVocab, 1);
  const tgt = tokenIds(B * (T + 1), NMT.tgtVocab, 2);
  const tgtIn = new Int32Array(B * T);
  const tgtOut = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    tgtIn.set(tgt.subarray(b * (T + 1), b * (T + 1) + T), b * T);
    tgtOut.set(tgt.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
  }
  const loss = (q: Params, srcIds: A, inIds: A, outIds: A): A => {
    const xg = linear(q, 'encIh', np.take(q['encEmb']!.ref, srcIds, 0)); // [B, S, 3H]
    let h: A = np.zeros([B, H]);
    const outs: A[] = [];
    for (let s = 0; s < S; s++) {
      h = gru(q, 'encHh', xg.ref.slice([], s, []), h);
      outs.push(h.ref);
    }
    xg.dispose();
    const memory = np.stack(outs, 1); // [B, S, H]
    const keys = linear(q, 'W1', memory.ref); // [B, S, U]
    const emb = np.take(q['decEmb']!.ref, inIds, 0); // [B, T, E]
    const dec: A[] = [];
    for (let t = 0; t < T; t++) {
      const query = linear(q, 'W2', h.ref).reshape([B, 1, U]);
      const scores = linear(q, 'V', np.tanh(keys.ref.add(query))).reshape([B, S]);
      const context = np.matmul(nn.softmax(scores, -1).reshape([B, 1, S]), memory.ref).reshape([B, H]);
      const input = np.concatenate([context, emb.ref.slice([], t, [])], 1);
      h = gru(q, 'decHh', linear(q, 'decIh', input), h);
      dec.push(h.ref);
    }
    h.dispose();
    keys.dispose();
    memory.dispose();
    emb.dispose();
    const logits = linear(q, 'fc', np.stack(dec, 1).reshape([B * T, H]));
    tree.dispose(q);
    return crossEntropy(logits, outIds, NMT.tgtVocab);
  };
  const grad = valueAndGrad(loss);
  const update = adam(NMT.lr, 0);
  let params = p;
  return async () => {
    const [value, grads] = grad(tree.ref(params), ids(src, [B, S]), ids(tgtIn, [B, T]), ids(tgtOut, [B * T]));
    params = update(params, grads as Params);
    await value.data();
    await Promise.all(Object.values(params).map((x) => x.blockUntilReady()));
  };
}

function sinusoid(maxLen: number, d: number): A {
  const pe = new Float32Array(maxLen * d);
  for (let pos = 0; pos < maxLen; pos++)
    for (let i = 0; i < d; i += 2) {
      const angle = pos * Math.exp(-(i * Math.log(10000)) / d);
      pe[pos * d + i] = Math.sin(angle);
      pe[pos * d + i + 1] = Math.cos(angle);
    }
  return np.array(pe).reshape([maxLen, d]);
}

function addNorm(p: Params, name: string, d: number): void {
  p[`${name}.g`] = np.ones([d]);
  p[`${name}.b`] = np.zeros([d]);
}
function layerNorm(p: Params, name: string, x: A): A {
  const mean = x.ref.mean(-1, { keepdims: true });
  const centred = x.sub(mean);
  const variance = centred.ref.mul(centred.ref).mean(-1, { keepdims: true });
  return centred
    .div(np.sqrt(variance.add(1e-5)))
    .mul(p[`${name}.g`]!.ref)
    .add(p[`${name}.b`]!.ref);
}
const splitHeads = (x: A, heads: number): A => {
  const [b, t, d] = x.shape as [number, number, number];
  return x.reshape([b, t, heads, d / heads]).transpose([0, 2, 1, 3]);
};
const mergeHeads = (x: A): A => {
  const [b, h, t, dh] = x.shape as [number, number, number, number];
  return x.transpose([0, 2, 1, 3]).reshape([b, t, h * dh]);
};
/** softmax(q·kᵀ/√dh + mask)·v; consumes q, k, v and mask. */
function attention(q: A, k: A, v: A, mask: A | null): A {
  let s = np.matmul(q.mul(1 / Math.sqrt(q.shape[3]!)), k.transpose([0, 1, 3, 2]));
  if (mask) s = s.add(mask);
  return np.matmul(nn.softmax(s, -1), v);
}

function addEncoderLayer(p: Params, name: string, d: number, ff: number): void {
  addLinear(p, `${name}.in`, d, 3 * d);
  addLinear(p, `${name}.out`, d, d);
  addLinear(p, `${name}.l1`, d, ff);
  addLinear(p, `${name}.l2`, ff, d);
  addNorm(p, `${name}.n1`, d);
  addNorm(p, `${name}.n2`, d);
}
/** Post-norm encoder layer; consumes x and mask. */
function encoderLayer(p: Params, name: string, x: A, heads: number, mask: A | null): A {
  const [q, k, v] = np.split(linear(p, `${name}.in`, x.ref), 3, -1) as [A, A, A];
  const a = linear(
    p,
    `${name}.out`,
    mergeHeads(attention(splitHeads(q, heads), splitHeads(k, heads), splitHeads(v, heads), mask)),
  );
  const y = layerNorm(p, `${name}.n1`, x.add(a));
  const f = linear(p, `${name}.l2`, nn.relu(linear(p, `${name}.l1`, y.ref)));
  return layerNorm(p, `${name}.n2`, y.add(f));
}

export function clsStep(): () => Promise<void> {
  const { dModel: D, heads, ff, layers, seqLen: T, batch: B, classes } = CLS;
  const p: Params = { emb: uniform([CLS.vocab, D], 1) };
  for (let i = 0; i < layers; i++) addEncoderLayer(p, `layer${i}`, D, ff);
  addLinear(p, 'W', D, D);
  addLinear(p, 'v', D, 1, false);
  addLinear(p, 'out', D, classes);
  const pe = sinusoid(T, D);
  const x = tokenIds(B * T, CLS.vocab, 3);
  const labels = Int32Array.from(tokenIds(B, CLS.vocab, 4), (v) => v % classes);
  const loss = (q: Params, xs: A, ys: A, positions: A): A => {
    const mask = np.equal(xs.ref, 0).astype(np.float32).mul(-1e9); // [B, T]
    let h = np.take(q['emb']!.ref, xs, 0).add(positions);
    for (let i = 0; i < layers; i++)
      h = encoderLayer(q, `layer${i}`, h, heads, mask.ref.reshape([B, 1, 1, T]));
    const scores = linear(q, 'v', np.tanh(linear(q, 'W', h.ref)))
      .reshape([B, T])
      .add(mask);
    const pooled = np.matmul(nn.softmax(scores, -1).reshape([B, 1, T]), h).reshape([B, D]);
    const logits = linear(q, 'out', pooled);
    tree.dispose(q);
    return crossEntropy(logits, ys, classes);
  };
  const grad = valueAndGrad(loss);
  const update = adam(CLS.lr, CLS.weightDecay);
  let params = p;
  return async () => {
    const [value, grads] = grad(tree.ref(params), ids(x, [B, T]), ids(labels, [B]), pe.ref);
    params = update(params, grads as Params);
    await value.data();
    await Promise.all(Object.values(params).map((a) => a.blockUntilReady()));
  };
}

export function decodeRun(beam: boolean, useCache: boolean): () => Promise<void> {
  const { dModel: D, heads, ff, vocab, srcLen, steps } = DECODE;
  const p: Params = {
    srcEmb: uniform([vocab, D], 1 / Math.sqrt(D)),
    tgtEmb: uniform([vocab, D], 1 / Math.sqrt(D)),
  };
  for (let i = 0; i < DECODE.encoderLayers; i++) addEncoderLayer(p, `enc${i}`, D, ff);
  addNorm(p, 'encNorm', D);
  for (let i = 0; i < DECODE.decoderLayers; i++) {
    addEncoderLayer(p, `dec${i}`, D, ff); // self-attention, feed-forward, n1, n2
    addLinear(p, `dec${i}.cq`, D, D);
    addLinear(p, `dec${i}.ckv`, D, 2 * D);
    addLinear(p, `dec${i}.cout`, D, D);
    addNorm(p, `dec${i}.n3`, D);
  }
  addNorm(p, 'decNorm', D);
  addLinear(p, 'gen', D, vocab);
  const pe = sinusoid(512, D);
  const src = tokenIds(srcLen, vocab, 5);
  const k = beam ? DECODE.beam : 1;
  const scale = Math.sqrt(D);
  const embed = (table: string, tokens: A, offset: number): A =>
    np
      .take(p[table]!.ref, tokens, 0)
      .mul(scale)
      .add(pe.ref.slice([offset, offset + tokens.shape[1]!], []));

  /** Decoder layers over x [R, t, D]; self keys/values cached per layer when `caches` is given. */
  const decoderStack = (
    x: A,
    memK: A[],
    memV: A[],
    memMask: A,
    causal: A | null,
    caches: { k: A | null; v: A | null }[] | null,
  ): A => {
    for (let i = 0; i < DECODE.decoderLayers; i++) {
      const name = `dec${i}`;
      const [q, kk, vv] = np.split(linear(p, `${name}.in`, x.ref), 3, -1) as [A, A, A];
      let kh = splitHeads(kk, heads);
      let vh = splitHeads(vv, heads);
      if (caches) {
        const c = caches[i]!;
        if (c.k) {
          kh = np.concatenate([c.k, kh], 2);
          vh = np.concatenate([c.v!, vh], 2);
        }
        caches[i] = { k: kh.ref, v: vh.ref };
      }
      x = layerNorm(
        p,
        `${name}.n1`,
        x.add(
          linear(
            p,
            `${name}.out`,
            mergeHeads(attention(splitHeads(q, heads), kh, vh, causal ? causal.ref : null)),
          ),
        ),
      );
      const qc = splitHeads(linear(p, `${name}.cq`, x.ref), heads);
      x = layerNorm(
        p,
        `${name}.n2`,
        x.add(linear(p, `${name}.cout`, mergeHeads(attention(qc, memK[i]!.ref, memV[i]!.ref, memMask.ref)))),
      );
      x = layerNorm(p, `${name}.n3`, x.add(linear(p, `${name}.l2`, nn.relu(linear(p, `${name}.l1`, x.ref)))));
    }
    return layerNorm(p, 'decNorm', x);
  };

  return async () => {
    const srcIds = ids(src, [1, srcLen]);
    const padMask = np.equal(srcIds.ref, 0).astype(np.float32).mul(-1e9).reshape([1, 1, 1, srcLen]);
    let m = embed('srcEmb', srcIds, 0);
    for (let i = 0; i < DECODE.encoderLayers; i++) m = encoderLayer(p, `enc${i}`, m, heads, padMask.ref);
    m = np.tile(layerNorm(p, 'encNorm', m), [k, 1, 1]);
    const memK: A[] = [];
    const memV: A[] = [];
    for (let i = 0; i < DECODE.decoderLayers; i++) {
      const [mk, mv] = np.split(linear(p, `dec${i}.ckv`, m.ref), 2, -1) as [A, A];
      memK.push(splitHeads(mk, heads));
      memV.push(splitHeads(mv, heads));
    }
    m.dispose();
    const memMask = np.tile(padMask, [k, 1, 1, 1]);
    let caches = useCache
      ? Array.from({ length: DECODE.decoderLayers }, () => ({ k: null as A | null, v: null as A | null }))
      : null;
    let tokens = new Int32Array(k).fill(DECODE.sos);
    const prefix: Int32Array[] = Array.from({ length: k }, () => Int32Array.of(DECODE.sos));
    const scores = new Float32Array(k).fill(-Infinity);
    scores[0] = 0;
    for (let t = 0; t < steps; t++) {
      let hidden: A;
      if (useCache) {
        hidden = decoderStack(embed('tgtEmb', ids(tokens, [k, 1]), t), memK, memV, memMask, null, caches);
      } else {
        const len = t + 1;
        const flat = new Int32Array(k * len);
        prefix.forEach((row, r) => flat.set(row, r * len));
        const causalData = new Float32Array(len * len);
        for (let i = 0; i < len; i++) for (let j = i + 1; j < len; j++) causalData[i * len + j] = -1e9;
        const causal = np.array(causalData).reshape([len, len]);
        hidden = decoderStack(
          embed('tgtEmb', ids(flat, [k, len]), 0),
          memK,
          memV,
          memMask,
          causal,
          null,
        ).slice([], [t, t + 1], []);
        causal.dispose();
      }
      const lp = (await nn.logSoftmax(linear(p, 'gen', hidden.reshape([k, D])), -1).data()) as Float32Array;
      // The search itself (top-k over k·V scores, reordering rows) runs on the host, as in attn.
      let rows: number[];
      if (beam) {
        const cand: { s: number; i: number }[] = [];
        for (let r = 0; r < k; r++)
          for (let v = 0; v < vocab; v++) {
            const s = scores[r]! + lp[r * vocab + v]!;
            if (cand.length < k || s > cand[cand.length - 1]!.s) {
              cand.push({ s, i: r * vocab + v });
              cand.sort((a, b) => b.s - a.s);
              if (cand.length > k) cand.pop();
            }
          }
        rows = cand.map((c) => Math.floor(c.i / vocab));
        tokens = Int32Array.from(cand, (c) => c.i % vocab);
        cand.forEach((c, r) => (scores[r] = c.s));
        if (caches) {
          const index = ids(Int32Array.from(rows), [k]);
          caches = caches.map((c) => ({ k: np.take(c.k!, index.ref, 0), v: np.take(c.v!, index.ref, 0) }));
          index.dispose();
        }
      } else {
        rows = [0];
        let best = 0;
        for (let v = 1; v < vocab; v++) if (lp[v]! > lp[best]!) best = v;
        tokens = Int32Array.of(best);
      }
      const old = prefix.map((r) => r);
      rows.forEach((r, i) => {
        const row = new Int32Array(old[r]!.length + 1);
        row.set(old[r]!);
        row[row.length - 1] = tokens[i]!;
        prefix[i] = row;
      });
    }
    for (const a of [...memK, ...memV, memMask]) a.dispose();
    if (caches)
      for (const c of caches) {
        c.k!.dispose();
        c.v!.dispose();
      }
  };
}

export async function seconds(
  fn: () => Promise<void>,
  warmup: number,
  count: number,
  best: boolean,
): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return (best ? Math.min(...times) : times.reduce((a, b) => a + b, 0) / times.length) / 1000;
}
