// Seeded randomness for the fuzz suite: the same seed gives the same cases on every machine, so a failure is
// reproduced by its case id alone.

/** mulberry32: a small 32-bit generator, enough to pick mutations. */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/**
 * One random mutation of `bytes`, as a damaged or crafted file has: flipped bits, overwritten bytes (often with
 * the extremes 0x00/0xff or JSON's structural characters), a truncation, a duplicated or deleted slice, junk
 * appended. `region` limits where the mutation lands (the header of a safetensors file, say).
 */
export function mutateBytes(
  bytes: Uint8Array,
  random: SeededRandom,
  region: [number, number] = [0, bytes.length],
): Uint8Array {
  const [lo, hi] = region;
  const at = lo + random.int(Math.max(1, hi - lo));
  const out = Uint8Array.from(bytes);
  switch (random.int(7)) {
    case 0:
      out[at] = (out[at] ?? 0) ^ (1 << random.int(8));
      return out;
    case 1:
      out[at] = random.pick([0x00, 0xff, 0x7f, 0x80, 0x22, 0x5b, 0x7b, 0x5d, 0x7d, 0x2c, 0x3a, 0x39, 0x2d]);
      return out;
    case 2:
      return out.subarray(0, at);
    case 3: {
      const length = 1 + random.int(16);
      return concat(out.subarray(0, at), out.subarray(at, at + length), out.subarray(at));
    }
    case 4:
      return concat(out.subarray(0, at), out.subarray(at + 1 + random.int(16)));
    case 5: {
      const junk = new Uint8Array(1 + random.int(64));
      for (let i = 0; i < junk.length; i++) junk[i] = random.int(256);
      return concat(out, junk);
    }
    default: {
      const digits = new TextEncoder().encode(
        random.pick(['9999999999', '-1', '1e308', '4294967296', '0.5']),
      );
      return concat(out.subarray(0, at), digits, out.subarray(at + 1));
    }
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
