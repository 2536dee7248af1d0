// Fused scaled-dot-product attention, forward and backward, tiled as FlashAttention-2 does on GPUs: scores are
// computed one BQ×BK tile at a time and folded into the output with an online softmax (running max and sum per
// query), so memory grows with T and the T×T weights exist only when the caller asks for them. The backward
// recomputes each tile's probabilities from the saved log-sum-exp instead of storing them.
//
//   S = scale · Q·Kᵀ (masked entries -inf),  P = softmax(S) row-wise,  O = P·V,  lse_i = log Σ_j exp(S_ij)
//   D_i = Σ_c dO_ic·O_ic,  dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ∘ (dP - D),  dQ = scale·dS·K,  dK = scale·dSᵀ·Q
//
// A query whose keys are all masked has zero weights, a zero output, lse = -inf and zero gradients.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu.h"
#include "gemm.h"
#include "kernels.h"
#include "simd_exp.h"
#include "thread_pool.h"

namespace attn {
namespace {

constexpr long BQ = 64;
constexpr long BK = 64;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// s[j] = exp(s[j] - shift) for j < n; returns the sum. exp(-inf) = 0 covers masked entries.
float exp_shift_portable(float* s, long n, float shift) {
  float sum = 0;
  for (long j = 0; j < n; j++) {
    float e = std::exp(s[j] - shift);
    s[j] = e;
    sum += e;
  }
  return sum;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float exp_shift_avx2(float* s, long n, float shift) {
  const __m256 m = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  long j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(s + j), m));
    _mm256_storeu_ps(s + j, e);
    acc = _mm256_add_ps(acc, e);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (; j < n; j++) {
    float e = std::exp(s[j] - shift);
    s[j] = e;
    sum += e;
  }
  return sum;
}
#endif

float exp_shift(float* s, long n, float shift) {
#if defined(__x86_64__)
  if (has_avx2_fma()) return exp_shift_avx2(s, n, shift);
#endif
  return exp_shift_portable(s, n, shift);
}

// Fills masked entries of a rows×cols score tile (queries from i0, keys from j0) with -inf.
void apply_masks(const AttentionShape& sh, const uint8_t* pad, long i0, long rows, long j0, long cols, float* s) {
  if (pad) {
    for (long c = 0; c < cols; c++)
      if (pad[j0 + c])
        for (long r = 0; r < rows; r++) s[r * BK + c] = kNegInf;
  }
  if (sh.causal && j0 + cols - 1 > i0) {
    for (long r = 0; r < rows; r++)
      for (long c = std::max(0L, i0 + r + 1 - j0); c < cols; c++) s[r * BK + c] = kNegInf;
  }
}

// Keys a query block may attend: all of them, or under the causal mask those up to its last query.
long key_limit(const AttentionShape& sh, long i0, long rows) {
  return sh.causal ? std::min(sh.tk, i0 + rows) : sh.tk;
}

// S tile = scale · Q[i0:i0+rows] · K[j0:j0+cols]ᵀ, masked.
void score_tile(const AttentionShape& sh, const float* q, const float* k, const uint8_t* pad, long i0, long rows,
                long j0, long cols, float* s) {
  gemm_serial(static_cast<int>(rows), static_cast<int>(cols), static_cast<int>(sh.d), sh.scale,
              Matrix{q + i0 * sh.d, sh.d, false}, Matrix{k + j0 * sh.d, sh.d, true}, s, BK, false);
  apply_masks(sh, pad, i0, rows, j0, cols, s);
}

void forward_block(const AttentionShape& sh, const float* q, const float* k, const float* v, const uint8_t* pad,
                   long i0, float* out, float* lse, float* weights) {
  const long rows = std::min(BQ, sh.tq - i0);
  const long dv = sh.dv;
  thread_local std::vector<float> s_buf, acc_buf;
  s_buf.resize(BQ * BK);
  acc_buf.assign(BQ * dv, 0.0f);
  float* s = s_buf.data();
  float* acc = acc_buf.data();
  float m[BQ], l[BQ];
  for (long r = 0; r < rows; r++) m[r] = kNegInf, l[r] = 0;
  const long limit = key_limit(sh, i0, rows);
  for (long j0 = 0; j0 < limit; j0 += BK) {
    const long cols = std::min(BK, limit - j0);
    score_tile(sh, q, k, pad, i0, rows, j0, cols, s);
    for (long r = 0; r < rows; r++) {
      float* sr = s + r * BK;
      float tile_max = kNegInf;
      for (long c = 0; c < cols; c++) tile_max = sr[c] > tile_max ? sr[c] : tile_max;
      float new_max = std::max(m[r], tile_max);
      if (new_max == kNegInf) {
        std::memset(sr, 0, sizeof(float) * cols);
        continue;
      }
      float correction = std::exp(m[r] - new_max);
      l[r] = l[r] * correction + exp_shift(sr, cols, new_max);
      m[r] = new_max;
      if (correction != 1.0f) {
        float* ar = acc + r * dv;
        for (long c = 0; c < dv; c++) ar[c] *= correction;
      }
    }
    gemm_serial(static_cast<int>(rows), static_cast<int>(dv), static_cast<int>(cols), 1.0f, Matrix{s, BK, false},
                Matrix{v + j0 * dv, dv, false}, acc, dv, true);
  }
  for (long r = 0; r < rows; r++) {
    float* o = out + (i0 + r) * dv;
    const float* ar = acc + r * dv;
    if (l[r] == 0) {
      std::memset(o, 0, sizeof(float) * dv);
      lse[i0 + r] = kNegInf;
    } else {
      float inv = 1 / l[r];
      for (long c = 0; c < dv; c++) o[c] = ar[c] * inv;
      lse[i0 + r] = m[r] + std::log(l[r]);
    }
  }
  if (weights == nullptr) return;
  // Weights only on request: a second pass rebuilds each tile's probabilities from the final lse.
  for (long r = 0; r < rows; r++) std::memset(weights + (i0 + r) * sh.tk, 0, sizeof(float) * sh.tk);
  for (long j0 = 0; j0 < limit; j0 += BK) {
    const long cols = std::min(BK, limit - j0);
    score_tile(sh, q, k, pad, i0, rows, j0, cols, s);
    for (long r = 0; r < rows; r++) {
      float shift = lse[i0 + r];
      if (shift == kNegInf) continue;
      float* sr = s + r * BK;
      exp_shift(sr, cols, shift);
      std::memcpy(weights + (i0 + r) * sh.tk + j0, sr, sizeof(float) * cols);
    }
  }
}

// Gradients from one key block [j0, j0+cols) of one head: writes dK and dV of those keys, adds into dq.
void backward_key_block(const AttentionShape& sh, const float* q, const float* k, const float* v,
                        const uint8_t* pad, const float* lse, const float* d_out, const float* delta, long j0,
                        float* dq, float* dk, float* dv) {
  const long cols = std::min(BK, sh.tk - j0);
  const long d = sh.d, dvn = sh.dv;
  thread_local std::vector<float> p_buf, dp_buf;
  p_buf.resize(BQ * BK);
  dp_buf.resize(BQ * BK);
  float* p = p_buf.data();
  float* dp = dp_buf.data();
  float* dk_blk = dk + j0 * d;
  float* dv_blk = dv + j0 * dvn;
  std::memset(dk_blk, 0, sizeof(float) * cols * d);
  std::memset(dv_blk, 0, sizeof(float) * cols * dvn);
  // Under the causal mask only queries i ≥ j0 see these keys.
  const long first_block = sh.causal ? (j0 / BQ) * BQ : 0;
  for (long i0 = first_block; i0 < sh.tq; i0 += BQ) {
    const long rows = std::min(BQ, sh.tq - i0);
    score_tile(sh, q, k, pad, i0, rows, j0, cols, p);
    for (long r = 0; r < rows; r++) {
      float* pr = p + r * BK;
      float shift = lse[i0 + r];
      if (shift == kNegInf)
        std::memset(pr, 0, sizeof(float) * cols);
      else
        exp_shift(pr, cols, shift);
    }
    // dV += Pᵀ·dO
    gemm_serial(static_cast<int>(cols), static_cast<int>(dvn), static_cast<int>(rows), 1.0f, Matrix{p, BK, true},
                Matrix{d_out + i0 * dvn, dvn, false}, dv_blk, dvn, true);
    // dP = dO·Vᵀ, then dS = P ∘ (dP - D) in place.
    gemm_serial(static_cast<int>(rows), static_cast<int>(cols), static_cast<int>(dvn), 1.0f,
                Matrix{d_out + i0 * dvn, dvn, false}, Matrix{v + j0 * dvn, dvn, true}, dp, BK, false);
    for (long r = 0; r < rows; r++) {
      const float* pr = p + r * BK;
      float* dr = dp + r * BK;
      const float di = delta[i0 + r];
      for (long c = 0; c < cols; c++) dr[c] = pr[c] * (dr[c] - di);
    }
    // dQ += scale·dS·K;  dK += scale·dSᵀ·Q
    gemm_serial(static_cast<int>(rows), static_cast<int>(d), static_cast<int>(cols), sh.scale,
                Matrix{dp, BK, false}, Matrix{k + j0 * d, d, false}, dq + i0 * d, d, true);
    gemm_serial(static_cast<int>(cols), static_cast<int>(d), static_cast<int>(rows), sh.scale, Matrix{dp, BK, true},
                Matrix{q + i0 * d, d, false}, dk_blk, d, true);
  }
}

}  // namespace

void attention_forward(const AttentionShape& sh, const float* q, const float* k, const float* v,
                       const uint8_t* key_padding, float* out, float* lse, float* weights) {
  const long bh = sh.batch * sh.heads;
  const long qblocks = (sh.tq + BQ - 1) / BQ;
  if (bh == 0 || sh.tq == 0) return;
  // One task per (head, query block): enough tasks to keep every thread busy even with one head.
  const double work = static_cast<double>(bh) * sh.tq * sh.tk * (sh.d + sh.dv);
  const long tasks = bh * qblocks;
  auto task = [&](long t) {
    long h = t / qblocks;
    long i0 = (t % qblocks) * BQ;
    long b = h / sh.heads;
    forward_block(sh, q + h * sh.tq * sh.d, k + h * sh.tk * sh.d, v + h * sh.tk * sh.dv,
                  key_padding ? key_padding + b * sh.tk : nullptr, i0, out + h * sh.tq * sh.dv, lse + h * sh.tq,
                  weights ? weights + h * sh.tq * sh.tk : nullptr);
  };
  if (chunks_for(work, 1 << 18) <= 1) {
    for (long t = 0; t < tasks; t++) task(t);
    return;
  }
  parallel_for(static_cast<int>(tasks), [&](int t) { task(t); });
}

void attention_backward(const AttentionShape& sh, const float* q, const float* k, const float* v,
                        const uint8_t* key_padding, const float* out, const float* lse, const float* d_out,
                        float* dq, float* dk, float* dv) {
  const long bh = sh.batch * sh.heads;
  if (bh == 0) return;
  const long tq = sh.tq, tk = sh.tk, d = sh.d, dvn = sh.dv;
  std::memset(dq, 0, sizeof(float) * bh * tq * d);
  if (tk == 0) return;
  // D_i = Σ_c dO_ic·O_ic, the row term of the softmax gradient.
  std::vector<float> delta(static_cast<size_t>(bh * tq));
  for (long i = 0; i < bh * tq; i++) {
    double s = 0;
    for (long c = 0; c < dvn; c++) s += static_cast<double>(d_out[i * dvn + c]) * out[i * dvn + c];
    delta[i] = static_cast<float>(s);
  }
  const long kblocks = (tk + BK - 1) / BK;
  const double work = static_cast<double>(bh) * tq * tk * (2 * d + 2 * dvn);
  const int threads = chunks_for(work, 1 << 18);
  auto head_args = [&](long h, long& b) {
    b = h / sh.heads;
    return h;
  };
  if (threads <= 1 || bh >= threads) {
    // Heads are independent: one task per head, each adding into its own slice of dq.
    auto task = [&](long h) {
      long b;
      head_args(h, b);
      for (long j0 = 0; j0 < tk; j0 += BK)
        backward_key_block(sh, q + h * tq * d, k + h * tk * d, v + h * tk * dvn,
                           key_padding ? key_padding + b * tk : nullptr, lse + h * tq, d_out + h * tq * dvn,
                           delta.data() + h * tq, j0, dq + h * tq * d, dk + h * tk * d, dv + h * tk * dvn);
    };
    if (threads <= 1)
      for (long h = 0; h < bh; h++) task(h);
    else
      parallel_for(static_cast<int>(bh), [&](int h) { task(h); });
    return;
  }
  // Fewer heads than threads (long sequences): deal each head's key blocks round-robin into `threads` groups
  // (round-robin balances the causal case, where early keys see more queries), each adding into a private dq
  // that is summed in group order afterwards.
  std::vector<float> partial(static_cast<size_t>(threads) * tq * d);
  for (long h = 0; h < bh; h++) {
    long b;
    head_args(h, b);
    std::fill(partial.begin(), partial.end(), 0.0f);
    parallel_for(threads, [&](int g) {
      float* dq_g = partial.data() + static_cast<size_t>(g) * tq * d;
      for (long kb = g; kb < kblocks; kb += threads)
        backward_key_block(sh, q + h * tq * d, k + h * tk * d, v + h * tk * dvn,
                           key_padding ? key_padding + b * tk : nullptr, lse + h * tq, d_out + h * tq * dvn,
                           delta.data() + h * tq, kb * BK, dq_g, dk + h * tk * d, dv + h * tk * dvn);
    });
    float* dq_h = dq + h * tq * d;
    for (int g = 0; g < threads; g++) {
      const float* src = partial.data() + static_cast<size_t>(g) * tq * d;
      for (long i = 0; i < tq * d; i++) dq_h[i] += src[i];
    }
  }
}

}  // namespace attn
