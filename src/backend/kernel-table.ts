/**
 * The kernel table: every kernel of attn declared once. From this table follow the `Backend` interface
 * (kernels.ts, by mapped types), the argument checker (check.ts), the native backend's forwarders
 * (native/backend.ts) and the addon's N-API glue (scripts/gen-native-glue.mjs writes native/generated/). A kernel
 * is one call taking one argument object whose fields are the entries of `args`, in this order (the order in
 * which the native glue passes them).
 *
 * This file has no imports and holds only data, so that the glue generator can load it at install time.
 *
 * Conventions: arrays are row-major and contiguous unless strides are passed. "outer × n × inner" names a tensor
 * viewed as three axes where the kernel works along the middle one (a softmax or reduction axis). Every kernel
 * writes into output arrays it is given and never allocates its result.
 *
 * Rules (`length`, `requires`, the layout defaults) are small expressions in the common subset of TypeScript and
 * C++: scalar names, `len(array)` (its element count), `prod(ints)` (the product of an int list), `extent(strides,
 * batch, heads, t, features)` (the elements a strided [batch, heads, t, features] operand spans), integer + - * /,
 * comparisons with == != < <= > >=, && || ! and ?:.
 */

/** Element type of an array: float32, int32 or uint8 (bool). */
export type Dtype = 'f32' | 'i32' | 'u8';

export interface ArraySpec {
  readonly kind: 'array';
  /** 'any' accepts each of the three. */
  readonly dtype: Dtype | 'any';
  /** in: read only; out: overwritten; inout: read and written (accumulated into, or updated in place). */
  readonly role: 'in' | 'out' | 'inout';
  /** The fewest elements the array must hold; absent: any length (the kernel reads `len` of it). */
  readonly length?: string;
  /** null is allowed (the kernel skips what the array is for). */
  readonly nullable?: true;
  /** The field may be left out of the argument object (as null). */
  readonly optional?: true;
  /** Every element lies in [0, bound) (an index array), or equals `indexExcept`. */
  readonly indexBelow?: string;
  readonly indexExcept?: string;
  /** "offset, strides, shape": a strided walk over shape from offset must stay inside the array. */
  readonly walk?: string;
  readonly doc?: string;
}

export interface ScalarSpec {
  /** count: an integer ≥ 0; int: any integer; number: any float; boolean; ints: a list of integers. */
  readonly kind: 'count' | 'int' | 'number' | 'boolean' | 'ints';
  readonly optional?: true;
  readonly doc?: string;
}

export interface EnumSpec {
  readonly kind: 'enum';
  readonly values: readonly string[];
  /** The C++ enum the generator declares (values in this order, after `None` when nullable). */
  readonly cpp: string;
  readonly nullable?: true;
  readonly doc?: string;
}

/**
 * Batch, head and row strides of several operands of a [batch, heads, t, features] kernel (an AttentionLayout).
 * `sets` names each operand and its contiguous strides "batch, head, row", taken when the field is left out.
 * In rules, the strides of set s are the name `layout_s`.
 */
export interface LayoutSpec {
  readonly kind: 'layout';
  readonly sets: Readonly<Record<string, string>>;
  readonly optional: true;
  readonly doc?: string;
}

export type FieldSpec = ArraySpec | ScalarSpec | EnumSpec | LayoutSpec;

export interface KernelSpec {
  readonly doc: string;
  readonly args: Readonly<Record<string, FieldSpec>>;
  /**
   * Arrays of dtype 'any' that a compiled backend needs to share one dtype; the reference accepts any mix, and a
   * call whose listed arrays differ in dtype runs on the reference.
   */
  readonly sameDtype?: readonly string[];
  /** Further conditions on the arguments: [rule, what it means when it fails]. */
  readonly requires?: readonly (readonly [string, string])[];
}

const f32In = { kind: 'array', dtype: 'f32', role: 'in' } as const;
const count = { kind: 'count' } as const;
const outerNInner = { outer: count, n: count, inner: count } as const;
const cellShape = { batch: count, hidden: count } as const;
const unaryOps = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'abs',
  'tanh',
  'sigmoid',
  'relu',
  'gelu',
  'sign',
  'square',
  'reciprocal',
] as const;
const matmulShape = {
  batch: count,
  m: { kind: 'count', doc: 'Rows of op(A) and of C.' },
  n: { kind: 'count', doc: 'Columns of op(B) and of C.' },
  k: { kind: 'count', doc: 'Columns of op(A), rows of op(B).' },
  transA: { kind: 'boolean', doc: 'A is stored [k, m] instead of [m, k].' },
  transB: { kind: 'boolean', doc: 'B is stored [n, k] instead of [k, n].' },
  strideA: {
    kind: 'count',
    doc: 'Elements between consecutive batch matrices of A: m·k, or 0 to reuse one matrix for every batch.',
  },
  strideB: { kind: 'count' },
} as const;
const crossEntropyShape = {
  rows: count,
  classes: count,
  ignoreIndex: { kind: 'int', doc: 'Rows whose target equals this contribute no loss and no gradient.' },
  labelSmoothing: {
    kind: 'number',
    doc: 'ε of label smoothing: the target distribution is (1-ε)·onehot + ε/classes.',
  },
} as const;
const attentionShape = {
  batch: count,
  heads: count,
  tq: count,
  tk: count,
  d: count,
  dv: count,
  scale: { kind: 'number' },
  causal: { kind: 'boolean', doc: 'Query i may not attend key j > i (the mask of `causalMask(tq, tk)`).' },
} as const;
const attentionLayout = {
  kind: 'layout',
  optional: true,
  sets: {
    q: 'heads*tq*d, tq*d, d',
    k: 'heads*tk*d, tk*d, d',
    v: 'heads*tk*dv, tk*dv, dv',
    out: 'heads*tq*dv, tq*dv, dv',
  },
  doc:
    'Where each operand’s rows lie, when not contiguous: heads read straight from projections [B, T, H·d] (even ' +
    'one packed [B, T, 3·H·d] buffer, passed as three subarrays) and written straight into [B, T, H·dv], with no ' +
    'copies to split or merge heads. dq, dk, dv take q, k, v’s layout and dOut takes out’s; lse and weights ' +
    'stay contiguous.',
} as const;
const additiveShape = {
  batch: count,
  length: count,
  units: count,
  width: count,
  vBias: { kind: 'number' },
} as const;
const activation = { kind: 'enum', values: ['relu'], nullable: true, cpp: 'Activation' } as const;

function f32(role: 'in' | 'out' | 'inout', length?: string) {
  return length === undefined
    ? ({ kind: 'array', dtype: 'f32', role } as const)
    : ({ kind: 'array', dtype: 'f32', role, length } as const);
}
function f32OrNull(role: 'in' | 'out' | 'inout', length: string) {
  return { kind: 'array', dtype: 'f32', role, length, nullable: true } as const;
}

export const KERNELS = {
  unary: {
    doc: 'out[i] = f(x[i])',
    args: { op: { kind: 'enum', values: unaryOps, cpp: 'Unary' }, x: f32In, out: f32('out', 'len(x)') },
  },
  unaryGrad: {
    doc: 'dx[i] = dy[i] · f′(x[i]); y = f(x) is passed because several derivatives are cheapest through it.',
    args: {
      op: { kind: 'enum', values: unaryOps, cpp: 'Unary' },
      x: f32In,
      y: f32('in', 'len(x)'),
      dy: f32('in', 'len(x)'),
      dx: f32('out', 'len(x)'),
    },
  },
  clamp: {
    doc: 'out[i] = min(max(x[i], lo), hi)',
    args: { x: f32In, lo: { kind: 'number' }, hi: { kind: 'number' }, out: f32('out', 'len(x)') },
  },
  binary: {
    doc: 'Broadcasting binary op: a and b are read through strides over `shape` (0 on broadcast axes).',
    args: {
      op: {
        kind: 'enum',
        values: ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'],
        cpp: 'Binary',
      },
      a: { ...f32In, walk: '0, aStrides, shape' },
      aStrides: { kind: 'ints' },
      b: { ...f32In, walk: '0, bStrides, shape' },
      bStrides: { kind: 'ints' },
      out: f32('out', 'prod(shape)'),
      shape: { kind: 'ints' },
    },
  },
  compare: {
    doc: 'Broadcasting comparison giving 0/1.',
    args: {
      op: { kind: 'enum', values: ['eq', 'ne', 'lt', 'le', 'gt', 'ge'], cpp: 'Compare' },
      a: { kind: 'array', dtype: 'any', role: 'in', walk: '0, aStrides, shape' },
      aStrides: { kind: 'ints' },
      b: { kind: 'array', dtype: 'any', role: 'in', walk: '0, bStrides, shape' },
      bStrides: { kind: 'ints' },
      out: { kind: 'array', dtype: 'u8', role: 'out', length: 'prod(shape)' },
      shape: { kind: 'ints' },
    },
    sameDtype: ['a', 'b'],
  },
  where: {
    doc: 'out = cond ? a : b, all three broadcast through strides over `shape`.',
    args: {
      cond: { kind: 'array', dtype: 'u8', role: 'in', walk: '0, condStrides, shape' },
      condStrides: { kind: 'ints' },
      a: { kind: 'array', dtype: 'any', role: 'in', walk: '0, aStrides, shape' },
      aStrides: { kind: 'ints' },
      b: { kind: 'array', dtype: 'any', role: 'in', walk: '0, bStrides, shape' },
      bStrides: { kind: 'ints' },
      out: { kind: 'array', dtype: 'any', role: 'out', length: 'prod(shape)' },
      shape: { kind: 'ints' },
    },
    sameDtype: ['a', 'b', 'out'],
  },
  copy: {
    doc:
      'Strided copy: for every index i of `shape`, dst[dstOffset + i·dstStrides] = src[srcOffset + i·srcStrides]. ' +
      'Carries permute, expand (stride 0), slice, concat and their gradients.',
    args: {
      src: { kind: 'array', dtype: 'any', role: 'in', walk: 'srcOffset, srcStrides, shape' },
      srcOffset: { kind: 'int' },
      srcStrides: { kind: 'ints' },
      dst: { kind: 'array', dtype: 'any', role: 'out', walk: 'dstOffset, dstStrides, shape' },
      dstOffset: { kind: 'int' },
      dstStrides: { kind: 'ints' },
      shape: { kind: 'ints' },
    },
    sameDtype: ['src', 'dst'],
  },
  copyAdd: {
    doc: 'The walk of `copy`, accumulating: dst[...] += src[...].',
    args: {
      src: { ...f32In, walk: 'srcOffset, srcStrides, shape' },
      srcOffset: { kind: 'int' },
      srcStrides: { kind: 'ints' },
      dst: { kind: 'array', dtype: 'f32', role: 'inout', walk: 'dstOffset, dstStrides, shape' },
      dstOffset: { kind: 'int' },
      dstStrides: { kind: 'ints' },
      shape: { kind: 'ints' },
    },
  },
  reduce: {
    doc: 'Reduces x viewed as [outer, n, inner] along n into out [outer, inner].',
    args: {
      op: { kind: 'enum', values: ['sum', 'max', 'min', 'logsumexp'], cpp: 'Reduce' },
      x: f32('in', 'outer*n*inner'),
      ...outerNInner,
      out: f32('out', 'outer*inner'),
    },
  },
  argReduce: {
    doc: 'Index of the first maximum (minimum) along n of x viewed as [outer, n, inner]; out [outer, inner].',
    args: {
      op: { kind: 'enum', values: ['argmax', 'argmin'], cpp: 'ArgReduce' },
      x: { kind: 'array', dtype: 'any', role: 'in', length: 'outer*n*inner' },
      ...outerNInner,
      out: { kind: 'array', dtype: 'i32', role: 'out', length: 'outer*inner' },
    },
    requires: [['n > 0 || outer*inner == 0', 'argReduce needs n ≥ 1']],
  },
  matmul: {
    doc: 'A batched matrix product C[b] = op(A[b]) · op(B[b]), where op transposes when the flag is set.',
    args: {
      a: f32('in', 'batch*m*n == 0 ? 0 : (batch - 1)*strideA + m*k'),
      b: f32('in', 'batch*m*n == 0 ? 0 : (batch - 1)*strideB + k*n'),
      out: f32('out', 'batch*m*n'),
      ...matmulShape,
    },
    requires: [
      [
        'batch*m*n == 0 || ((strideA == 0 || strideA >= m*k) && (strideB == 0 || strideB >= k*n))',
        'batch strides overlap the matrices',
      ],
    ],
  },
  softmax: {
    doc: 'Softmax (or log-softmax) of x viewed as [outer, n, inner] along n.',
    args: {
      x: f32('in', 'outer*n*inner'),
      ...outerNInner,
      log: { kind: 'boolean' },
      out: f32('out', 'outer*n*inner'),
    },
  },
  softmaxGrad: {
    doc: 'Gradient of softmax (log=false) or log-softmax (log=true) given its output y.',
    args: {
      y: f32('in', 'outer*n*inner'),
      dy: f32('in', 'outer*n*inner'),
      ...outerNInner,
      log: { kind: 'boolean' },
      dx: f32('out', 'outer*n*inner'),
    },
  },
  sparsemax: {
    doc:
      'Sparsemax of x viewed as [outer, n, inner] along n: the projection onto the simplex, max(x - τ, 0) with τ ' +
      'such that the slice sums to 1. -∞ entries get exactly 0; an all -∞ slice gives zeros.',
    args: { x: f32('in', 'outer*n*inner'), ...outerNInner, out: f32('out', 'outer*n*inner') },
  },
  sparsemaxGrad: {
    doc: 'Gradient of sparsemax given its output y: dx = [y > 0] · (dy - mean of dy over the support y > 0).',
    args: {
      y: f32('in', 'outer*n*inner'),
      dy: f32('in', 'outer*n*inner'),
      ...outerNInner,
      dx: f32('out', 'outer*n*inner'),
    },
  },
  entmax15: {
    doc:
      'α-entmax with α = 1.5 (Peters, Niculae & Martins, 2019) of x viewed as [outer, n, inner] along n: with ' +
      'z = x/2 sorted descending, for k = 1..n mean_k = (1/k)Σ_{j≤k} z_(j), ss_k = Σ_{j≤k} z_(j)², δ_k = (1 − ' +
      'k·(ss_k/k − mean_k²))/k, τ_k = mean_k − √max(δ_k, 0); with k* = max{k : τ_k ≤ z_(k)} and τ = τ_{k*}, ' +
      'y = max(z − τ, 0)², which sums to 1. z is shifted by its maximum first (y does not change). -∞ entries ' +
      'get exactly 0; an all -∞ slice gives zeros; a NaN or +∞ gives NaN throughout.',
    args: { x: f32('in', 'outer*n*inner'), ...outerNInner, out: f32('out', 'outer*n*inner') },
  },
  entmax15Grad: {
    doc:
      'Gradient of entmax15 given its output y: with s = √y (z − τ on the support, 0 off it), ' +
      'dx = s ⊙ dy − s · (Σ s ⊙ dy) / (Σ s) (from y = (z − τ)², Σ y = 1 and z = x/2).',
    args: {
      y: f32('in', 'outer*n*inner'),
      dy: f32('in', 'outer*n*inner'),
      ...outerNInner,
      dx: f32('out', 'outer*n*inner'),
    },
  },
  rotary: {
    doc:
      'Rotary position embedding (RoPE, Su et al. 2021) of x viewed as [outer, t, d], halves pairing (GPT-NeoX / ' +
      'LLaMA): feature i < d/2 pairs with i + d/2 and the pair turns by the angle of its row r and frequency i, ' +
      'given as c = cos[r·d/2 + i], s = sin[r·d/2 + i]: out_i = x_i·c − x_{i+d/2}·s, out_{i+d/2} = x_{i+d/2}·c + ' +
      'x_i·s. With inverse the pair turns back (s negated): the gradient of the rotation, and its inverse. Each ' +
      'output is computed in double and rounded once.',
    args: {
      x: f32('in', 'outer*t*d'),
      cos: f32('in', 't*(d/2)'),
      sin: f32('in', 't*(d/2)'),
      outer: count,
      t: count,
      d: { kind: 'count', doc: 'Features of a row; even (d/2 pairs).' },
      inverse: { kind: 'boolean', doc: 'Turn by −θ (the backward pass).' },
      out: f32('out', 'outer*t*d'),
    },
    requires: [['d - (d/2)*2 == 0', 'rotary needs an even number of features d']],
  },
  entmaxBisect: {
    doc:
      'α-entmax for any α > 1 (Peters, Niculae & Martins, 2019; Blondel et al., 2019) of x viewed as [outer, n, ' +
      'inner] along n: y_j = [(α − 1)x_j − τ]_+^{1/(α−1)} with τ such that the slice sums to 1, found by 50 ' +
      'halvings of [max − 1, max − n^{1−α}] (max the largest (α − 1)x_j, n the unmasked entries) in double, then ' +
      'y divided by its sum. -∞ entries get exactly 0; an all -∞ slice gives zeros; a NaN or +∞ gives NaN ' +
      'throughout.',
    args: {
      x: f32('in', 'outer*n*inner'),
      ...outerNInner,
      alpha: { kind: 'number', doc: 'α > 1: 2 is sparsemax, α → 1 approaches softmax.' },
      out: f32('out', 'outer*n*inner'),
    },
    requires: [['alpha > 1', 'alpha must be greater than 1']],
  },
  entmaxBisectGrad: {
    doc:
      'Gradient of entmaxBisect given its output y: with s = y^{2−α} on the support y > 0 (0 off it), ' +
      'dx = s ⊙ dy − s · (Σ s ⊙ dy) / (Σ s).',
    args: {
      y: f32('in', 'outer*n*inner'),
      dy: f32('in', 'outer*n*inner'),
      ...outerNInner,
      alpha: { kind: 'number' },
      dx: f32('out', 'outer*n*inner'),
    },
    requires: [['alpha > 1', 'alpha must be greater than 1']],
  },
  crossEntropy: {
    doc:
      'Fused log-softmax + cross-entropy over rows of logits [rows, classes] with integer targets: loss_r = lse_r ' +
      '− (1−ε)·logits[r, t_r] − (ε/C)·Σ_c logits[r, c] with lse_r = log Σ_c e^{logits[r, c]} (0 loss for ignored ' +
      'rows). Writes each row’s lse (ignored rows too), all the gradient needs besides the logits: no [rows, ' +
      'classes] log-probabilities are stored.',
    args: {
      logits: f32('in', 'rows*classes'),
      targets: {
        kind: 'array',
        dtype: 'i32',
        role: 'in',
        length: 'rows',
        indexBelow: 'classes',
        indexExcept: 'ignoreIndex',
      },
      ...crossEntropyShape,
      loss: f32('out', 'rows'),
      logSumExp: f32('out', 'rows'),
    },
  },
  crossEntropyGrad: {
    doc: 'dLogits[r] = rowGrad[r] · (e^{logits[r] − lse_r} − targetDistribution[r]); zero for ignored rows.',
    args: {
      logits: f32('in', 'rows*classes'),
      logSumExp: f32('in', 'rows'),
      targets: {
        kind: 'array',
        dtype: 'i32',
        role: 'in',
        length: 'rows',
        indexBelow: 'classes',
        indexExcept: 'ignoreIndex',
      },
      ...crossEntropyShape,
      rowGrad: f32('in', 'rows'),
      dLogits: f32('out', 'rows*classes'),
    },
  },
  layerNorm: {
    doc:
      'Layer normalisation over the last n elements of each of `rows` rows: y = (x - mean)·rstd·γ + β (γ, β may ' +
      'be null). Writes the mean and 1/sqrt(var + eps) of each row for the gradient.',
    args: {
      x: f32('in', 'rows*n'),
      gamma: f32OrNull('in', 'n'),
      beta: f32OrNull('in', 'n'),
      rows: count,
      n: count,
      eps: { kind: 'number' },
      out: f32('out', 'rows*n'),
      mean: f32('out', 'rows'),
      rstd: f32('out', 'rows'),
    },
  },
  layerNormGrad: {
    doc: 'dx for every row; dGamma and dBeta (when not null) are overwritten with the sums over rows.',
    args: {
      x: f32('in', 'rows*n'),
      gamma: f32OrNull('in', 'n'),
      mean: f32('in', 'rows'),
      rstd: f32('in', 'rows'),
      dy: f32('in', 'rows*n'),
      rows: count,
      n: count,
      dx: f32('out', 'rows*n'),
      dGamma: f32OrNull('out', 'n'),
      dBeta: f32OrNull('out', 'n'),
    },
  },
  matmulBiasAct: {
    doc:
      'A Linear layer’s forward: out = act(op(a) · op(b) + bias) for one product, the values of matmul followed ' +
      'by linearBiasAct. A backend may apply the bias and activation to each block of the product as it ' +
      'finishes, instead of in a second pass over out.',
    args: {
      a: f32('in', 'm*k'),
      b: f32('in', 'k*n'),
      out: f32('out', 'm*n'),
      m: count,
      n: count,
      k: count,
      transA: { kind: 'boolean' },
      transB: { kind: 'boolean' },
      bias: f32OrNull('in', 'n'),
      activation,
    },
  },
  linearBiasAct: {
    doc:
      'The end of a Linear layer’s forward, in place on the product y [rows, n]: y ← act(y + bias) (bias may be ' +
      'null; act relu is max(v, 0) with NaN → 0, or null for none).',
    args: { y: f32('inout', 'rows*n'), bias: f32OrNull('in', 'n'), rows: count, n: count, activation },
  },
  linearActGrad: {
    doc:
      'The elementwise end of a Linear layer’s backward over [rows, n], given its output y and output gradient g: ' +
      'dPre = g ⊙ act′(y) (relu: y > 0; null: g itself) into dPre (may be g, or null to skip), and the bias ' +
      'gradient biasGrad [n] = Σ_rows dPre (summed in double; null to skip). y is not read without an activation.',
    args: {
      y: f32('in', 'rows*n'),
      g: f32('in', 'rows*n'),
      rows: count,
      n: count,
      activation,
      dPre: f32OrNull('out', 'rows*n'),
      biasGrad: f32OrNull('out', 'n'),
    },
  },
  indexSelect: {
    doc: 'out [outer, len(index), inner] = src [outer, n, inner] rows picked by index along n.',
    args: {
      src: { kind: 'array', dtype: 'any', role: 'in', length: 'outer*n*inner' },
      ...outerNInner,
      index: { kind: 'array', dtype: 'i32', role: 'in', indexBelow: 'n' },
      out: { kind: 'array', dtype: 'any', role: 'out', length: 'outer*len(index)*inner' },
    },
    sameDtype: ['src', 'out'],
  },
  indexAdd: {
    doc: 'dst [outer, n, inner] += src [outer, len(index), inner] at rows `index` (embedding backward).',
    args: {
      dst: f32('inout', 'outer*n*inner'),
      ...outerNInner,
      index: { kind: 'array', dtype: 'i32', role: 'in', indexBelow: 'n' },
      src: f32('in', 'outer*len(index)*inner'),
    },
  },
  gather: {
    doc: 'out [outer, m, inner] = src[o, index[o, j, i], i] with src [outer, n, inner] (torch.gather).',
    args: {
      src: { kind: 'array', dtype: 'any', role: 'in', length: 'outer*n*inner' },
      ...outerNInner,
      index: { kind: 'array', dtype: 'i32', role: 'in', length: 'outer*m*inner', indexBelow: 'n' },
      m: count,
      out: { kind: 'array', dtype: 'any', role: 'out', length: 'outer*m*inner' },
    },
    sameDtype: ['src', 'out'],
  },
  scatterAdd: {
    doc: 'dst [outer, n, inner] at [o, index[o, j, i], i] += src [outer, m, inner] (gather’s backward).',
    args: {
      dst: f32('inout', 'outer*n*inner'),
      ...outerNInner,
      index: { kind: 'array', dtype: 'i32', role: 'in', length: 'outer*m*inner', indexBelow: 'n' },
      m: count,
      src: f32('in', 'outer*m*inner'),
    },
  },
  attention: {
    doc:
      'Fused scaled-dot-product attention over q [batch, heads, tq, d], k [batch, heads, tk, d] and v [batch, ' +
      'heads, tk, dv] (contiguous unless `layout` says otherwise): out = softmax(scale·q·kᵀ + masks)·v. ' +
      'keyPadding [batch, tk] (1 = key may not be attended) may be null. Writes out [batch, heads, tq, dv], the ' +
      'log-sum-exp of each query’s masked, scaled scores lse [batch, heads, tq] (-∞ for a query whose keys are ' +
      'all masked: its output and weights are zero), and, only when `weights` is not null, the attention weights ' +
      '[batch, heads, tq, tk]. Native backends never hold a T×T matrix unless asked for weights.',
    args: {
      q: f32('in', 'extent(layout_q, batch, heads, tq, d)'),
      k: f32('in', 'extent(layout_k, batch, heads, tk, d)'),
      v: f32('in', 'extent(layout_v, batch, heads, tk, dv)'),
      keyPadding: { kind: 'array', dtype: 'u8', role: 'in', length: 'batch*tk', nullable: true },
      ...attentionShape,
      out: f32('out', 'extent(layout_out, batch, heads, tq, dv)'),
      lse: f32('out', 'batch*heads*tq'),
      weights: f32OrNull('out', 'batch*heads*tq*tk'),
      layout: attentionLayout,
    },
  },
  attentionGrad: {
    doc:
      'Gradients of the fused attention given its out and lse and the output gradient dOut; overwrites dq, dk, ' +
      'dV (v’s gradient: dv is its feature count). `weights`, when given, are the attention weights [batch, heads, tq, tk] that the forward wrote for ' +
      'these operands: the backward reads them instead of recomputing scale·q·kᵀ and its exponentials (a kept P, ' +
      'for short key ranges). Same gradients up to float32 rounding.',
    args: {
      q: f32('in', 'extent(layout_q, batch, heads, tq, d)'),
      k: f32('in', 'extent(layout_k, batch, heads, tk, d)'),
      v: f32('in', 'extent(layout_v, batch, heads, tk, dv)'),
      keyPadding: { kind: 'array', dtype: 'u8', role: 'in', length: 'batch*tk', nullable: true },
      ...attentionShape,
      out: f32('in', 'extent(layout_out, batch, heads, tq, dv)'),
      lse: f32('in', 'batch*heads*tq'),
      dOut: f32('in', 'extent(layout_out, batch, heads, tq, dv)'),
      dq: f32('out', 'extent(layout_q, batch, heads, tq, d)'),
      dk: f32('out', 'extent(layout_k, batch, heads, tk, d)'),
      dV: f32('out', 'extent(layout_v, batch, heads, tk, dv)'),
      layout: attentionLayout,
      weights: { ...f32OrNull('in', 'batch*heads*tq*tk'), optional: true },
    },
  },
  gruCell: {
    doc:
      'A GRU step from xg = x·W_ihᵀ + b_ih (+ b_hr, b_hz folded in) and hg = h·W_hhᵀ (each [3, B, H], gates r, z, ' +
      'n), h [B, H] and b_hn [H] (or null): r = σ(xr + hr), z = σ(xz + hz), n = tanh(xn + r ⊙ (hn + b_hn)), ' +
      'h′ = n + z ⊙ (h − n). Writes hNew [B, H] and gates [3, B, H] = r, z, n for the gradient.',
    args: {
      xg: f32('in', '3*batch*hidden'),
      hg: f32('in', '3*batch*hidden'),
      h: f32('in', 'batch*hidden'),
      biasHn: f32OrNull('in', 'hidden'),
      ...cellShape,
      hNew: f32('out', 'batch*hidden'),
      gates: f32('out', '3*batch*hidden'),
      rows: {
        kind: 'boolean',
        optional: true,
        doc:
          'The pre-activations (and gates, dxg, dhg) are rows [batch, 3·hidden], each row r | z | n, as one GEMM ' +
          'h·W_hhᵀ writes them, instead of gate-major (default false).',
      },
    },
  },
  gruCellGrad: {
    doc: 'Given dhNew, overwrites dxg and dhg ([3, B, H], the gradients of the pre-activations) and dh [B, H].',
    args: {
      hg: f32('in', '3*batch*hidden'),
      h: f32('in', 'batch*hidden'),
      biasHn: f32OrNull('in', 'hidden'),
      gates: f32('in', '3*batch*hidden'),
      dhNew: f32('in', 'batch*hidden'),
      ...cellShape,
      dxg: f32('out', '3*batch*hidden'),
      dhg: f32('out', '3*batch*hidden'),
      dh: f32('out', 'batch*hidden'),
      rows: { kind: 'boolean', optional: true },
    },
  },
  lstmCell: {
    doc:
      'An LSTM step from the pre-activations xg + hg (each [4, B, H], gates i, f, g, o as torch) and c [B, H]: ' +
      'c′ = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h′ = σ(o) ⊙ tanh(c′). Writes hNew, cNew [B, H] and gates [4, B, H] (the ' +
      'activated i, f, g, o) for the gradient.',
    args: {
      xg: f32('in', '4*batch*hidden'),
      hg: f32('in', '4*batch*hidden'),
      c: f32('in', 'batch*hidden'),
      ...cellShape,
      hNew: f32('out', 'batch*hidden'),
      cNew: f32('out', 'batch*hidden'),
      gates: f32('out', '4*batch*hidden'),
    },
  },
  lstmCellGrad: {
    doc: 'Given dhNew and dcNew, overwrites dPre [4, B, H] (the gradient of xg and of hg) and dc [B, H].',
    args: {
      c: f32('in', 'batch*hidden'),
      cNew: f32('in', 'batch*hidden'),
      gates: f32('in', '4*batch*hidden'),
      dhNew: f32('in', 'batch*hidden'),
      dcNew: f32('in', 'batch*hidden'),
      ...cellShape,
      dPre: f32('out', '4*batch*hidden'),
      dc: f32('out', 'batch*hidden'),
    },
  },
  additiveAttention: {
    doc:
      'One step of additive (Bahdanau) attention over keys already projected once per batch: e[b, s] = vBias + ' +
      'Σ_u v[u]·tanh(keys[b, s, u] + query[b, u]), α = softmax_s(e) (masked: 0), context[b, :] = Σ_s ' +
      'α[b, s]·memory[b, s, :]. keys [batch, length, units], query [batch, units] (the projected decoder state), ' +
      'v [units], memory [batch, length, width], mask [batch, length] (1 = may not be attended) or null; a row ' +
      'with every key masked gets zero weights and a zero context. Overwrites weights [B, S] and context [B, E].',
    args: {
      keys: f32('in', 'batch*length*units'),
      query: f32('in', 'batch*units'),
      v: f32('in', 'units'),
      memory: f32('in', 'batch*length*width'),
      mask: { kind: 'array', dtype: 'u8', role: 'in', length: 'batch*length', nullable: true },
      ...additiveShape,
      weights: f32('out', 'batch*length'),
      context: f32('out', 'batch*width'),
    },
  },
  additiveAttentionGrad: {
    doc:
      'Its gradients given dContext [B, E] and dWeights [B, S] (or null): overwrites dScores [B, S] (the gradient ' +
      'of e) and dQuery [B, U]; ADDS into dKeys [B, S, U], dV [U] and dMemory [B, S, E], which a decoder ' +
      'accumulates over its steps. dV is summed per row b, rows in order, whatever the threads. With dMemory null ' +
      'the memory’s gradient (Σ over steps of weights ⊗ dContext) is left to the caller, which can form it for ' +
      'all steps in one product.',
    args: {
      keys: f32('in', 'batch*length*units'),
      query: f32('in', 'batch*units'),
      v: f32('in', 'units'),
      memory: f32('in', 'batch*length*width'),
      mask: { kind: 'array', dtype: 'u8', role: 'in', length: 'batch*length', nullable: true },
      ...additiveShape,
      weights: f32('in', 'batch*length'),
      dContext: f32('in', 'batch*width'),
      dWeights: f32OrNull('in', 'batch*length'),
      dScores: f32('out', 'batch*length'),
      dQuery: f32('out', 'batch*units'),
      dKeys: f32('inout', 'batch*length*units'),
      dV: f32('inout', 'units'),
      dMemory: f32OrNull('inout', 'batch*length*width'),
    },
  },
  adam: {
    doc:
      'One Adam/AdamW update (torch.optim’s single-tensor arithmetic on float32, one rounding per operation): ' +
      'with grad = ' +
      'sign·g + l2·p, m ← β1·m + (1−β1)·grad, v ← β2·v + (1−β2)·grad², v̂ ← max(v̂, v) (AMSGrad) else v, ' +
      'p ← p·decay − stepSize·m / (√v̂ / biasCorrection2Sqrt + eps). m, v, v̂ and p are stored as float32 and the ' +
      'update reads the stored values. The caller derives the constants from the step t: stepSize = lr/(1−β1ᵗ), ' +
      'biasCorrection2Sqrt = √(1−β2ᵗ), decay = 1 − lr·λ (AdamW) or 1. Updates p, m, v (and vMax, AMSGrad’s ' +
      'running maximum, when not null) in place.',
    args: {
      p: { kind: 'array', dtype: 'f32', role: 'inout' },
      g: f32('in', 'len(p)'),
      m: f32('inout', 'len(p)'),
      v: f32('inout', 'len(p)'),
      vMax: f32OrNull('inout', 'len(p)'),
      beta1: { kind: 'number' },
      beta2: { kind: 'number' },
      stepSize: { kind: 'number' },
      biasCorrection2Sqrt: { kind: 'number' },
      eps: { kind: 'number' },
      l2: { kind: 'number', doc: 'L2 penalty added to the gradient (Adam’s weight decay), 0 for none.' },
      decay: {
        kind: 'number',
        doc: 'Multiplier of p before the update (AdamW’s decoupled decay), 1 for none.',
      },
      sign: { kind: 'number', doc: '−1 to maximise, else 1.' },
    },
  },
  dropoutMask: {
    doc:
      'The mask of inverted dropout from a xoshiro128** stream (src/tensor/random.ts): for each i in order, ' +
      'u = (next() >>> 8) · 2⁻²⁴ and out[i] = u < keep ? float32(scale) : 0, where next() is xoshiro128**’s step ' +
      '(result = rotl(s1·5, 7)·9; t = s1 << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)). ' +
      'The four state words go in and come back advanced by len(out) steps, so the mask and the stream are those ' +
      'of Generator.fillUniform followed by the comparison.',
    args: {
      state: {
        kind: 'array',
        dtype: 'i32',
        role: 'inout',
        length: '4',
        doc: 'The generator’s words s0..s3 (their bits as int32).',
      },
      keep: { kind: 'number', doc: 'Probability of keeping an element, 1 − p.' },
      scale: { kind: 'number', doc: 'The value of a kept element, 1/keep (rounded to float32).' },
      out: { kind: 'array', dtype: 'f32', role: 'out' },
    },
  },
  sumOfSquares: {
    doc:
      'Adds Σ x[i]² to a float64 running sum: x[i]² (exact in float64) is added to partial sum i mod 16, in ' +
      'index order, then the sixteen partials (from zero) are added in order 0..15 and their total to the ' +
      'running sum, each addition rounding once: clipGradNorm’s p = 2 norm over several gradients, one call ' +
      'each. Sixteen independent sums let a vector unit run at memory speed; one sum in index order waits on ' +
      'every addition.',
    args: {
      x: f32In,
      sum: {
        kind: 'array',
        dtype: 'i32',
        role: 'inout',
        length: '2',
        doc: 'The running sum: the 8 bytes of one float64 (a Float64Array(1)’s buffer viewed as two int32).',
      },
    },
  },
  scaleInPlace: {
    doc: 'x[i] = float32(float64(x[i]) · factor): the product is taken in float64 and rounded once.',
    args: { x: { kind: 'array', dtype: 'f32', role: 'inout' }, factor: { kind: 'number' } },
  },
} as const satisfies Readonly<Record<string, KernelSpec>>;

export type KernelName = keyof typeof KERNELS;
