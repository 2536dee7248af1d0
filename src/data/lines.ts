/** Splitting in-memory text into lines, as the streaming readers see a file. */

/**
 * The lines of `text` (LF or CRLF endings; a byte-order mark at the start is dropped). A final line ending does
 * not make an extra empty line.
 */
export function splitLines(text: string): string[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = body.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Lines from text or from an iterable of lines (a trailing CR and a leading byte-order mark are removed). */
export function* linesOf(input: string | Iterable<string>): Generator<string> {
  if (typeof input === 'string') {
    yield* splitLines(input);
    return;
  }
  let first = true;
  for (const raw of input) {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (first && line.startsWith('\uFEFF')) line = line.slice(1);
    first = false;
    yield line;
  }
}
