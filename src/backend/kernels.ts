/**
 * The kernel interface: all numeric work of attn goes through one of these calls. Kernels are coarse (a whole
 * matmul, a whole softmax, a whole reduction) so that a native backend can replace the JavaScript reference
 * without the ops above knowing. Every kernel writes into an output array it is given, never allocates the
 * result itself, and trusts its caller: shapes and lengths are validated by the ops in src/tensor before any
 * kernel runs.
 *
 * Layout conventions: arrays are row-major and contiguous unless strides are passed. "outer × n × inner" names a
 * tensor viewed as three axes where the kernel works along the middle one (a softmax or reduction axis).
 */
import type { DataArray } from '../tensor/dtype.js';

export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'abs'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'gelu'
  | 'sign'
  | 'square'
  | 'reciprocal';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';

export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export type ReduceOp = 'sum' | 'max' | 'min' | 'logsumexp';

export type ArgReduceOp = 'argmax' | 'argmin';

/** A batched matrix product C[b] = op(A[b]) · op(B[b]), where op transposes when the flag is set. */
export interface MatmulArgs {
  batch: number;
  /** Rows of op(A) and of C. */
  m: number;
  /** Columns of op(B) and of C. */
  n: number;
  /** Columns of op(A), rows of op(B). */
  k: number;
  /** A is stored [k, m] instead of [m, k]. */
  transA: boolean;
  /** B is stored [n, k] instead of [k, n]. */
  transB: boolean;
  /** Elements between consecutive batch matrices of A: m·k, or 0 to reuse one matrix for every batch. */
  strideA: number;
  strideB: number;
}

/**
 * A right operand op(B) [k, n] prepared once by `packMatmulB` for many products `matmulPacked` (a recurrent
 * weight that multiplies a new state at every time step), so that a backend lays it out for its kernel once
 * instead of at every product. Only the backend that made it reads it; `b` must not change while it is in use.
 */
export interface PackedMatrix {
  readonly b: Float32Array;
  readonly k: number;
  readonly n: number;
  readonly transB: boolean;
  /** The name of the backend that made `packed`: another backend ignores it and reads b. */
  readonly packedBy: string;
  /** That backend's own copy of op(B) (the native backend's micro-kernel panels), or null. */
  readonly packed: Float32Array | null;
}

/** Softmax cross-entropy over rows of logits [rows, classes] with integer targets. */
export interface CrossEntropyArgs {
  rows: number;
  classes: number;
  /** Rows whose target equals this contribute no loss and no gradient. */
  ignoreIndex: number;
  /** ε of label smoothing: the target distribution is (1-ε)·onehot + ε/classes. */
  labelSmoothing: number;
}

/**
 * Fused scaled-dot-product attention over q [batch, heads, tq, d], k [batch, heads, tk, d] and
 * v [batch, heads, tk, dv], contiguous unless `layout` says otherwise: out = softmax(scale·q·kᵀ + masks)·v.
 */
export interface AttentionArgs {
  batch: number;
  heads: number;
  tq: number;
  tk: number;
  d: number;
  dv: number;
  scale: number;
  /** Query i may not attend key j > i (the mask of `causalMask(tq, tk)`). */
  causal: boolean;
  /**
   * Where each operand's rows lie, when not contiguous: heads read straight from projections [B, T, H·d]
   * (even one packed [B, T, 3·H·d] buffer, passed as three subarrays) and written straight into [B, T, H·dv],
   * with no copies to split or merge heads. dq, dk, dv take q, k, v's layout and dOut takes out's; lse and
   * weights stay contiguous.
   */
  layout?: AttentionLayout;
}

/** Row t of head h of batch element b starts at b·batch + h·head + t·row; its features are contiguous. */
export interface AttentionStrides {
  batch: number;
  head: number;
  row: number;
}

export interface AttentionLayout {
  q: AttentionStrides;
  k: AttentionStrides;
  v: AttentionStrides;
  out: AttentionStrides;
}

/**
 * One step of a fused recurrent cell. Gate pre-activations are gate-major [G, batch, hidden] (G = 3 for GRU,
 * gates r, z, n; 4 for LSTM, gates i, f, g, o, as torch), states [batch, hidden].
 */
export interface CellArgs {
  batch: number;
  hidden: number;
  /**
   * GRU only: the pre-activations (and gates, dxg, dhg) are rows [batch, 3·hidden], each row r | z | n, as one
   * GEMM h·W_hhᵀ writes them, instead of gate-major (default false).
   */
  rows?: boolean;
}

/**
 * One step of additive (Bahdanau) attention over keys already projected once per batch:
 *   e[b, s] = vBias + Σ_u v[u]·tanh(keys[b, s, u] + query[b, u]),  α = softmax_s(e) (masked: 0),
 *   context[b, :] = Σ_s α[b, s]·memory[b, s, :].
 * keys [batch, length, units], query [batch, units] (the projected decoder state), v [units], memory
 * [batch, length, width], mask [batch, length] (1 = may not be attended) or null; a row with every key masked
 * gets zero weights and a zero context.
 */
export interface AdditiveAttentionArgs {
  batch: number;
  length: number;
  units: number;
  width: number;
  vBias: number;
}

/**
 * One Adam/AdamW update (torch.optim's single-tensor arithmetic, in double per element): with grad = sign·g + l2·p,
 *   m ← β1·m + (1−β1)·grad,  v ← β2·v + (1−β2)·grad²,  v̂ ← max(v̂, v) (AMSGrad) else v,
 *   p ← p·decay − stepSize·m / (√v̂ / biasCorrection2Sqrt + eps)
 * m, v, v̂ and p are stored as float32 and the update reads the stored values. The caller derives the constants
 * from the step t: stepSize = lr/(1−β1ᵗ), biasCorrection2Sqrt = √(1−β2ᵗ), decay = 1 − lr·λ (AdamW) or 1.
 */
export interface AdamArgs {
  beta1: number;
  beta2: number;
  stepSize: number;
  biasCorrection2Sqrt: number;
  eps: number;
  /** L2 penalty added to the gradient (Adam's weight decay), 0 for none. */
  l2: number;
  /** Multiplier of p before the update (AdamW's decoupled decay), 1 for none. */
  decay: number;
  /** −1 to maximise, else 1. */
  sign: number;
}

export interface Backend {
  readonly name: string;

  /** out[i] = f(x[i]) */
  unary(op: UnaryOp, x: Float32Array, out: Float32Array): void;
  /** dx[i] = dy[i] · f'(x[i]); y = f(x) is passed because several derivatives are cheapest through it. */
  unaryGrad(op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** out[i] = min(max(x[i], lo), hi) */
  clamp(x: Float32Array, lo: number, hi: number, out: Float32Array): void;

  /** Broadcasting binary op: a and b are read through strides over `shape` (0 on broadcast axes). */
  binary(
    op: BinaryOp,
    a: Float32Array,
    aStrides: readonly number[],
    b: Float32Array,
    bStrides: readonly number[],
    out: Float32Array,
    shape: readonly number[],
  ): void;
  /** Broadcasting comparison giving 0/1. */
  compare(
    op: CompareOp,
    a: DataArray,
    aStrides: readonly number[],
    b: DataArray,
    bStrides: readonly number[],
    out: Uint8Array,
    shape: readonly number[],
  ): void;
  /** out = cond ? a : b, all three broadcast through strides over `shape`. */
  where(
    cond: Uint8Array,
    condStrides: readonly number[],
    a: DataArray,
    aStrides: readonly number[],
    b: DataArray,
    bStrides: readonly number[],
    out: DataArray,
    shape: readonly number[],
  ): void;

  /**
   * Strided copy: for every index i of `shape`, dst[dstOffset + i·dstStrides] = src[srcOffset + i·srcStrides].
   * Carries permute, expand (stride 0), slice, concat and their gradients.
   */
  copy(
    src: DataArray,
    srcOffset: number,
    srcStrides: readonly number[],
    dst: DataArray,
    dstOffset: number,
    dstStrides: readonly number[],
    shape: readonly number[],
  ): void;
  /** Same walk as `copy` but accumulates: dst[...] += src[...]. */
  copyAdd(
    src: Float32Array,
    srcOffset: number,
    srcStrides: readonly number[],
    dst: Float32Array,
    dstOffset: number,
    dstStrides: readonly number[],
    shape: readonly number[],
  ): void;

  /** Reduces x viewed as [outer, n, inner] along n into out [outer, inner]. */
  reduce(op: ReduceOp, x: Float32Array, outer: number, n: number, inner: number, out: Float32Array): void;
  /** Index of the first maximum (minimum) along n; out [outer, inner]. */
  argReduce(op: ArgReduceOp, x: DataArray, outer: number, n: number, inner: number, out: Int32Array): void;

  matmul(a: Float32Array, b: Float32Array, out: Float32Array, args: MatmulArgs): void;
  /**
   * Prepares op(b) [k, n] (b stored [n, k] when transB) for matmulPacked. With `reuse` (an earlier result of the
   * same shape that is no longer in use) the backend may pack into its buffer instead of a fresh one: a fresh
   * buffer of megabytes costs a page fault per 4 KiB page on its first write, as much as the packing itself.
   */
  packMatmulB(b: Float32Array, k: number, n: number, transB: boolean, reuse?: PackedMatrix): PackedMatrix;
  /** out [m, n] = op(a) · op(B) for a B that packMatmulB prepared: the same values as matmul with batch 1. */
  matmulPacked(a: Float32Array, b: PackedMatrix, out: Float32Array, m: number, transA: boolean): void;

  /** Softmax (or log-softmax) of x viewed as [outer, n, inner] along n. */
  softmax(x: Float32Array, outer: number, n: number, inner: number, log: boolean, out: Float32Array): void;
  /** Gradient of softmax (log=false) or log-softmax (log=true) given its output y. */
  softmaxGrad(
    y: Float32Array,
    dy: Float32Array,
    outer: number,
    n: number,
    inner: number,
    log: boolean,
    dx: Float32Array,
  ): void;

  /**
   * Sparsemax of x viewed as [outer, n, inner] along n: the projection onto the simplex, max(x - τ, 0) with τ
   * such that the slice sums to 1. -∞ entries get exactly 0; an all -∞ slice gives zeros.
   */
  sparsemax(x: Float32Array, outer: number, n: number, inner: number, out: Float32Array): void;
  /** Gradient of sparsemax given its output y: dx = [y > 0] · (dy - mean of dy over the support y > 0). */
  sparsemaxGrad(
    y: Float32Array,
    dy: Float32Array,
    outer: number,
    n: number,
    inner: number,
    dx: Float32Array,
  ): void;

  /**
   * Fused log-softmax + cross-entropy: loss_r = lse_r − (1−ε)·logits[r, t_r] − (ε/C)·Σ_c logits[r, c] with
   * lse_r = log Σ_c e^{logits[r, c]} (0 loss for ignored rows). Writes each row's lse (ignored rows too), all
   * the gradient needs besides the logits: no [rows, classes] log-probabilities are stored.
   */
  crossEntropy(
    logits: Float32Array,
    targets: Int32Array,
    args: CrossEntropyArgs,
    loss: Float32Array,
    logSumExp: Float32Array,
  ): void;
  /** dLogits[r] = rowGrad[r] · (e^{logits[r] − lse_r} − targetDistribution[r]); zero for ignored rows. */
  crossEntropyGrad(
    logits: Float32Array,
    logSumExp: Float32Array,
    targets: Int32Array,
    args: CrossEntropyArgs,
    rowGrad: Float32Array,
    dLogits: Float32Array,
  ): void;

  /**
   * Layer normalisation over the last n elements of each of `rows` rows: y = (x - mean)·rstd·γ + β (γ, β may be
   * null). Writes the mean and 1/sqrt(var + eps) of each row for the gradient.
   */
  layerNorm(
    x: Float32Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    rows: number,
    n: number,
    eps: number,
    out: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
  ): void;
  /** dx for every row; dGamma and dBeta (when not null) are overwritten with the sums over rows. */
  layerNormGrad(
    x: Float32Array,
    gamma: Float32Array | null,
    mean: Float32Array,
    rstd: Float32Array,
    dy: Float32Array,
    rows: number,
    n: number,
    dx: Float32Array,
    dGamma: Float32Array | null,
    dBeta: Float32Array | null,
  ): void;

  /**
   * A Linear layer's forward: out = act(op(a) · op(b) + bias) for one product (args.batch 1), the values of
   * matmul followed by linearBiasAct. A backend may apply the bias and activation to each block of the product
   * as it finishes, instead of in a second pass over out.
   */
  matmulBiasAct(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    args: MatmulArgs,
    bias: Float32Array | null,
    activation: 'relu' | null,
  ): void;
  /**
   * The end of a Linear layer's forward, in place on the product y [rows, n]: y ← act(y + bias) (bias may be
   * null; act 'relu' is max(v, 0) with NaN → 0, or null for none).
   */
  linearBiasAct(
    y: Float32Array,
    bias: Float32Array | null,
    rows: number,
    n: number,
    activation: 'relu' | null,
  ): void;
  /**
   * The elementwise end of a Linear layer's backward over [rows, n], given its output y and output gradient g:
   * dPre = g ⊙ act'(y) (relu: y > 0; null: g itself) into dPre (may be g, or null to skip), and the bias
   * gradient biasGrad [n] = Σ_rows dPre (summed in double; null to skip). y is not read without an activation.
   */
  linearActGrad(
    y: Float32Array,
    g: Float32Array,
    rows: number,
    n: number,
    activation: 'relu' | null,
    dPre: Float32Array | null,
    biasGrad: Float32Array | null,
  ): void;

  /** out [outer, index.length, inner] = src [outer, n, inner] rows picked by index along n. */
  indexSelect(
    src: DataArray,
    outer: number,
    n: number,
    inner: number,
    index: Int32Array,
    out: DataArray,
  ): void;
  /** dst [outer, n, inner] += src [outer, index.length, inner] at rows `index` (embedding backward). */
  indexAdd(
    dst: Float32Array,
    outer: number,
    n: number,
    inner: number,
    index: Int32Array,
    src: Float32Array,
  ): void;
  /** out [outer, m, inner] = src[o, index[o, j, i], i] with src [outer, n, inner] (torch.gather). */
  gather(
    src: DataArray,
    outer: number,
    n: number,
    inner: number,
    index: Int32Array,
    m: number,
    out: DataArray,
  ): void;
  /** dst [outer, n, inner] at [o, index[o, j, i], i] += src [outer, m, inner] (gather's backward). */
  scatterAdd(
    dst: Float32Array,
    outer: number,
    n: number,
    inner: number,
    index: Int32Array,
    m: number,
    src: Float32Array,
  ): void;

  /**
   * Fused attention forward. keyPadding [batch, tk] (1 = key may not be attended) may be null. Writes out
   * [batch, heads, tq, dv], the log-sum-exp of each query's masked, scaled scores lse [batch, heads, tq] (-∞ for a
   * query whose keys are all masked: its output and weights are zero), and, only when `weights` is not null,
   * the attention weights [batch, heads, tq, tk]. Native backends never hold a T×T matrix unless asked for weights.
   */
  attention(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    keyPadding: Uint8Array | null,
    args: AttentionArgs,
    out: Float32Array,
    lse: Float32Array,
    weights: Float32Array | null,
  ): void;
  /**
   * Gradients of the fused attention given its out and lse and the output gradient dOut; overwrites dq, dk, dv.
   * `weights`, when given, are the attention weights [batch, heads, tq, tk] that the forward wrote for these
   * operands: the backward reads them instead of recomputing scale·q·kᵀ and its exponentials (a kept P, for short
   * key ranges). Same gradients up to float32 rounding.
   */
  attentionGrad(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    keyPadding: Uint8Array | null,
    args: AttentionArgs,
    out: Float32Array,
    lse: Float32Array,
    dOut: Float32Array,
    dq: Float32Array,
    dk: Float32Array,
    dv: Float32Array,
    weights?: Float32Array | null,
  ): void;

  /**
   * A GRU step from xg = x·W_ihᵀ + b_ih (+ b_hr, b_hz folded in) and hg = h·W_hhᵀ (each [3, B, H]), h [B, H] and
   * b_hn [H] (or null): r = σ(xr + hr), z = σ(xz + hz), n = tanh(xn + r ⊙ (hn + b_hn)), h' = n + z ⊙ (h − n).
   * Writes hNew [B, H] and gates [3, B, H] = r, z, n for the gradient.
   */
  gruCell(
    xg: Float32Array,
    hg: Float32Array,
    h: Float32Array,
    biasHn: Float32Array | null,
    args: CellArgs,
    hNew: Float32Array,
    gates: Float32Array,
  ): void;
  /** Given dhNew, overwrites dxg and dhg ([3, B, H], the gradients of the pre-activations) and dh [B, H]. */
  gruCellGrad(
    hg: Float32Array,
    h: Float32Array,
    biasHn: Float32Array | null,
    gates: Float32Array,
    dhNew: Float32Array,
    args: CellArgs,
    dxg: Float32Array,
    dhg: Float32Array,
    dh: Float32Array,
  ): void;
  /**
   * An LSTM step from the pre-activations xg + hg (each [4, B, H], gates i, f, g, o) and c [B, H]:
   * c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h' = σ(o) ⊙ tanh(c'). Writes hNew, cNew [B, H] and gates [4, B, H] (the
   * activated i, f, g, o) for the gradient.
   */
  lstmCell(
    xg: Float32Array,
    hg: Float32Array,
    c: Float32Array,
    args: CellArgs,
    hNew: Float32Array,
    cNew: Float32Array,
    gates: Float32Array,
  ): void;
  /** Given dhNew and dcNew, overwrites dPre [4, B, H] (the gradient of xg and of hg) and dc [B, H]. */
  lstmCellGrad(
    c: Float32Array,
    cNew: Float32Array,
    gates: Float32Array,
    dhNew: Float32Array,
    dcNew: Float32Array,
    args: CellArgs,
    dPre: Float32Array,
    dc: Float32Array,
  ): void;

  /** Additive attention of one decoder step (see AdditiveAttentionArgs): overwrites weights [B, S], context [B, E]. */
  additiveAttention(
    keys: Float32Array,
    query: Float32Array,
    v: Float32Array,
    memory: Float32Array,
    mask: Uint8Array | null,
    args: AdditiveAttentionArgs,
    weights: Float32Array,
    context: Float32Array,
  ): void;
  /**
   * Its gradients given dContext [B, E] and dWeights [B, S] (or null): overwrites dScores [B, S] (the gradient
   * of e) and dQuery [B, U]; ADDS into dKeys [B, S, U], dV [U] and dMemory [B, S, E], which a decoder
   * accumulates over its steps. dV is summed per row b, rows in order, whatever the threads. With dMemory null
   * the memory's gradient (Σ over steps of weights ⊗ dContext) is left to the caller, which can form it for
   * all steps in one product.
   */
  additiveAttentionGrad(
    keys: Float32Array,
    query: Float32Array,
    v: Float32Array,
    memory: Float32Array,
    mask: Uint8Array | null,
    args: AdditiveAttentionArgs,
    weights: Float32Array,
    dContext: Float32Array,
    dWeights: Float32Array | null,
    dScores: Float32Array,
    dQuery: Float32Array,
    dKeys: Float32Array,
    dV: Float32Array,
    dMemory: Float32Array | null,
  ): void;

  /** Updates p, m, v (and vMax, AMSGrad's running maximum, when not null) in place; all have p's length. */
  adam(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    vMax: Float32Array | null,
    args: AdamArgs,
  ): void;
}
