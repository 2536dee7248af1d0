/**
 * Argument checking derived from the kernel table: the dtype of every array, its length against the table's
 * rule, strided walks, index ranges, scalar kinds and the kernels' further conditions, with an error naming the
 * kernel and argument. Ops validate shapes before they call a kernel, so these checks catch bugs in the ops (and
 * in callers of the kernels); `checkedBackend` wraps every kernel of a backend with them. The registry installs
 * the wrapper only when checks are on (tests, or ATTN_CHECK_KERNELS=1 in Node), so they cost nothing when off.
 */
import { KERNELS, type ArraySpec, type FieldSpec, type KernelName, type KernelSpec } from './kernel-table.js';
import type { AttentionStrides as Strides3, Backend, Kernels } from './kernels.js';

/** The rule helpers (see kernel-table.ts): the same names the C++ glue defines. */
const helpers = {
  len: (a: ArrayLike<unknown> | null | undefined): number => (a ? a.length : 0),
  prod: (xs: readonly number[]): number => xs.reduce((p, x) => p * x, 1),
  extent: (s: Strides3, batch: number, heads: number, t: number, features: number): number =>
    batch === 0 || heads === 0 || t === 0 || features === 0
      ? 0
      : (batch - 1) * s.batch + (heads - 1) * s.head + (t - 1) * s.row + features,
};

type Rule = (args: Record<string, unknown>) => number | boolean;

/** Compiles a table rule over the fields of `spec` (and the layout sets' strides) into a function. */
function compileRule(spec: KernelSpec, rule: string): Rule {
  const names = Object.keys(spec.args);
  const layouts = Object.entries(spec.args).flatMap(([name, f]) =>
    f.kind === 'layout'
      ? Object.entries(f.sets).map(([set, strides]) => {
          const [batch, head, row] = strides.split(',');
          return `const ${name}_${set} = ${name} ? ${name}.${set} : { batch: ${batch}, head: ${head}, row: ${row} };`;
        })
      : [],
  );
  // $args cannot clash with a field name (fields are identifiers without $).
  const body = `const { ${names.join(', ')} } = $args;\n${layouts.join('\n')}\nreturn (${rule});`;
  const f = new Function('len', 'prod', 'extent', '$args', body) as (...xs: unknown[]) => number | boolean;
  return (args) => f(helpers.len, helpers.prod, helpers.extent, args);
}

const ARRAY_TYPES = { f32: Float32Array, i32: Int32Array, u8: Uint8Array } as const;
const DTYPE_NAMES = { f32: 'a Float32Array', i32: 'an Int32Array', u8: 'a Uint8Array', any: 'a typed array' };

const isInteger = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

/** True when a strided walk over shape from offset stays inside [0, length). */
function walkFits(
  length: number,
  offset: number,
  strides: readonly number[],
  shape: readonly number[],
): boolean {
  if (strides.length !== shape.length) return false;
  if (helpers.prod(shape) === 0) return true;
  const reach = shape.map((n, d) => (n - 1) * strides[d]!);
  const lo = reach.reduce((s, r) => s + Math.min(r, 0), offset);
  return lo >= 0 && reach.reduce((s, r) => s + Math.max(r, 0), offset) < length;
}

type Check = (args: Record<string, unknown>) => void;

function arrayChecks(kernel: string, spec: KernelSpec, name: string, f: ArraySpec): Check[] {
  const where = `${kernel}: ${name}`;
  const types = f.dtype === 'any' ? Object.values(ARRAY_TYPES) : [ARRAY_TYPES[f.dtype]];
  const checks: Check[] = [];
  checks.push((a) => {
    const x = a[name];
    if ((x === null || x === undefined) && (f.nullable || f.optional)) return;
    if (!types.some((T) => x instanceof T))
      throw new TypeError(`${where} must be ${DTYPE_NAMES[f.dtype]}${f.nullable ? ' or null' : ''}`);
  });
  const present = (a: Record<string, unknown>) => a[name] as ArrayLike<number> | null | undefined;
  const need = f.length === undefined ? null : compileRule(spec, f.length);
  if (need)
    checks.push((a) => {
      const x = present(a);
      const n = need(a) as number;
      if (x && x.length < n) throw new RangeError(`${where} has ${x.length} elements, needs ${n}`);
    });
  if (f.walk) {
    const [offset, strides, shape] = f.walk.split(',').map((r) => compileRule(spec, r.trim()));
    checks.push((a) => {
      const x = present(a);
      const [o, s, sh] = [offset!(a), strides!(a), shape!(a)] as unknown as [number, number[], number[]];
      if (x && !walkFits(x.length, o, s, sh))
        throw new RangeError(
          `${where} is too short for the strided walk (or its strides do not match the shape)`,
        );
    });
  }
  if (f.indexBelow) {
    const bound = compileRule(spec, f.indexBelow);
    const except = f.indexExcept ? compileRule(spec, f.indexExcept) : null;
    checks.push((a) => {
      const x = present(a);
      if (!x) return;
      const n = need ? (need(a) as number) : x.length;
      const b = bound(a) as number;
      const skip = except ? (except(a) as number) : NaN;
      for (let i = 0; i < n; i++)
        if (x[i] !== skip && !(x[i]! >= 0 && x[i]! < b))
          throw new RangeError(`${where} holds an index out of range (${x[i]} at ${i}, not in [0, ${b}))`);
    });
  }
  return checks;
}

/** A scalar kind's test, error and message. */
type ScalarRule = readonly [(x: unknown) => boolean, typeof TypeError, (x: unknown) => string];
const got = (what: string) => (x: unknown) => `${what}, got ${String(x)}`;
const SCALAR_RULES: Record<Exclude<FieldSpec['kind'], 'array' | 'enum'>, ScalarRule> = {
  count: [(x) => isInteger(x) && x >= 0, RangeError, got('must be an integer ≥ 0')],
  int: [isInteger, RangeError, got('must be an integer')],
  number: [(x) => typeof x === 'number', TypeError, got('must be a number')],
  boolean: [(x) => typeof x === 'boolean', TypeError, got('must be a boolean')],
  ints: [(x) => Array.isArray(x) && x.every(isInteger), TypeError, got('must be an array of integers')],
  layout: [(x) => typeof x === 'object' && x !== null, TypeError, () => 'must be a layout object'],
};

function scalarCheck(kernel: string, name: string, f: Exclude<FieldSpec, ArraySpec>): Check {
  const [ok, error, what]: ScalarRule =
    f.kind === 'enum'
      ? [
          (x) => f.values.includes(x as string) || (x === null && f.nullable === true),
          RangeError,
          (x) => `is unknown: '${String(x)}' (expected ${f.values.join(', ')})`,
        ]
      : SCALAR_RULES[f.kind];
  const optional = 'optional' in f && f.optional === true;
  return (a) => {
    const x = a[name];
    if (!(x === undefined && optional) && !ok(x)) throw new error(`${kernel}: ${name} ${what(x)}`);
  };
}

function kernelChecker(name: KernelName): Check {
  const spec: KernelSpec = KERNELS[name];
  const fields = new Set(Object.keys(spec.args));
  const checks: Check[] = [
    (a) => {
      for (const key of Object.keys(a))
        if (!fields.has(key)) throw new TypeError(`${name}: unknown argument '${key}'`);
    },
  ];
  for (const [field, f] of Object.entries(spec.args))
    if (f.kind !== 'array') checks.push(scalarCheck(name, field, f));
  for (const [field, f] of Object.entries(spec.args))
    if (f.kind === 'array') checks.push(...arrayChecks(name, spec, field, f));
  for (const [rule, meaning] of spec.requires ?? []) {
    const holds = compileRule(spec, rule);
    checks.push((a) => {
      if (!holds(a)) throw new RangeError(`${name}: ${meaning} (${rule})`);
    });
  }
  return (a) => {
    for (const check of checks) check(a);
  };
}

const checkers = new Map<KernelName, Check>();

/** Throws a TypeError or RangeError naming the kernel and argument when `args` break kernel `name`'s table entry. */
export function checkKernelArgs(name: KernelName, args: object): void {
  let checker = checkers.get(name);
  if (!checker) checkers.set(name, (checker = kernelChecker(name)));
  checker(args as Record<string, unknown>);
}

/** `backend` with every table kernel checking its arguments before it runs. */
export function checkedBackend(backend: Backend): Backend {
  const kernels: Record<string, (args: object) => void> = {};
  for (const name of Object.keys(KERNELS) as KernelName[]) {
    const run = backend[name] as (args: object) => void;
    kernels[name] = (args) => {
      checkKernelArgs(name, args);
      run(args);
    };
  }
  return { ...backend, ...(kernels as unknown as Kernels) };
}
