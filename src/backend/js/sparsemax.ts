/**
 * sparsemax (Martins & Astudillo, 2016): the Euclidean projection of x onto the probability simplex, along n
 * of x viewed as [outer, n, inner].
 *
 *   sparsemax(x)_j = max(x_j - τ, 0),  τ = (Σ_{j≤k} x_(j) - 1) / k
 *   k = max{ k : 1 + k·x_(k) > Σ_{j≤k} x_(j) }   with x_(1) ≥ x_(2) ≥ … sorted descending
 *
 * Entries equal to -∞ (masked positions) take no part and get weight exactly 0; a slice that is all -∞ gives
 * zeros (as softmax does). A slice holding a NaN or +∞ has no projection and gives NaN throughout. The
 * threshold is computed in double precision (sorting each slice: O(n log n)).
 */
import type { KernelArgs } from '../kernels.js';
export function sparsemax({ x, outer, n, inner, out }: KernelArgs<'sparsemax'>): void {
  const sorted = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const end = base + n * inner;
      let m = 0;
      let invalid = false;
      for (let p = base; p < end; p += inner) {
        const v = x[p]!;
        if (v === -Infinity) continue;
        if (v !== v || v === Infinity) invalid = true;
        sorted[m++] = v;
      }
      if (invalid || m === 0) {
        for (let p = base; p < end; p += inner) out[p] = invalid ? NaN : 0;
        continue;
      }
      const finite = sorted.subarray(0, m).sort(); // ascending: walk it from the end
      let cumsum = 0;
      let tau = 0;
      for (let k = 1; k <= m; k++) {
        const z = finite[m - k]!;
        cumsum += z;
        // The condition holds for k = 1 and fails from k(x) + 1 on, so its last success gives τ.
        if (1 + k * z > cumsum) tau = (cumsum - 1) / k;
        else break;
      }
      for (let p = base; p < end; p += inner) {
        const d = x[p]! - tau;
        out[p] = d > 0 ? d : 0;
      }
    }
  }
}

/**
 * Gradient of sparsemax given its output y: with S = {j : y_j > 0} the support,
 *   dx_j = [j ∈ S] · (dy_j - (1/|S|) Σ_{i∈S} dy_i)
 * (the Jacobian diag(s) - s·sᵀ/|S| is symmetric, so this is also the vector-Jacobian product). A slice with
 * an empty support (all masked) gets a zero gradient.
 */
export function sparsemaxGrad({ y, dy, outer, n, inner, dx }: KernelArgs<'sparsemaxGrad'>): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const end = base + n * inner;
      let sum = 0;
      let count = 0;
      for (let p = base; p < end; p += inner) {
        if (y[p]! > 0) {
          sum += dy[p]!;
          count++;
        }
      }
      const mean = count > 0 ? sum / count : 0;
      for (let p = base; p < end; p += inner) dx[p] = y[p]! > 0 ? dy[p]! - mean : 0;
    }
  }
}

/**
 * The first pass of entmax15 and entmaxBisect over the slice x[base : end : inner]: its entries that are not −∞,
 * shifted by their max and scaled, z_j = scale·(x_j − max x) in double, into z[0 : count] in slice order. A slice
 * with a NaN or +∞ has no projection and gets NaN throughout; one of nothing but −∞ gets zeros; for both, `out`
 * is written here and the result is null.
 */
function shiftedEntries(
  x: Float32Array,
  out: Float32Array,
  base: number,
  end: number,
  inner: number,
  scale: number,
  z: Float64Array,
): { count: number; max: number } | null {
  let count = 0;
  let max = -Infinity;
  let invalid = false;
  for (let p = base; p < end; p += inner) {
    const v = x[p]!;
    if (v === -Infinity) continue;
    if (v !== v || v === Infinity) invalid = true;
    if (v > max) max = v;
    count++;
  }
  if (invalid || count === 0) {
    for (let p = base; p < end; p += inner) out[p] = invalid ? NaN : 0;
    return null;
  }
  let m = 0;
  for (let p = base; p < end; p += inner) if (x[p]! !== -Infinity) z[m++] = scale * (x[p]! - max);
  return { count, max };
}

/**
 * 1.5-entmax (Peters, Niculae & Martins, 2019) along n of x viewed as [outer, n, inner], by the exact sort-based
 * algorithm: with z = (x − max x)/2 sorted descending (the shift leaves y unchanged and keeps ss_k/k − mean_k²
 * free of cancellation),
 *
 *   mean_k = (1/k)Σ_{j≤k} z_(j),  ss_k = Σ_{j≤k} z_(j)²,  δ_k = (1 − k·(ss_k/k − mean_k²))/k,
 *   τ_k = mean_k − √max(δ_k, 0),  k* = max{k : τ_k ≤ z_(k)},  y = max(z − τ_{k*}, 0)².
 *
 * -∞ entries take no part and get exactly 0; an all -∞ slice gives zeros; a NaN or +∞ gives NaN throughout.
 * Everything is in double, rounded to float once per output.
 */
export function entmax15({ x, outer, n, inner, out }: KernelArgs<'entmax15'>): void {
  const sorted = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const end = base + n * inner;
      // z = (x − max x)/2: halving is exact, so 0.5·(x − max x) is the same number.
      const entries = shiftedEntries(x, out, base, end, inner, 0.5, sorted);
      if (entries === null) continue;
      const { count: m, max } = entries;
      const z = sorted.subarray(0, m).sort(); // ascending: walk it from the end
      let sum = 0;
      let squares = 0;
      let tau = 0;
      for (let k = 1; k <= m; k++) {
        const zk = z[m - k]!;
        sum += zk;
        squares += zk * zk;
        const mean = sum / k;
        const delta = (1 - k * (squares / k - mean * mean)) / k;
        const t = mean - Math.sqrt(Math.max(delta, 0));
        if (t <= zk) tau = t;
      }
      for (let p = base; p < end; p += inner) {
        const v = x[p]!;
        const d = v === -Infinity ? 0 : (v - max) / 2 - tau;
        out[p] = d > 0 ? d * d : 0;
      }
    }
  }
}

/**
 * Gradient of 1.5-entmax given its output y. On the support y = (z − τ)² with Σ y = 1, so dy_j = 2s_j(dz_j − dτ)
 * with s = √y, and Σ dy = 0 gives dτ = Σ s⊙dz / Σ s; with dz = dx/2:
 *
 *   dx = s ⊙ g − s · (Σ s ⊙ g) / (Σ s)   (0 off the support, where s = 0).
 *
 * The sums are in double.
 */
export function entmax15Grad({ y, dy, outer, n, inner, dx }: KernelArgs<'entmax15Grad'>): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const end = base + n * inner;
      let sumS = 0;
      let sumSG = 0;
      for (let p = base; p < end; p += inner) {
        const s = Math.sqrt(y[p]!);
        sumS += s;
        sumSG += s * dy[p]!;
      }
      const q = sumS > 0 ? sumSG / sumS : 0;
      for (let p = base; p < end; p += inner) dx[p] = Math.sqrt(y[p]!) * (dy[p]! - q);
    }
  }
}

/** Halvings of τ's bracket in entmaxBisect (see its comment for why this many). */
const BISECTIONS = 50;

/**
 * α-entmax for any α > 1 (Peters, Niculae & Martins, 2019; Blondel, Martins & Niculae, 2019) along n of x viewed
 * as [outer, n, inner], by bisection on the threshold:
 *
 *   y_j = [z_j − τ]_+^{1/(α−1)},  z = (α − 1)(x − max x),  τ such that Σ_j y_j = 1.
 *
 * Σ_j [z_j − τ]_+^{1/(α−1)} falls as τ rises; at τ = −1 the top entry alone gives 1, and at τ = −m^{1−α} (m the
 * entries that are not -∞) each term is at most 1/m, so τ lies in [−1, −m^{1−α}], a bracket narrower than 1.
 * Each step halves it, keeping the end where the sum is ≥ 1. The count is fixed (50, as in the entmax
 * package), not a tolerance: after 50 halvings the bracket is under 2⁻⁵⁰, and a shift δ of τ moves y_j by
 * y_j^{2−α}·δ/(α − 1), under 2⁻⁵⁰·10³ ≈ 10⁻¹² for α ≥ 1.001, far below float32's 2⁻²⁴ ≈ 6·10⁻⁸; a fixed count
 * also makes the work, and so the bits, the same on every input. y at the low end, divided by its sum, then sums
 * to 1 to the rounding of float32.
 *
 * -∞ entries take no part and get exactly 0; an all -∞ slice gives zeros; a NaN or +∞ gives NaN throughout.
 * Everything is in double, rounded to float once per output. α = 2 gives sparsemax, α = 1.5 entmax15 (exactly,
 * up to the bisection's error), and α → 1 approaches softmax.
 */
export function entmaxBisect({ x, outer, n, inner, alpha, out }: KernelArgs<'entmaxBisect'>): void {
  const power = 1 / (alpha - 1);
  const z = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const end = base + n * inner;
      const entries = shiftedEntries(x, out, base, end, inner, alpha - 1, z);
      if (entries === null) continue;
      const m = entries.count;
      let lo = -1;
      let width = 1 - Math.pow(m, 1 - alpha);
      for (let it = 0; it < BISECTIONS; it++) {
        width /= 2;
        const tau = lo + width;
        let sum = 0;
        for (let j = 0; j < m; j++) if (z[j]! > tau) sum += Math.pow(z[j]! - tau, power);
        if (sum >= 1) lo = tau;
      }
      let sum = 0;
      for (let j = 0; j < m; j++) {
        const y = z[j]! > lo ? Math.pow(z[j]! - lo, power) : 0;
        z[j] = y;
        sum += y;
      }
      let j = 0;
      for (let p = base; p < end; p += inner) out[p] = x[p]! === -Infinity ? 0 : z[j++]! / sum;
    }
  }
}

/**
 * Gradient of α-entmax given its output y. On the support y_j = (z_j − τ)^{1/(α−1)} with z = (α − 1)x, so
 * dy_j = y_j^{2−α}(dx_j − dτ/(α − 1)), and Σ dy = 0 fixes dτ; with s = y^{2−α} on the support (0 off it):
 *
 *   dx = s ⊙ g − s · (Σ s ⊙ g) / (Σ s)
 *
 * (the Jacobian diag(s) − s·sᵀ/Σs is symmetric). α = 1.5 gives entmax15Grad's s = √y, α = 2 sparsemax's 0/1.
 * The sums are in double.
 */
export function entmaxBisectGrad({
  y,
  dy,
  outer,
  n,
  inner,
  alpha,
  dx,
}: KernelArgs<'entmaxBisectGrad'>): void {
  const power = 2 - alpha;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const end = base + n * inner;
      let sumS = 0;
      let sumSG = 0;
      for (let p = base; p < end; p += inner) {
        const v = y[p]!;
        if (!(v > 0)) continue;
        const s = Math.pow(v, power);
        sumS += s;
        sumSG += s * dy[p]!;
      }
      const q = sumS > 0 ? sumSG / sumS : 0;
      for (let p = base; p < end; p += inner) {
        const v = y[p]!;
        dx[p] = v > 0 ? Math.pow(v, power) * (dy[p]! - q) : 0;
      }
    }
  }
}
