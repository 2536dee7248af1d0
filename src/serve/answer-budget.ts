/**
 * What the answers of the server may hold: how much attention an answer carries, how large it may be, and how
 * many bytes of answers may wait to be sent. Memory the server holds is then bounded by its limits, whatever its
 * clients do: a slow reader's unsent answer counts against `maxPendingBytes` until its socket drains or times
 * out, and new requests are refused (503) while the budget is spent.
 */
import type { AttentionChoice, TranslationResult } from '../inference/types.js';

export { ATTENTION_CHOICES, type AttentionChoice } from '../inference/types.js';

/** The result with the attention of the hypotheses `choice` excludes removed. */
export function selectAttention(result: TranslationResult, choice: AttentionChoice): TranslationResult {
  if (choice === 'all') return result;
  return {
    ...result,
    hypotheses: result.hypotheses.map((h, i) => {
      if (choice === 'best' && i === 0) return h;
      const { attention: _omitted, ...rest } = h;
      return rest as typeof h;
    }),
  };
}

/**
 * The translation as JSON text within `maxBytes`: with the attention asked for when it fits, else with the
 * best hypothesis's attention only, else with none — saying so in `attentionOmitted`.
 */
export function boundedTranslationJson(
  result: TranslationResult,
  choice: AttentionChoice,
  maxBytes: number,
): string {
  const steps: AttentionChoice[] =
    choice === 'all' ? ['all', 'best', 'none'] : choice === 'best' ? ['best', 'none'] : ['none'];
  for (const step of steps) {
    const selected = selectAttention(result, step);
    const json = JSON.stringify(
      step === choice
        ? selected
        : {
            ...selected,
            attentionOmitted: `the answer with attention "${choice}" is larger than the limit of ${maxBytes} bytes; sent with "${step}"`,
          },
    );
    if (Buffer.byteLength(json) <= maxBytes || step === 'none') return json;
  }
  throw new Error('unreachable');
}

/** Bytes of answers written but not yet sent (a slow reader's): counted up when sent, down when done. */
export class PendingAnswers {
  private pending = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.pending;
  }

  /** Whether a new request may start: false while the unsent answers fill the budget. */
  hasRoom(): boolean {
    return this.pending < this.maxBytes;
  }

  /** Counts `bytes` until `done` fires (the response finished or its socket closed). */
  hold(bytes: number, done: (release: () => void) => void): void {
    this.pending += bytes;
    let released = false;
    done(() => {
      if (released) return;
      released = true;
      this.pending -= bytes;
    });
  }
}
