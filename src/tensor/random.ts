/**
 * A seeded pseudo-random generator: xoshiro128** (32-bit state words, fast with Math.imul), seeded through
 * splitmix32 so that nearby seeds give unrelated streams. The same seed gives the same numbers on every platform;
 * `getState`/`setState` save and restore the stream exactly (a resumed training run draws what an uninterrupted
 * one would).
 */
import { fail } from './errors.js';

export interface GeneratorState {
  words: [number, number, number, number];
  /** The second normal of the last Box–Muller pair, not yet returned. */
  spareNormal: number | null;
}

function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const TWO_POW_24_INV = 1 / 16777216;
const TWO_POW_32 = 4294967296;

export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Restarts the stream from `seed` (an integer; only its low 53 bits matter). */
  manualSeed(seed: number): this {
    if (!Number.isSafeInteger(seed)) fail('manualSeed', `seed must be a safe integer, got ${seed}`);
    // The low 32 bits drive splitmix32; the high bits go into one word on their own, so that no two safe
    // integers share a state (folding them into the low word made 0 and -1, or 1 and 2³², the same stream).
    const state = { x: seed | 0 };
    this.s0 = splitmix32(state);
    this.s1 = splitmix32(state);
    this.s2 = (splitmix32(state) ^ Math.floor(seed / TWO_POW_32)) >>> 0;
    this.s3 = splitmix32(state);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
    return this;
  }

  getState(): GeneratorState {
    // The step leaves the words as signed int32; report them unsigned (same bits), as setState expects.
    return {
      words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0],
      spareNormal: this.spare,
    };
  }

  setState(state: GeneratorState): void {
    const w = state?.words;
    if (
      !Array.isArray(w) ||
      w.length !== 4 ||
      w.some((v) => !Number.isInteger(v) || v < 0 || v >= TWO_POW_32)
    ) {
      fail('Generator.setState', 'state.words must be four unsigned 32-bit integers');
    }
    this.s0 = w[0]!;
    this.s1 = w[1]!;
    this.s2 = w[2]!;
    this.s3 = w[3]!;
    this.spare = typeof state.spareNormal === 'number' ? state.spareNormal : null;
  }

  /**
   * Copies the four state words into `words` (their bits as int32), for a kernel that draws the stream itself
   * (dropoutMask); `loadWords` takes the advanced words back. The spare normal is left as it is.
   */
  storeWords(words: Int32Array): void {
    words[0] = this.s0;
    words[1] = this.s1;
    words[2] = this.s2;
    words[3] = this.s3;
  }

  /** Sets the four state words from `words` (see storeWords). */
  loadWords(words: Int32Array): void {
    this.s0 = words[0]!;
    this.s1 = words[1]!;
    this.s2 = words[2]!;
    this.s3 = words[3]!;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform in [0, 1) on a grid of 2⁻²⁴, so the value stays below 1 when stored as float32. */
  uniform(): number {
    return (this.nextUint32() >>> 8) * TWO_POW_24_INV;
  }

  /** Standard normal by the Box–Muller transform (pairs: every second call is free). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log stays finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** An integer in [low, high), uniformly (53 random bits, so the bias is below 2⁻²⁰ for any range). */
  randint(low: number, high: number): number {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low) {
      fail('randint', `needs integers low < high, got ${low} and ${high}`);
    }
    const hi = this.nextUint32() >>> 11; // 21 bits
    const lo = this.nextUint32(); // 32 bits
    const u = (hi * TWO_POW_32 + lo) / 9007199254740992;
    return low + Math.floor(u * (high - low));
  }

  /** true with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Fills with uniform values in [low, high). */
  fillUniform(out: Float32Array, low = 0, high = 1): Float32Array {
    const span = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + span * this.uniform();
    return out;
  }

  /** Fills with normal values of the given mean and standard deviation. */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0) fail('permutation', `n must be a non-negative integer, got ${n}`);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.randint(0, i + 1);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }
}

let globalGenerator = new Generator(0);

/** The generator used when none is passed: seeded with 0 at start-up, re-seeded by `manualSeed`. */
export function defaultGenerator(): Generator {
  return globalGenerator;
}

/** Seeds the default generator (as torch.manual_seed). */
export function manualSeed(seed: number): Generator {
  globalGenerator = new Generator(seed);
  return globalGenerator;
}
