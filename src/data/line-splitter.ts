/**
 * Lines from a byte stream, bounded: bytes are split at LF (a CR before it is dropped) and each line is decoded
 * as UTF-8 only when it is complete and within `maxLineBytes`. A longer line is never assembled: its bytes are
 * counted and dropped up to the next LF, and the line comes out as a problem — so one 10 MB line (or
 * `/dev/zero`, which has no LF at all) costs at most `maxLineBytes` of memory. A line that is not valid UTF-8
 * or holds a NUL byte (binary data) is a problem too, reported with its line number by the caller. A
 * byte-order mark at the start is dropped. Pure: runs in a browser.
 */

/** One line: its text, or what is wrong with it. */
export type LineRecord = { text: string } | { problem: string };

const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private first = true;
  private parts: Uint8Array[] = [];
  private length = 0;
  /** Bytes of the current line dropped past the bound (0 while it is within). */
  private overflow = 0;

  constructor(readonly maxLineBytes: number) {}

  /** The lines that `chunk` completes (a line still open waits for the next chunk or `finish`). */
  push(chunk: Uint8Array): LineRecord[] {
    const out: LineRecord[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf < 0 ? chunk.length : lf;
      this.append(chunk.subarray(start, end));
      if (lf < 0) break;
      out.push(this.takeLine());
      start = lf + 1;
    }
    return out;
  }

  /** The last line when the input does not end with a line break. */
  finish(): LineRecord[] {
    return this.length > 0 || this.overflow > 0 ? [this.takeLine()] : [];
  }

  private append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.overflow > 0 || this.length + bytes.length > this.maxLineBytes) {
      this.overflow += bytes.length;
      return;
    }
    // Copied: the caller may reuse its chunk's buffer.
    this.parts.push(bytes.slice());
    this.length += bytes.length;
  }

  private takeLine(): LineRecord {
    const { parts, length, overflow, first } = this;
    this.parts = [];
    this.length = 0;
    this.overflow = 0;
    this.first = false;
    if (overflow > 0) {
      return {
        problem:
          `the line has ${length + overflow} bytes, more than the limit of ${this.maxLineBytes} ` +
          '(64 bytes for each of the maxLineTokens tokens a line may have; attn takes --max-line-tokens N to raise it)',
      };
    }
    let bytes = parts.length === 1 ? parts[0]! : joinParts(parts, length);
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.includes(0)) return { problem: 'the line holds a NUL byte (binary data?)' };
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      return { problem: 'the line is not valid UTF-8' };
    }
    return { text: first && text.startsWith('\uFEFF') ? text.slice(1) : text };
  }
}

function joinParts(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
