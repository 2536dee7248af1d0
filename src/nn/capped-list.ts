/**
 * Lists for error messages, capped: a checkpoint with a million unexpected tensors must give a readable error,
 * not a megabyte-long one. The first items are shown, then how many more there are.
 */

/** How many items an error message shows before it says "and N more". */
export const LISTED_ITEMS = 20;

/** `items` joined by `separator`, the first `max` of them and a count of the rest (e.g. `a, b, … and 3 more`). */
export function cappedList(items: readonly string[], separator = ', ', max = LISTED_ITEMS): string {
  if (items.length <= max) return items.join(separator);
  return `${items.slice(0, max).join(separator)}${separator}… and ${items.length - max} more`;
}
