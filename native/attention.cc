// Fused scaled-dot-product attention, forward and backward, tiled as FlashAttention-2 does on GPUs: scores are
// computed one BQ×BK tile at a time and folded into the output with an online softmax (running max and sum per
// query), so memory grows with T and the T×T weights exist only when the caller asks for them. The backward
// recomputes each tile's probabilities from the saved log-sum-exp instead of storing them, unless it is handed
// the weights the forward wrote (the ops keep them for short key ranges, where they are small): it then reads
// each tile of P from them in place.
//
//   S = scale · Q·Kᵀ (masked entries -inf),  P = softmax(S) row-wise,  O = P·V,  lse_i = log Σ_j exp(S_ij)
//   D_i = Σ_c dO_ic·O_ic,  dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ∘ (dP - D),  dQ = scale·dS·K,  dK = scale·dSᵀ·Q
//
// A query whose keys are all masked has zero weights, a zero output, lse = -inf and zero gradients.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "attention_short.h"
#include "cpu.h"
#include "gemm.h"
#include "kernels.h"
#include "simd_exp.h"
#include "thread_pool.h"

namespace attn {
namespace {

constexpr long BQ = 128;
constexpr long BK = 128;
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

// max(s[0..n)), -inf for n = 0. The scalar loop is a chain of dependent max operations (about 4 cycles per
// score, a quarter of the forward pass at T = 128); eight lanes and two accumulators break it. Max is exact, so
// both paths give the same value.
float row_max_portable(const float* s, long n) {
  float m = kNegInf;
  for (long j = 0; j < n; j++) m = s[j] > m ? s[j] : m;
  return m;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float row_max_avx2(const float* s, long n) {
  __m256 m0 = _mm256_set1_ps(kNegInf), m1 = m0;
  long j = 0;
  for (; j + 16 <= n; j += 16) {
    m0 = _mm256_max_ps(m0, _mm256_loadu_ps(s + j));
    m1 = _mm256_max_ps(m1, _mm256_loadu_ps(s + j + 8));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_max_ps(m0, m1));
  float m = kNegInf;
  for (float x : lanes) m = x > m ? x : m;
  for (; j < n; j++) m = s[j] > m ? s[j] : m;
  return m;
}

// Σ a[c]·b[c] in double (the softmax-gradient row term D_i), four lanes at a time.
__attribute__((target("avx2,fma"))) double dot_avx2(const float* a, const float* b, long n) {
  __m256d s0 = _mm256_setzero_pd(), s1 = s0;
  long c = 0;
  for (; c + 8 <= n; c += 8) {
    s0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + c)), _mm256_cvtps_pd(_mm_loadu_ps(b + c)), s0);
    s1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + c + 4)), _mm256_cvtps_pd(_mm_loadu_ps(b + c + 4)), s1);
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(s0, s1));
  double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; c < n; c++) sum += static_cast<double>(a[c]) * b[c];
  return sum;
}
#endif

float row_max(const float* s, long n) {
#if defined(__x86_64__)
  if (has_avx2_fma()) return row_max_avx2(s, n);
#endif
  return row_max_portable(s, n);
}

double dot(const float* a, const float* b, long n) {
#if defined(__x86_64__)
  if (has_avx2_fma()) return dot_avx2(a, b, n);
#endif
  double sum = 0;
  for (long c = 0; c < n; c++) sum += static_cast<double>(a[c]) * b[c];
  return sum;
}

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

// One head's operands: q, k, v, out (or their gradients) at row 0 of head h of batch element b.
struct Head {
  const float* q;
  const float* k;
  const float* v;
  const float* o;
  const uint8_t* pad;
};

Head head_at(const AttentionShape& sh, const float* q, const float* k, const float* v, const float* o,
             const uint8_t* key_padding, long b, long h) {
  return {q + b * sh.q.batch + h * sh.q.head, k + b * sh.k.batch + h * sh.k.head,
          v + b * sh.v.batch + h * sh.v.head, o + b * sh.o.batch + h * sh.o.head,
          key_padding ? key_padding + b * sh.tk : nullptr};
}

// S tile = scale · Q[i0:i0+rows] · K[j0:j0+cols]ᵀ, masked.
void score_tile(const AttentionShape& sh, const Head& hd, long i0, long rows, long j0, long cols, float* s) {
  gemm_serial(static_cast<int>(rows), static_cast<int>(cols), static_cast<int>(sh.d), sh.scale,
              Matrix{hd.q + i0 * sh.q.row, sh.q.row, false}, Matrix{hd.k + j0 * sh.k.row, sh.k.row, true}, s, BK,
              false);
  apply_masks(sh, hd.pad, i0, rows, j0, cols, s);
}

// Output rows [i0, i0+rows) of one head; `out` is that head's output (out's layout), lse its tq entries.
void forward_block(const AttentionShape& sh, const Head& hd, long i0, float* out, float* lse, float* weights) {
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
    score_tile(sh, hd, i0, rows, j0, cols, s);
    for (long r = 0; r < rows; r++) {
      float* sr = s + r * BK;
      float tile_max = row_max(sr, cols);
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
                Matrix{hd.v + j0 * sh.v.row, sh.v.row, false}, acc, dv, true);
  }
  for (long r = 0; r < rows; r++) {
    float* o = out + (i0 + r) * sh.o.row;
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
  if (limit <= BK) {
    // One key tile: s still holds exp(S - m) with the final m, so the weights need no second pass.
    for (long r = 0; r < rows; r++) {
      float* w = weights + (i0 + r) * sh.tk;
      const float* sr = s + r * BK;
      const float inv = l[r] == 0 ? 0.0f : 1 / l[r];
      for (long c = 0; c < limit; c++) w[c] = sr[c] * inv;
      std::fill(w + limit, w + sh.tk, 0.0f);
    }
    return;
  }
  // Weights only on request: a second pass rebuilds each tile's probabilities from the final lse.
  for (long r = 0; r < rows; r++) std::memset(weights + (i0 + r) * sh.tk, 0, sizeof(float) * sh.tk);
  for (long j0 = 0; j0 < limit; j0 += BK) {
    const long cols = std::min(BK, limit - j0);
    score_tile(sh, hd, i0, rows, j0, cols, s);
    for (long r = 0; r < rows; r++) {
      float shift = lse[i0 + r];
      if (shift == kNegInf) continue;
      float* sr = s + r * BK;
      exp_shift(sr, cols, shift);
      std::memcpy(weights + (i0 + r) * sh.tk + j0, sr, sizeof(float) * cols);
    }
  }
}

// Gradients from one key block [j0, j0+cols) of one head: writes dK and dV of those keys (dk, dv: that head's, in
// k's and v's layouts), adds into dq (row stride ldq). hd.o is the head's dOut; delta its D_i; weights the head's
// [tq, tk] weights from the forward, or null to recompute P.
void backward_key_block(const AttentionShape& sh, const Head& hd, const float* lse, const float* delta, long j0,
                        float* dq, long ldq, float* dk, float* dv, const float* weights) {
  const long cols = std::min(BK, sh.tk - j0);
  const long d = sh.d, dvn = sh.dv;
  thread_local std::vector<float> p_buf, dp_buf;
  p_buf.resize(BQ * BK);
  dp_buf.resize(BQ * BK);
  float* p = p_buf.data();
  float* dp = dp_buf.data();
  float* dk_blk = dk + j0 * sh.k.row;
  float* dv_blk = dv + j0 * sh.v.row;
  for (long c = 0; c < cols; c++) {
    std::memset(dk_blk + c * sh.k.row, 0, sizeof(float) * d);
    std::memset(dv_blk + c * sh.v.row, 0, sizeof(float) * dvn);
  }
  // Under the causal mask only queries i ≥ j0 see these keys.
  const long first_block = sh.causal ? (j0 / BQ) * BQ : 0;
  for (long i0 = first_block; i0 < sh.tq; i0 += BQ) {
    const long rows = std::min(BQ, sh.tq - i0);
    const Matrix d_out{hd.o + i0 * sh.o.row, sh.o.row, false};
    // P: the forward's weights read in place (masked entries and fully masked rows are zeros there), or the
    // tile p recomputed from the scores.
    const float* pt = weights ? weights + i0 * sh.tk + j0 : p;
    const long ldp = weights ? sh.tk : BK;
    if (!weights) {
      score_tile(sh, hd, i0, rows, j0, cols, p);
      for (long r = 0; r < rows; r++) {
        float* pr = p + r * BK;
        float shift = lse[i0 + r];
        if (shift == kNegInf)
          std::memset(pr, 0, sizeof(float) * cols);
        else
          exp_shift(pr, cols, shift);
      }
    }
    // dV += Pᵀ·dO
    gemm_serial(static_cast<int>(cols), static_cast<int>(dvn), static_cast<int>(rows), 1.0f, Matrix{pt, ldp, true},
                d_out, dv_blk, sh.v.row, true);
    // dP = dO·Vᵀ, then dS = P ∘ (dP - D) in place.
    gemm_serial(static_cast<int>(rows), static_cast<int>(cols), static_cast<int>(dvn), 1.0f, d_out,
                Matrix{hd.v + j0 * sh.v.row, sh.v.row, true}, dp, BK, false);
    for (long r = 0; r < rows; r++) {
      const float* pr = pt + r * ldp;
      float* dr = dp + r * BK;
      const float di = delta[i0 + r];
      for (long c = 0; c < cols; c++) dr[c] = pr[c] * (dr[c] - di);
    }
    // dQ += scale·dS·K;  dK += scale·dSᵀ·Q
    gemm_serial(static_cast<int>(rows), static_cast<int>(d), static_cast<int>(cols), sh.scale,
                Matrix{dp, BK, false}, Matrix{hd.k + j0 * sh.k.row, sh.k.row, false}, dq + i0 * ldq, ldq, true);
    gemm_serial(static_cast<int>(cols), static_cast<int>(d), static_cast<int>(rows), sh.scale, Matrix{dp, BK, true},
                Matrix{hd.q + i0 * sh.q.row, sh.q.row, false}, dk_blk, sh.k.row, true);
  }
}

// D_i = Σ_c dO_ic·O_ic for the tq queries of one head (the row term of the softmax gradient), in double.
void head_delta(const AttentionShape& sh, const float* out, const float* d_out, float* delta) {
  for (long i = 0; i < sh.tq; i++) {
    delta[i] = static_cast<float>(dot(d_out + i * sh.o.row, out + i * sh.o.row, sh.dv));
  }
}

// Copies t rows of `width` features, `stride` apart, into dst (contiguous) or back.
void gather_rows(const float* src, long stride, long t, long width, float* dst) {
  for (long i = 0; i < t; i++) std::memcpy(dst + i * width, src + i * stride, sizeof(float) * width);
}
void scatter_rows(const float* src, long t, long width, float* dst, long stride) {
  for (long i = 0; i < t; i++) std::memcpy(dst + i * stride, src + i * width, sizeof(float) * width);
}

// Whether q, k or v rows are spread out (heads read in place from [B, T, features] projections). The tiles then
// run on contiguous copies of the head: a K or V row stride of a few KiB maps a tile's rows onto few cache sets
// and many pages, which made the products about 1.6× slower; a copy costs a few per cent of the head's work.
bool spread(const AttentionShape& sh) { return sh.q.row != sh.d || sh.k.row != sh.d || sh.v.row != sh.dv; }

// The shape of a head gathered into contiguous [t, features] buffers (out keeps its layout).
AttentionShape gathered(const AttentionShape& sh) {
  AttentionShape g = sh;
  g.q.row = sh.d;
  g.k.row = sh.d;
  g.v.row = sh.dv;
  return g;
}

}  // namespace

void attention(const AttentionArgs& a) {
  const AttentionShape sh = attention_shape(a);
  const long bh = sh.batch * sh.heads;
  const long qblocks = (sh.tq + BQ - 1) / BQ;
  if (bh == 0 || sh.tq == 0) return;
  if (attention_short_applies(sh)) {
    attention_short_forward(sh, a.q, a.k, a.v, a.keyPadding, a.out, a.lse, a.weights);
    return;
  }
  // One task per (head, query block): enough tasks to keep every thread busy even with one head.
  const double work = static_cast<double>(bh) * sh.tq * sh.tk * (sh.d + sh.dv);
  const long tasks = bh * qblocks;
  const bool copy = spread(sh);
  const AttentionShape local = gathered(sh);
  auto task = [&](long t) {
    long h = t / qblocks;
    long i0 = (t % qblocks) * BQ;
    long b = h / sh.heads;
    Head hd = head_at(sh, a.q, a.k, a.v, a.out, a.keyPadding, b, h % sh.heads);
    float* o = const_cast<float*>(hd.o);
    float* w = a.weights ? a.weights + h * sh.tq * sh.tk : nullptr;
    if (!copy) {
      forward_block(sh, hd, i0, o, a.lse + h * sh.tq, w);
      return;
    }
    thread_local std::vector<float> buf;
    buf.resize(static_cast<size_t>(sh.tq * sh.d + sh.tk * (sh.d + sh.dv)));
    float* qc = buf.data();
    float* kc = qc + sh.tq * sh.d;
    float* vc = kc + sh.tk * sh.d;
    gather_rows(hd.q, sh.q.row, sh.tq, sh.d, qc);
    gather_rows(hd.k, sh.k.row, sh.tk, sh.d, kc);
    gather_rows(hd.v, sh.v.row, sh.tk, sh.dv, vc);
    forward_block(local, Head{qc, kc, vc, hd.o, hd.pad}, i0, o, a.lse + h * sh.tq, w);
  };
  if (chunks_for(work, 1 << 18) <= 1) {
    for (long t = 0; t < tasks; t++) task(t);
    return;
  }
  parallel_for(static_cast<int>(tasks), [&](int t) { task(t); });
}

void attention_grad(const AttentionGradArgs& a) {
  const AttentionShape sh = attention_shape(a);
  const long bh = sh.batch * sh.heads;
  if (bh == 0) return;
  const long tq = sh.tq, tk = sh.tk, d = sh.d, dvn = sh.dv;
  // dq is summed over key blocks, so each head's rows start at zero (only those rows: dq may be a view into a
  // buffer that also holds dk and dv).
  auto zero_dq = [&](long h) {
    float* dq_h = a.dq + (h / sh.heads) * sh.q.batch + (h % sh.heads) * sh.q.head;
    for (long i = 0; i < tq; i++) std::memset(dq_h + i * sh.q.row, 0, sizeof(float) * d);
  };
  if (tk == 0) {
    for (long h = 0; h < bh; h++) zero_dq(h);
    return;
  }
  // The short-key path runs one task per head: taken when there are heads enough for the threads.
  if (tq > 0 && attention_short_applies(sh) && bh >= thread_count()) {
    attention_short_backward(sh, a.q, a.k, a.v, a.keyPadding, a.out, a.lse, a.dOut, a.dq, a.dk, a.dV, a.weights);
    return;
  }
  std::vector<float> delta(static_cast<size_t>(bh * tq));
  auto head_weights = [&](long h) -> const float* { return a.weights ? a.weights + h * tq * tk : nullptr; };
  const long kblocks = (tk + BK - 1) / BK;
  const double work = static_cast<double>(bh) * tq * tk * (2 * d + 2 * dvn);
  const int threads = chunks_for(work, 1 << 18);
  // Head h's operands (its dOut in hd.o) and gradients.
  struct Grads {
    float *dq, *dk, *dv;
  };
  auto head = [&](long h, Head& hd, Grads& g) {
    long b = h / sh.heads, hh = h % sh.heads;
    hd = head_at(sh, a.q, a.k, a.v, a.dOut, a.keyPadding, b, hh);
    g = {a.dq + b * sh.q.batch + hh * sh.q.head, a.dk + b * sh.k.batch + hh * sh.k.head,
         a.dV + b * sh.v.batch + hh * sh.v.head};
    head_delta(sh, a.out + b * sh.o.batch + hh * sh.o.head, hd.o, delta.data() + h * tq);
  };
  if (threads <= 1 || bh >= threads) {
    // Heads are independent: one task per head, each adding into its own rows of dq.
    const bool copy = spread(sh);
    AttentionShape local = gathered(sh);
    local.o.row = dvn;
    auto task = [&](long h) {
      Head hd;
      Grads g;
      head(h, hd, g);
      if (!copy) {
        zero_dq(h);
        for (long j0 = 0; j0 < tk; j0 += BK)
          backward_key_block(sh, hd, a.lse + h * tq, delta.data() + h * tq, j0, g.dq, sh.q.row, g.dk, g.dv,
                             head_weights(h));
        return;
      }
      // On contiguous copies of the head's q, k, v and dOut, into contiguous gradients scattered at the end.
      thread_local std::vector<float> buf;
      buf.resize(static_cast<size_t>(2 * tq * d + 2 * tk * d + 2 * tk * dvn + tq * dvn));
      float* qc = buf.data();
      float* kc = qc + tq * d;
      float* vc = kc + tk * d;
      float* gc = vc + tk * dvn;
      float* dqc = gc + tq * dvn;
      float* dkc = dqc + tq * d;
      float* dvc = dkc + tk * d;
      gather_rows(hd.q, sh.q.row, tq, d, qc);
      gather_rows(hd.k, sh.k.row, tk, d, kc);
      gather_rows(hd.v, sh.v.row, tk, dvn, vc);
      gather_rows(hd.o, sh.o.row, tq, dvn, gc);
      std::memset(dqc, 0, sizeof(float) * tq * d);
      const Head hc{qc, kc, vc, gc, hd.pad};
      for (long j0 = 0; j0 < tk; j0 += BK)
        backward_key_block(local, hc, a.lse + h * tq, delta.data() + h * tq, j0, dqc, d, dkc, dvc, head_weights(h));
      scatter_rows(dqc, tq, d, g.dq, sh.q.row);
      scatter_rows(dkc, tk, d, g.dk, sh.k.row);
      scatter_rows(dvc, tk, dvn, g.dv, sh.v.row);
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
    Head hd;
    Grads g;
    head(h, hd, g);
    std::fill(partial.begin(), partial.end(), 0.0f);
    parallel_for(threads, [&](int t) {
      float* dq_t = partial.data() + static_cast<size_t>(t) * tq * d;
      for (long kb = t; kb < kblocks; kb += threads)
        backward_key_block(sh, hd, a.lse + h * tq, delta.data() + h * tq, kb * BK, dq_t, d, g.dk, g.dv,
                           head_weights(h));
    });
    for (long i = 0; i < tq; i++) {
      float* row = g.dq + i * sh.q.row;
      for (long c = 0; c < d; c++) row[c] = 0;
      for (int t = 0; t < threads; t++) {
        const float* src = partial.data() + static_cast<size_t>(t) * tq * d + i * d;
        for (long c = 0; c < d; c++) row[c] += src[c];
      }
    }
  }
}

}  // namespace attn
