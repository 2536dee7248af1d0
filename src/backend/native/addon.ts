/**
 * The functions the compiled addon (native/binding.cc) exports. Argument order follows the Backend methods, with
 * record arguments (MatmulArgs, CrossEntropyArgs, AttentionArgs) spread into numbers so the binding reads plain
 * values. The binding checks every array's type and length and throws a TypeError or RangeError otherwise.
 */
import type { DataArray } from '../../tensor/dtype.js';

type Strides = readonly number[];

export interface NativeAddon {
  /**
   * simd: 'avx512f+avx2+fma' (the GEMM micro-kernel and the short-key attention tile on AVX-512, the rest on
   * AVX2), 'avx2+fma' or 'portable'; portableReason: why the portable kernels run ('ATTN_NO_SIMD', 'forced' by
   * setPortableOnly, 'cpu' without AVX2+FMA), '' when they do not.
   */
  info(): { threads: number; simd: string; portableReason: string };
  /** Forces the portable (non-SIMD) kernels, or gives the choice back to CPU detection; for tests. */
  setPortableOnly(portable: boolean): void;
  /** Forces the AVX2 kernels on an AVX-512 machine, or gives the choice back to CPU detection; for tests. */
  setAvx512Off(off: boolean): void;
  unary(op: string, x: Float32Array, out: Float32Array): void;
  unaryGrad(op: string, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  clamp(x: Float32Array, lo: number, hi: number, out: Float32Array): void;
  binary(
    op: string,
    a: Float32Array,
    as: Strides,
    b: Float32Array,
    bs: Strides,
    out: Float32Array,
    shape: Strides,
  ): void;
  compare(
    op: string,
    a: DataArray,
    as: Strides,
    b: DataArray,
    bs: Strides,
    out: Uint8Array,
    shape: Strides,
  ): void;
  where(
    cond: Uint8Array,
    cs: Strides,
    a: DataArray,
    as: Strides,
    b: DataArray,
    bs: Strides,
    out: DataArray,
    shape: Strides,
  ): void;
  copy(
    src: DataArray,
    so: number,
    ss: Strides,
    dst: DataArray,
    dof: number,
    ds: Strides,
    shape: Strides,
  ): void;
  copyAdd(
    src: Float32Array,
    so: number,
    ss: Strides,
    dst: Float32Array,
    dof: number,
    ds: Strides,
    shape: Strides,
  ): void;
  reduce(op: string, x: Float32Array, outer: number, n: number, inner: number, out: Float32Array): void;
  argReduce(op: string, x: DataArray, outer: number, n: number, inner: number, out: Int32Array): void;
  matmul(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    strideA: number,
    strideB: number,
  ): void;
  packedBFloats(k: number, n: number): number;
  packB(b: Float32Array, k: number, n: number, transB: boolean, packed: Float32Array): void;
  matmulPrepacked(
    a: Float32Array,
    b: Float32Array,
    packed: Float32Array,
    out: Float32Array,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
  ): void;
  matmulBiasAct(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    bias: Float32Array | null,
    relu: boolean,
  ): void;
  softmax(x: Float32Array, outer: number, n: number, inner: number, log: boolean, out: Float32Array): void;
  softmaxGrad(
    y: Float32Array,
    dy: Float32Array,
    outer: number,
    n: number,
    inner: number,
    log: boolean,
    dx: Float32Array,
  ): void;
  crossEntropy(
    logits: Float32Array,
    targets: Int32Array,
    rows: number,
    classes: number,
    ignoreIndex: number,
    labelSmoothing: number,
    loss: Float32Array,
    logSumExp: Float32Array,
  ): void;
  crossEntropyGrad(
    logits: Float32Array,
    logSumExp: Float32Array,
    targets: Int32Array,
    rows: number,
    classes: number,
    ignoreIndex: number,
    labelSmoothing: number,
    rowGrad: Float32Array,
    dLogits: Float32Array,
  ): void;
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
  linearBiasAct(y: Float32Array, bias: Float32Array | null, rows: number, n: number, relu: boolean): void;
  linearActGrad(
    y: Float32Array,
    g: Float32Array,
    rows: number,
    n: number,
    relu: boolean,
    dPre: Float32Array | null,
    biasGrad: Float32Array | null,
  ): void;
  indexSelect(
    src: DataArray,
    outer: number,
    n: number,
    inner: number,
    index: Int32Array,
    out: DataArray,
  ): void;
  indexAdd(
    dst: Float32Array,
    outer: number,
    n: number,
    inner: number,
    index: Int32Array,
    src: Float32Array,
  ): void;
  gather(
    src: DataArray,
    outer: number,
    n: number,
    inner: number,
    index: Int32Array,
    m: number,
    out: DataArray,
  ): void;
  scatterAdd(
    dst: Float32Array,
    outer: number,
    n: number,
    inner: number,
    index: Int32Array,
    m: number,
    src: Float32Array,
  ): void;
  attention(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    keyPadding: Uint8Array | null,
    batch: number,
    heads: number,
    tq: number,
    tk: number,
    d: number,
    dv: number,
    scale: number,
    causal: boolean,
    out: Float32Array,
    lse: Float32Array,
    weights: Float32Array | null,
    /** Strides (batch, head, row) of q, k, v and out, or undefined when all are contiguous. */
    layout?: number[],
  ): void;
  attentionGrad(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    keyPadding: Uint8Array | null,
    batch: number,
    heads: number,
    tq: number,
    tk: number,
    d: number,
    dv: number,
    scale: number,
    causal: boolean,
    out: Float32Array,
    lse: Float32Array,
    dOut: Float32Array,
    dq: Float32Array,
    dk: Float32Array,
    dv_: Float32Array,
    layout?: number[],
    /** The forward's attention weights [batch, heads, tq, tk], read instead of recomputed; null: recompute. */
    weights?: Float32Array | null,
  ): void;
  additiveAttention(
    keys: Float32Array,
    query: Float32Array,
    v: Float32Array,
    memory: Float32Array,
    mask: Uint8Array | null,
    batch: number,
    length: number,
    units: number,
    width: number,
    vBias: number,
    weights: Float32Array,
    context: Float32Array,
  ): void;
  additiveAttentionGrad(
    keys: Float32Array,
    query: Float32Array,
    v: Float32Array,
    memory: Float32Array,
    mask: Uint8Array | null,
    batch: number,
    length: number,
    units: number,
    width: number,
    vBias: number,
    weights: Float32Array,
    dContext: Float32Array,
    dWeights: Float32Array | null,
    dScores: Float32Array,
    dQuery: Float32Array,
    dKeys: Float32Array,
    dV: Float32Array,
    dMemory: Float32Array | null,
  ): void;
  gruCell(
    xg: Float32Array,
    hg: Float32Array,
    h: Float32Array,
    biasHn: Float32Array | null,
    batch: number,
    hidden: number,
    hNew: Float32Array,
    gates: Float32Array,
    rows: boolean,
  ): void;
  gruCellGrad(
    hg: Float32Array,
    h: Float32Array,
    biasHn: Float32Array | null,
    gates: Float32Array,
    dhNew: Float32Array,
    batch: number,
    hidden: number,
    dxg: Float32Array,
    dhg: Float32Array,
    dh: Float32Array,
    rows: boolean,
  ): void;
  lstmCell(
    xg: Float32Array,
    hg: Float32Array,
    c: Float32Array,
    batch: number,
    hidden: number,
    hNew: Float32Array,
    cNew: Float32Array,
    gates: Float32Array,
  ): void;
  lstmCellGrad(
    c: Float32Array,
    cNew: Float32Array,
    gates: Float32Array,
    dhNew: Float32Array,
    dcNew: Float32Array,
    batch: number,
    hidden: number,
    dPre: Float32Array,
    dc: Float32Array,
  ): void;
  adam(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    vMax: Float32Array | null,
    beta1: number,
    beta2: number,
    stepSize: number,
    biasCorrection2Sqrt: number,
    eps: number,
    l2: number,
    decay: number,
    sign: number,
  ): void;
}
