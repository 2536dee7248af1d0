/**
 * The native Backend, built from the kernel table: each kernel is a forwarder that passes the argument object's
 * fields in table order to the addon function of the same name. Two kinds of call go to the JavaScript reference
 * instead: those whose `sameDtype` arrays differ in dtype (the reference accepts any DataArray combination, the
 * addon one dtype per call), and kernels the addon does not export (not ported yet: inherited from jsBackend).
 */
import { jsBackend } from '../js/index.js';
import { KERNELS, type FieldSpec, type KernelName, type KernelSpec } from '../kernel-table.js';
import type { Backend, Kernels } from '../kernels.js';
import type { NativeAddon, NativeKernel } from './addon.js';

/**
 * An enum's values by name → the index the addon takes (after 0 for null when nullable). A prototype-less
 * object: an unknown name reads undefined, which the glue rejects.
 */
function enumCodes(spec: Extract<FieldSpec, { kind: 'enum' }>): Record<string, number> {
  const offset = spec.nullable ? 1 : 0;
  const code = Object.create(null) as Record<string, number>;
  spec.values.forEach((v, i) => (code[v] = i + offset));
  return code;
}

/** How field `name` of the argument object reaches the addon: its value as is, or the addon's flat form. */
function fieldReader(name: string, spec: FieldSpec): (a: Record<string, unknown>) => unknown {
  switch (spec.kind) {
    case 'enum': {
      const code = enumCodes(spec);
      return spec.nullable
        ? (a) => (a[name] === null ? 0 : code[a[name] as string])
        : (a) => code[a[name] as string];
    }
    case 'layout': {
      // The addon's flat form: batch, head and row strides of each set in table order, or undefined.
      const sets = Object.keys(spec.sets);
      return (a) => {
        const layout = a[name] as Record<string, { batch: number; head: number; row: number }> | undefined;
        return layout && sets.flatMap((s) => [layout[s]!.batch, layout[s]!.head, layout[s]!.row]);
      };
    }
    case 'array':
      return spec.optional ? (a) => a[name] ?? null : (a) => a[name];
    case 'boolean':
      return spec.optional ? (a) => a[name] === true : (a) => a[name];
    default:
      return (a) => a[name];
  }
}

/** The JavaScript expression that does what fieldReader(name, spec) does, for a compiled forwarder. */
function passed(name: string, spec: FieldSpec, codes: Record<string, number>[]): string {
  switch (spec.kind) {
    case 'enum': {
      codes.push(enumCodes(spec));
      const c = `code${codes.length - 1}`;
      return spec.nullable ? `(a.${name} === null ? 0 : ${c}[a.${name}])` : `${c}[a.${name}]`;
    }
    case 'layout': {
      const sets = Object.keys(spec.sets).map((s) => `a.${name}.${s}`);
      return `a.${name} && [${sets.map((s) => `${s}.batch, ${s}.head, ${s}.row`).join(', ')}]`;
    }
    case 'array':
      return spec.optional ? `a.${name} ?? null` : `a.${name}`;
    case 'boolean':
      return spec.optional ? `a.${name} === true` : `a.${name}`;
    default:
      return `a.${name}`;
  }
}

/**
 * One monomorphic forwarder per kernel, compiled once: `(a) => f(a.x, a.out, ...)` in table order, so a call
 * costs one property read per field and no array or closure per call. Where code may not be compiled at run
 * time (a page whose Content Security Policy has no 'unsafe-eval'), the same forwarder from closures, which
 * builds an argument array per call.
 */
function forwarder(name: KernelName, spec: KernelSpec, f: NativeKernel): (args: object) => void {
  const reference = jsBackend[name] as (args: object) => void;
  try {
    return compiledForwarder(name, spec, f, reference);
  } catch (error) {
    if (!(error instanceof EvalError)) throw error;
    return closureForwarder(spec, f, reference);
  }
}

export function compiledForwarder(
  name: KernelName,
  spec: KernelSpec,
  f: NativeKernel,
  reference: (args: object) => void,
): (args: object) => void {
  const codes: Record<string, number>[] = [];
  const fields = Object.entries(spec.args).map(([field, s]) => passed(field, s, codes));
  const [first, ...others] = spec.sameDtype ?? [];
  const differ = others.map((o) => `a.${o}.constructor !== a.${first}.constructor`);
  const guard = differ.length ? `if (${differ.join(' || ')}) return reference(a);\n` : '';
  const body = `return function ${name}(a) {\n${guard}f(${fields.join(', ')});\n};`;
  const names = codes.map((_, i) => `code${i}`);
  return new Function('f', 'reference', ...names, body)(f, reference, ...codes) as (args: object) => void;
}

export function closureForwarder(
  spec: KernelSpec,
  f: NativeKernel,
  reference: (args: object) => void,
): (args: object) => void {
  const readers = Object.entries(spec.args).map(([field, s]) => fieldReader(field, s));
  const [first, ...others] = spec.sameDtype ?? [];
  return (args) => {
    const a = args as Record<string, unknown>;
    if (first !== undefined) {
      const type = (a[first] as object).constructor;
      if (others.some((o) => (a[o] as object).constructor !== type)) return reference(a);
    }
    f(...readers.map((read) => read(a)));
  };
}

/**
 * The Backend over `addon`: the compiled addon ('native'), or the WebAssembly module that presents the same
 * functions ('wasm', src/backend/wasm/addon.ts).
 */
export function createNativeBackend(addon: NativeAddon, backendName: 'native' | 'wasm' = 'native'): Backend {
  const kernels: Record<string, unknown> = { ...jsBackend };
  for (const name of Object.keys(KERNELS) as KernelName[]) {
    const f = addon[name];
    if (f) kernels[name] = forwarder(name, KERNELS[name], f);
  }
  return {
    ...(kernels as unknown as Kernels),
    name: backendName,
    packMatmulB(b, k, n, transB, reuse) {
      const size = addon.packedBFloats(k, n);
      const fits = reuse?.packedBy === backendName && reuse.packed?.length === size;
      const packed = fits ? reuse.packed! : new Float32Array(size);
      addon.packB(b, k, n, transB, packed);
      return { b, k, n, transB, packedBy: backendName, packed };
    },
    matmulPacked(a, { b, k, n, transB, packedBy, packed }, out, m, transA) {
      // A PackedMatrix that the reference made (its packed copy is a plain transpose) runs as a plain product.
      if (packed && packedBy === backendName)
        addon.matmulPrepacked(a, b, packed, out, m, n, k, transA, transB);
      else addon.matmul!(a, b, out, 1, m, n, k, transA, transB, 0, 0);
    },
  };
}
