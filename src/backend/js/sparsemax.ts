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
