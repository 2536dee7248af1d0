/**
 * The attention layer every scoring mechanism shares. Given a query, keys and values:
 *
 *   k̂_j  = prepareKeys(k)_j               the key side of the score, once per set of keys (W1·k, W·k, …)
 *   e_ij = scorePrepared(q_i, k̂_j) (+ b)  the subclass's scoring function, plus an optional learned bias
 *   e_ij = -∞ where masked                 padding, causal, arbitrary masks, or outside a local window
 *   α_i  = normalise(e_i)                  softmax, sparsemax, entmax15, α-entmax, hard or Gumbel-softmax
 *   c_i  = Σ_j α_ij v_j                    the context vector
 *
 * The last three lines are pipeline.ts's `attend`, shared by every attention in attn. A decoder that attends
 * over the same keys at every step prepares them once and calls `attendPrepared`; `forward` prepares and attends.
 *
 * Shapes: query [B, dq] (one decoder step) or [B, Tq, dq] (a sequence of queries); keys [B, Tk, dk]; values
 * [B, Tk, dv] (the keys when omitted). Returns the context [B, dv] or [B, Tq, dv] and the weights [B, Tk] or
 * [B, Tq, Tk]. Masks follow PyTorch: bool `true` = ignore. A query whose keys are all masked gets zero weights
 * and a zero context.
 */
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { fail, requirePositiveIntegers } from '../tensor/errors.js';
import {
  add,
  arange,
  cast,
  mul,
  reshape,
  sigmoid,
  sub,
  sum,
  squeeze,
  tanh,
  unsqueeze,
  zeros,
} from '../tensor/index.js';
import type { Generator } from '../tensor/random.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkWindow, type LocalWindow } from './local.js';
import { checkMasks } from './masks.js';
import { checkNormalizer, type Normalizer } from './normalizers.js';
import { attend } from './pipeline.js';

export interface AttentionOptions {
  /** How scores become weights (default 'softmax'). */
  normalizer?: Normalizer;
  /** α > 1 of the 'entmax' normaliser (default 1.5); an error with any other normaliser. */
  alpha?: number;
  /** Gumbel-softmax temperature τ (default 1). */
  temperature?: number;
  /** Gumbel-softmax: one-hot forward value with a straight-through gradient. */
  hard?: boolean;
  /** Local attention (Luong et al. 2015); global when omitted. */
  window?: LocalWindow | null;
  /**
   * A learned bias added to the scores (e = score(q, k) + b): `true` for one scalar b (a shared shift: the
   * normalised weights do not change, as with the bias of Bahdanau's V layer), or a number N for one bias per key
   * position b_j, j < N (a learned positional prior).
   */
  scoreBias?: boolean | number;
  /** For initialisation and Gumbel sampling. */
  generator?: Generator;
}

export interface AttentionCallOptions {
  /** bool [B, Tk], true marks padding keys. */
  keyPaddingMask?: Tensor | null;
  /** bool (true = masked) or additive float, [Tq, Tk] or [B, Tq, Tk]. */
  mask?: Tensor | null;
  /** Query i (at position step + i) may attend keys 0..step+i only. */
  causal?: boolean;
  /** Position of the first query among the target steps: local-m aligns query i with source step + i. */
  step?: number;
  /** Local-p: S_b − 1 of every batch element, float32 [B, 1] (see `lastKeyPositions`); derived when absent. */
  lastKeyPosition?: Tensor | null;
  /** What `prepareWeights` returns, made once per run; made per call when absent. */
  scoreWeights?: readonly Tensor[];
}

export interface AttentionOutput {
  /** [B, dv] for one query, [B, Tq, dv] for a sequence. */
  context: Tensor;
  /** [B, Tk] or [B, Tq, Tk]. */
  weights: Tensor;
  /** The aligned positions p_t of local attention, [B] or [B, Tq]; absent for global attention. */
  positions?: Tensor;
}

export abstract class Attention extends Module {
  readonly normalizer: Normalizer;
  readonly window: LocalWindow | null;
  protected readonly options: AttentionOptions;
  /** The learned score bias, when asked for: [1] or [N]. */
  readonly scoreBias: Tensor | null = null;
  private readonly predictor: { Wp: Linear; vp: Linear } | null = null;

  constructor(
    protected readonly queryDim: number,
    protected readonly keyDim: number,
    options: AttentionOptions = {},
  ) {
    super();
    requirePositiveIntegers(this.constructor.name, { queryDim, keyDim });
    this.options = options;
    this.normalizer = options.normalizer ?? 'softmax';
    checkNormalizer(this.constructor.name, this.normalizer, options.alpha);
    this.window = options.window ?? null;
    if (this.window) checkWindow(this.constructor.name, this.window);
    const bias = options.scoreBias ?? false;
    if (bias !== false) {
      const n = bias === true ? 1 : bias;
      if (!Number.isInteger(n) || n <= 0)
        fail(this.constructor.name, `scoreBias must be true or a positive integer, got ${bias}`);
      this.scoreBias = this.registerParameter('score_bias', zeros([n]));
    }
    if (this.window?.kind === 'local-p') {
      // p_t = (S - 1)·sigmoid(v_pᵀ tanh(W_p h_t))
      const Wp = this.registerModule(
        'Wp',
        new Linear(queryDim, queryDim, { bias: false, generator: options.generator }),
      );
      const vp = this.registerModule(
        'vp',
        new Linear(queryDim, 1, { bias: false, generator: options.generator }),
      );
      this.predictor = { Wp, vp };
    }
  }

  /**
   * The keys as `scorePrepared` reads them, computed once per set of keys and reused by every query: W·k for
   * general, W1·k for additive, W_k·k + b for concat, the keys themselves for dot. [B, Tk, dk] → [B, Tk, ·].
   */
  prepareKeys(keys: Tensor): Tensor {
    return keys;
  }

  /**
   * Views of the parameters that every query's score reads (e.g. the query half of concat's W), made once per
   * run and passed back through `scorePrepared`; copies, so make new ones after an update. None by default.
   */
  prepareWeights(): readonly Tensor[] {
    return [];
  }

  /** Scores of every query against prepared keys: [B, Tq, dq] × [B, Tk, ·] → [B, Tq, Tk]. */
  abstract scorePrepared(query: Tensor, preparedKeys: Tensor, weights?: readonly Tensor[]): Tensor;

  /** Scores of every query against every key: [B, Tq, dq] × [B, Tk, dk] → [B, Tq, Tk]. */
  score(query: Tensor, keys: Tensor): Tensor {
    return this.scorePrepared(query, this.prepareKeys(keys));
  }

  forward(
    query: Tensor,
    keys: Tensor,
    values: Tensor = keys,
    call: AttentionCallOptions = {},
  ): AttentionOutput {
    this.checkInputs(this.constructor.name, query, keys, values);
    return this.attendPrepared(query, this.prepareKeys(keys), values, call);
  }

  /**
   * `forward` from keys already prepared (see `prepareKeys`), as a decoder calls it at every step: query
   * [B, dq] or [B, Tq, dq], preparedKeys [B, Tk, ·], values [B, Tk, dv].
   */
  attendPrepared(
    query: Tensor,
    preparedKeys: Tensor,
    values: Tensor,
    call: AttentionCallOptions = {},
  ): AttentionOutput {
    const op = this.constructor.name;
    const single = this.checkQuery(op, query, preparedKeys, values);
    const q = single ? unsqueeze(query, 1) : query;
    const [b, tq] = q.shape as [number, number];
    const tk = preparedKeys.shape[1]!;
    const step = call.step ?? 0;
    if (!Number.isInteger(step) || step < 0) fail(op, `step must be a non-negative integer, got ${step}`);

    let scores = this.scorePrepared(q, preparedKeys, call.scoreWeights ?? this.prepareWeights());
    if (this.scoreBias) scores = add(scores, this.biasFor(op, tk));
    checkMasks(op, b, tq, tk, call.keyPaddingMask, call.mask);
    const positions = this.window
      ? this.alignedPositions(q, b, tq, tk, step, call.keyPaddingMask ?? null, call.lastKeyPosition ?? null)
      : undefined;
    const { context, weights } = attend(scores, values, {
      keyPaddingMask: call.keyPaddingMask,
      mask: call.mask,
      causal: call.causal,
      step,
      window: this.window && positions ? { window: this.window, positions } : null,
      normalizer: this.normalizer,
      normalize: {
        temperature: this.options.temperature,
        hard: this.options.hard,
        alpha: this.options.alpha,
        generator: this.options.generator,
        training: this.training,
      },
    });
    if (!single) return { context, weights, ...(positions ? { positions } : {}) };
    return {
      context: squeeze(context, 1),
      weights: squeeze(weights, 1),
      ...(positions ? { positions: squeeze(positions, 1) } : {}),
    };
  }

  private checkInputs(op: string, query: Tensor, keys: Tensor, values: Tensor): void {
    const isFloat = (t: unknown): t is Tensor => t instanceof Tensor && t.dtype === 'float32';
    if (!isFloat(keys) || keys.ndim !== 3 || keys.shape[2] !== this.keyDim) {
      fail(op, `keys must be float32 [B, Tk, ${this.keyDim}], got ${shapeOf(keys)}`);
    }
    this.checkQuery(op, query, keys, values);
  }

  /** Checks query and values against the (prepared) keys [B, Tk, ·]; true for a single query [B, dq]. */
  private checkQuery(op: string, query: Tensor, keys: Tensor, values: Tensor): boolean {
    const isFloat = (t: unknown): t is Tensor => t instanceof Tensor && t.dtype === 'float32';
    if (!isFloat(keys) || keys.ndim !== 3)
      fail(op, `prepared keys must be float32 [B, Tk, ·], got ${shapeOf(keys)}`);
    const [b, tk] = keys.shape as [number, number];
    if (!isFloat(values) || values.ndim !== 3 || values.shape[0] !== b || values.shape[1] !== tk) {
      fail(
        op,
        `values must be float32 [${b}, ${tk}, dv] to match keys ${formatShape(keys.shape)}, got ${shapeOf(values)}`,
      );
    }
    const ok =
      isFloat(query) &&
      (query.ndim === 2 || query.ndim === 3) &&
      query.shape[0] === b &&
      query.shape.at(-1) === this.queryDim;
    if (!ok)
      fail(
        op,
        `query must be float32 [${b}, ${this.queryDim}] or [${b}, Tq, ${this.queryDim}], got ${shapeOf(query)}`,
      );
    return query.ndim === 2;
  }

  private biasFor(op: string, tk: number): Tensor {
    const bias = this.scoreBias!;
    if (bias.size === 1) return bias;
    if (tk > bias.size) fail(op, `scoreBias covers ${bias.size} key positions, got ${tk} keys`);
    return reshape(bias.slice(0, 0, tk), [1, 1, tk]);
  }

  /** p_t for every query: step + i (local-m) or predicted from the query (local-p). Float32 [B, Tq]. */
  private alignedPositions(
    q: Tensor,
    b: number,
    tq: number,
    tk: number,
    step: number,
    keyPaddingMask: Tensor | null,
    lastKeyPosition: Tensor | null,
  ): Tensor {
    if (!this.predictor) {
      const t = cast(arange(step, step + tq), 'float32');
      return add(zeros([b, tq]), reshape(t, [1, tq]));
    }
    if (lastKeyPosition && !shapesEqual(lastKeyPosition.shape, [b, 1]))
      fail(
        this.constructor.name,
        `lastKeyPosition must be float32 [${b}, 1], got ${shapeOf(lastKeyPosition)}`,
      );
    const last = lastKeyPosition ?? lastKeyPositions(b, tk, keyPaddingMask);
    const { Wp, vp } = this.predictor;
    const fraction = sigmoid(squeeze(vp.forward(tanh(Wp.forward(q))), -1));
    return mul(last, fraction);
  }
}

/**
 * S_b − 1 for every batch element, float32 [B, 1]: the last key that is not padding (local-p's range of p_t).
 * Depends only on the keys' padding, so a decoder computes it once per batch (AttentionCallOptions.lastKeyPosition).
 */
export function lastKeyPositions(b: number, tk: number, keyPaddingMask: Tensor | null): Tensor {
  return keyPaddingMask
    ? sub(tk - 1, sum(cast(keyPaddingMask, 'float32'), 1, true))
    : zeros([b, 1]).add(tk - 1);
}

function shapeOf(t: unknown): string {
  return t instanceof Tensor ? `${t.dtype} ${formatShape(t.shape)}` : String(t);
}
