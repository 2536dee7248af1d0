/**
 * Errors raised by attn. Every message starts with the op that raised it, then says what is wrong with which
 * argument and its shape, e.g. `matmul: inner dimensions differ: [2,3] @ [4,5]`.
 */
export class AttnError extends Error {
  readonly op: string;
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'AttnError';
    this.op = op;
  }
}

/** Thrown by the opt-in finite check (see `setCheckFinite`) at the first op whose output is not finite. */
export class NonFiniteError extends AttnError {
  constructor(op: string, message: string) {
    super(op, message);
    this.name = 'NonFiniteError';
  }
}

export function fail(op: string, message: string): never {
  throw new AttnError(op, message);
}

/** Fails naming the first of `sizes` that is not a positive integer (layer widths, counts, lengths). */
export function requirePositiveIntegers(op: string, sizes: Record<string, number>): void {
  for (const [name, v] of Object.entries(sizes))
    if (!Number.isInteger(v) || v <= 0) fail(op, `${name} must be a positive integer, got ${v}`);
}
