/**
 * The choices an exporter implements, for the config keys whose other values it does not. A checkpoint that uses
 * another (RoPE, ALiBi or relative positions, an entmax normaliser, Luong's location score) is refused by name,
 * never written as a model that would compute something else.
 */
import { fail } from '../tensor/errors.js';

/** What both exporters implement today. */
export const EXPORTED_CHOICES: Readonly<Record<string, readonly unknown[]>> = {
  positions: ['sinusoidal'],
  normalizer: ['softmax'],
  score: ['dot', 'general', 'concat'],
};

/** Fails with `op` naming the first key of `model` whose value `implemented` lacks. */
export function checkImplemented(
  op: string,
  what: string,
  model: object,
  implemented: Readonly<Record<string, readonly unknown[]>> = EXPORTED_CHOICES,
): void {
  for (const [key, value] of Object.entries(model)) {
    const choices = implemented[key];
    if (choices && !choices.includes(value)) {
      fail(
        op,
        `${what} does not implement ${key} ${JSON.stringify(value)} (it implements ${choices.join(', ')}); ` +
          'this checkpoint cannot be exported in this format yet',
      );
    }
  }
}
