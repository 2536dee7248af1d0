/**
 * Runs a batched model call so that one bad input does not sink the others: when the batch fails with an
 * attn error (an input too long for a Transformer, say), the inputs are run one at a time and each failure is
 * returned in its place.
 */
import { AttnError } from '../tensor/errors.js';

export function runEach<R>(items: readonly string[], run: (batch: string[]) => R[]): (R | AttnError)[] {
  try {
    return run([...items]);
  } catch (err) {
    if (!(err instanceof AttnError)) throw err;
    return items.map((item) => {
      try {
        return run([item])[0]!;
      } catch (e) {
        if (!(e instanceof AttnError)) throw e;
        return e;
      }
    });
  }
}
