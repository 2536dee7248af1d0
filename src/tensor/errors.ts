/**
 * Errors raised by attn, and the checks of arguments shared across layers. Every message starts with the op that raised it, then says what is wrong with which
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

/**
 * `value` if given — a finite number in [min, max], and an integer when `integer` — else `fallback`; anything
 * else fails naming the option.
 */
export function numberOption(
  op: string,
  name: string,
  value: number | undefined,
  fallback: number,
  range: { min: number; max: number; integer?: boolean },
): number {
  if (value === undefined) return fallback;
  const { min, max, integer = false } = range;
  const valid = typeof value === 'number' && (integer ? Number.isInteger(value) : Number.isFinite(value));
  if (!valid || value < min || value > max)
    fail(
      op,
      `${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(value)}`,
    );
  return value;
}
