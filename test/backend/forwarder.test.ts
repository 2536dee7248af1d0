// The two forms of a native backend's kernel forwarder: compiled with new Function (the default) and built from
// closures (where a page's Content Security Policy refuses run-time code). For every kernel of the table both
// hand the addon the same arguments in the same order, and both send a call whose sameDtype arrays differ to the
// JavaScript reference.
import { describe, expect, it } from 'vitest';
import { KERNELS, type FieldSpec, type KernelName, type KernelSpec } from '../../src/backend/kernel-table.js';
import { closureForwarder, compiledForwarder } from '../../src/backend/native/backend.js';

/** A value of the field's kind (the addon is a recorder here: nothing checks lengths). */
function sample(spec: FieldSpec, i: number): unknown {
  switch (spec.kind) {
    case 'array':
      if (spec.optional && i % 2 === 0) return undefined;
      return spec.dtype === 'i32'
        ? new Int32Array([i])
        : spec.dtype === 'u8'
          ? new Uint8Array([i])
          : new Float32Array([i]);
    case 'boolean':
      return spec.optional && i % 3 === 0 ? undefined : i % 2 === 0;
    case 'enum':
      return spec.values[i % spec.values.length];
    case 'layout':
      return Object.fromEntries(Object.keys(spec.sets).map((s, j) => [s, { batch: i + j, head: 2, row: 3 }]));
    case 'ints':
      return [i, i + 1];
    default:
      return i + 0.5;
  }
}

describe('kernel forwarders', () => {
  it('compiled and closure forwarders pass the same arguments for every kernel', () => {
    for (const name of Object.keys(KERNELS) as KernelName[]) {
      const spec = KERNELS[name];
      const args = Object.fromEntries(
        Object.entries(spec.args).map(([field, s], i) => [field, sample(s, i)]),
      );
      const calls: unknown[][] = [];
      const record = (...fields: unknown[]) => void calls.push(fields);
      const reference = () => void calls.push(['reference']);
      compiledForwarder(name, spec, record, reference)(args);
      closureForwarder(spec, record, reference)(args);
      expect(calls, name).toHaveLength(2);
      expect(calls[1], name).toEqual(calls[0]);
      expect(calls[0]![0], name).not.toBe('reference');
    }
  });

  it('both send a call whose sameDtype arrays differ in dtype to the reference', () => {
    const table: Record<string, KernelSpec> = KERNELS;
    const mixed = (Object.keys(KERNELS) as KernelName[]).filter(
      (n) => (table[n]!.sameDtype ?? []).length > 1,
    );
    expect(mixed.length).toBeGreaterThan(0);
    for (const name of mixed) {
      const spec = table[name]!;
      const [first] = spec.sameDtype!;
      const args: Record<string, unknown> = Object.fromEntries(
        Object.entries(spec.args).map(([field, s], i) => [field, sample(s, i)]),
      );
      for (const field of spec.sameDtype!) args[field] = new Float32Array(1);
      args[first!] = new Int32Array(1);
      const calls: string[] = [];
      const record = () => void calls.push('addon');
      const reference = () => void calls.push('reference');
      compiledForwarder(name, spec, record, reference)(args);
      closureForwarder(spec, record, reference)(args);
      expect(calls, name).toEqual(['reference', 'reference']);
    }
  });
});
