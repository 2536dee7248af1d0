/**
 * The nesting depth of JSON text, found by one pass over its characters with a counter (no recursion), so that
 * a file nested a hundred thousand levels deep is refused with an error naming it before `JSON.parse` builds it
 * and before any recursive walk (JSON.stringify, a validator) runs out of stack. Pure: runs in a browser.
 */

/**
 * The deepest nesting of arrays and objects in `text` (0 for a scalar), counting brackets outside strings.
 * Malformed text gives some depth; `JSON.parse` reports what is malformed.
 */
export function jsonNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return deepest;
}
