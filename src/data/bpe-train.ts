/**
 * Byte-pair encoding training (Sennrich et al., 2016): start from the characters of every word, the last one
 * carrying the end-of-word marker (`low` → `l o w</w>`), then repeatedly merge the most frequent adjacent pair
 * of symbols into one new symbol.
 *
 * Deterministic: the most frequent pair wins; among equally frequent pairs the one whose left symbol, then right
 * symbol, comes first in UTF-16 code-unit order wins. The corpus order does not matter, only the word counts.
 *
 * Cost: pair counts are updated incrementally (only the words containing the merged pair are revisited) and the
 * best pair comes from a binary heap with lazy deletion, so each merge costs about the size of the words it
 * touches plus log(pairs), not a scan of every pair.
 */

export interface BpeTrainLimits {
  /** Stop after this many merges. */
  numMerges: number;
  /** Stop once this many distinct symbols exist (the caller counts specials and the alphabet into it). */
  maxSymbols: number;
  /** Stop when the best pair occurs fewer times than this. */
  minPairFrequency: number;
}

export interface BpeTrainResult {
  /** The merges in the order learnt: [left, right]. */
  merges: [string, string][];
  /** The initial symbols (characters, with and without the marker) and their counts. */
  alphabet: Map<string, number>;
}

interface Pair {
  left: string;
  right: string;
  count: number;
  /** Indices of the words that contain this pair (some may no longer; they are rechecked). */
  words: Set<number>;
}

interface HeapEntry {
  count: number;
  pair: Pair;
}

/** Unambiguous key for a pair of symbols (the length prefix separates them). */
export function pairKey(left: string, right: string): string {
  return `${left.length}:${left}${right}`;
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  if (a.count !== b.count) return a.count > b.count;
  if (a.pair.left !== b.pair.left) return a.pair.left < b.pair.left;
  return a.pair.right < b.pair.right;
}

class PairHeap {
  private readonly items: HeapEntry[] = [];

  push(entry: HeapEntry): void {
    const a = this.items;
    a.push(entry);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): HeapEntry | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < a.length && before(a[l]!, a[best]!)) best = l;
        if (r < a.length && before(a[r]!, a[best]!)) best = r;
        if (best === i) break;
        [a[i], a[best]] = [a[best]!, a[i]!];
        i = best;
      }
    }
    return top;
  }
}

/** The initial symbols of a word: its characters, the marker on the last. */
export function wordSymbols(word: string, endOfWord: string): string[] {
  const chars = Array.from(word);
  if (chars.length > 0) chars[chars.length - 1] += endOfWord;
  return chars;
}

/** Learns merges from word counts. */
export function trainBpe(
  wordCounts: ReadonlyMap<string, number>,
  endOfWord: string,
  limits: BpeTrainLimits,
): BpeTrainResult {
  const words: string[][] = [];
  const counts: number[] = [];
  const alphabet = new Map<string, number>();
  for (const [word, count] of wordCounts) {
    const symbols = wordSymbols(word, endOfWord);
    if (symbols.length === 0) continue;
    for (const s of symbols) alphabet.set(s, (alphabet.get(s) ?? 0) + count);
    words.push(symbols);
    counts.push(count);
  }

  const pairs = new Map<string, Pair>();
  const changed = new Set<Pair>();
  const adjust = (left: string, right: string, delta: number, word: number): void => {
    const key = pairKey(left, right);
    let pair = pairs.get(key);
    if (!pair) {
      pair = { left, right, count: 0, words: new Set() };
      pairs.set(key, pair);
    }
    pair.count += delta;
    if (delta > 0) pair.words.add(word);
    changed.add(pair);
  };
  words.forEach((symbols, w) => {
    for (let i = 0; i + 1 < symbols.length; i++) adjust(symbols[i]!, symbols[i + 1]!, counts[w]!, w);
  });

  const heap = new PairHeap();
  const flush = (): void => {
    for (const pair of changed) if (pair.count > 0) heap.push({ count: pair.count, pair });
    changed.clear();
  };
  flush();

  const symbols = new Set(alphabet.keys());
  const merges: [string, string][] = [];
  while (merges.length < limits.numMerges && symbols.size < limits.maxSymbols) {
    const top = heap.pop();
    if (!top) break;
    const pair = top.pair;
    // Lazy deletion: an entry is stale when the pair's count has changed since it was pushed.
    if (top.count !== pair.count || pair.count <= 0) continue;
    if (pair.count < limits.minPairFrequency) break;
    const { left, right } = pair;
    const merged = left + right;
    merges.push([left, right]);
    symbols.add(merged);
    for (const w of [...pair.words]) {
      const old = words[w]!;
      const next: string[] = [];
      let found = false;
      for (let i = 0; i < old.length; i++) {
        if (i + 1 < old.length && old[i] === left && old[i + 1] === right) {
          next.push(merged);
          i++;
          found = true;
        } else {
          next.push(old[i]!);
        }
      }
      if (!found) continue;
      const c = counts[w]!;
      for (let i = 0; i + 1 < old.length; i++) adjust(old[i]!, old[i + 1]!, -c, w);
      for (let i = 0; i + 1 < next.length; i++) adjust(next[i]!, next[i + 1]!, c, w);
      words[w] = next;
    }
    pairs.delete(pairKey(left, right));
    changed.delete(pair);
    flush();
  }
  return { merges, alphabet };
}
