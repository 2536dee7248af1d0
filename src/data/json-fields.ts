/**
 * Checks for objects read back from JSON (saved tokenizers and vocabularies): every error names the op and the
 * field at fault, e.g. `BpeTokenizer.fromJSON: merges[3] must be a pair of strings`.
 */
import { fail } from '../tensor/errors.js';

/** Parses a JSON string, or passes an already parsed value through. */
export function parseJSONInput(op: string, json: unknown): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json) as unknown;
  } catch (err) {
    return fail(op, `not valid JSON: ${(err as Error).message}`);
  }
}

export function expectRecord(op: string, value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(op, `${field} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function expectString(op: string, value: unknown, field: string): string {
  if (typeof value !== 'string') fail(op, `${field} must be a string, got ${describe(value)}`);
  return value;
}

export function expectBoolean(op: string, value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') fail(op, `${field} must be a boolean, got ${describe(value)}`);
  return value;
}

export function expectStringArray(op: string, value: unknown, field: string): string[] {
  if (!Array.isArray(value)) fail(op, `${field} must be an array of strings, got ${describe(value)}`);
  value.forEach((v, i) => expectString(op, v, `${field}[${i}]`));
  return value as string[];
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
