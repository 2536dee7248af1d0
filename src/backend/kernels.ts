/**
 * The kernel interface: all numeric work of attn goes through one of these calls. Kernels are coarse (a whole
 * matmul, a whole softmax, a whole reduction) so that a native backend can replace the JavaScript reference
 * without the ops above knowing. Each kernel is declared once, in kernel-table.ts (its arguments, their dtypes and
 * length rules, and its formula); the types here follow from that table. A kernel takes one argument object,
 * writes into the output arrays it is given, never allocates the result itself, and trusts its caller: shapes
 * and lengths are validated by the ops in src/tensor before any kernel runs (check.ts checks every call against
 * the table when asked to).
 */
import type { DataArray } from '../tensor/dtype.js';
import type { KERNELS, KernelName } from './kernel-table.js';

export type { KernelName } from './kernel-table.js';

type Table = typeof KERNELS;
type ArgsSpec<N extends KernelName> = Table[N]['args'];

interface DtypeArrays {
  f32: Float32Array;
  i32: Int32Array;
  u8: Uint8Array;
  any: DataArray;
}

/** Batch, head and row strides of one operand: row t of head h of batch b starts at b·batch + h·head + t·row. */
export interface AttentionStrides {
  batch: number;
  head: number;
  row: number;
}

/** Where each operand's rows lie: strides for each set of the attention kernels' layout field (q, k, v, out). */
export type AttentionLayout = {
  -readonly [S in keyof Table['attention']['args']['layout']['sets']]: AttentionStrides;
};

type Nullable<F, T> = F extends { nullable: true } ? T | null : T;

/** The TypeScript type of one table field. */
type FieldValue<F> = F extends { kind: 'array'; dtype: infer D extends keyof DtypeArrays }
  ? Nullable<F, DtypeArrays[D]>
  : F extends { kind: 'count' | 'int' | 'number' }
    ? number
    : F extends { kind: 'boolean' }
      ? boolean
      : F extends { kind: 'ints' }
        ? readonly number[]
        : F extends { kind: 'enum'; values: readonly (infer V)[] }
          ? Nullable<F, V>
          : F extends { kind: 'layout' }
            ? AttentionLayout
            : never;

type OptionalKeys<A> = { [K in keyof A]: A[K] extends { optional: true } ? K : never }[keyof A];

/** The argument object of kernel N: one property per table field, optional where the table says so. */
export type KernelArgs<N extends KernelName> = {
  -readonly [K in Exclude<keyof ArgsSpec<N>, OptionalKeys<ArgsSpec<N>>>]: FieldValue<ArgsSpec<N>[K]>;
} & {
  -readonly [K in OptionalKeys<ArgsSpec<N>>]?: FieldValue<ArgsSpec<N>[K]> | undefined;
};

/** One function per table kernel. */
export type Kernels = { readonly [N in KernelName]: (args: KernelArgs<N>) => void };

type EnumOf<N extends KernelName, F extends keyof ArgsSpec<N>> = Exclude<FieldValue<ArgsSpec<N>[F]>, null>;

export type UnaryOp = EnumOf<'unary', 'op'>;
export type BinaryOp = EnumOf<'binary', 'op'>;
export type CompareOp = EnumOf<'compare', 'op'>;
export type ReduceOp = EnumOf<'reduce', 'op'>;

/** The shape record of a (batched) matmul: batch, m, n, k, transA, transB, strideA, strideB. */
export type MatmulArgs = Omit<KernelArgs<'matmul'>, 'a' | 'b' | 'out'>;
/** rows, classes, ignoreIndex, labelSmoothing of crossEntropy and its gradient. */
export type CrossEntropyArgs = Omit<KernelArgs<'crossEntropy'>, 'logits' | 'targets' | 'loss' | 'logSumExp'>;
/** The shape, scale, causal flag and optional layout of the fused attention. */
export type AttentionArgs = Omit<
  KernelArgs<'attention'>,
  'q' | 'k' | 'v' | 'keyPadding' | 'out' | 'lse' | 'weights'
>;
/** batch, hidden and (GRU only) rows of a recurrent cell step. */
export type CellArgs = Pick<KernelArgs<'gruCell'>, 'batch' | 'hidden' | 'rows'>;
/** batch, length, units, width and vBias of an additive attention step. */
export type AdditiveAttentionArgs = Pick<
  KernelArgs<'additiveAttention'>,
  'batch' | 'length' | 'units' | 'width' | 'vBias'
>;
/** The constants of one Adam step (see the adam kernel). */
export type AdamArgs = Omit<KernelArgs<'adam'>, 'p' | 'g' | 'm' | 'v' | 'vMax'>;

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

/**
 * A backend: the table's kernels plus the packed product, which returns an opaque backend-owned object and so
 * stays outside the table.
 */
export interface Backend extends Kernels {
  readonly name: string;
  /**
   * Prepares op(b) [k, n] (b stored [n, k] when transB) for matmulPacked. With `reuse` (an earlier result of the
   * same shape that is no longer in use) the backend may pack into its buffer instead of a fresh one: a fresh
   * buffer of megabytes costs a page fault per 4 KiB page on its first write, as much as the packing itself.
   */
  packMatmulB(b: Float32Array, k: number, n: number, transB: boolean, reuse?: PackedMatrix): PackedMatrix;
  /** out [m, n] = op(a) · op(B) for a B that packMatmulB prepared: the same values as matmul with batch 1. */
  matmulPacked(a: Float32Array, b: PackedMatrix, out: Float32Array, m: number, transA: boolean): void;
}
