// Fused attention for short key ranges (tk ≤ kMaxKeys, e.g. a Transformer encoder at T = 128), on AVX2+FMA only
// (its register tile on AVX-512F where the CPU has it): every query row's scores fit in one tile, so the softmax
// is exact in one pass (no online rescaling), and the products run on a small register-blocked kernel that reads
// its operands from per-head copies instead of packing them again for every product, as gemm_serial does.
// Formulas and masking rules are those of attention.cc. At B = 4, H = 4, T = 128, d = 64 with heads read from a
// packed projection, one thread, best of 400: forward 1.11 → 0.96 ms, backward 2.65 → 2.28 ms against the tiled
// path (AVX2).
//
// Operands are gathered per head into contiguous buffers (K also transposed, as [d, tk]) because a head's rows
// lie kilobytes apart in a packed projection, which maps them onto a few L1 sets; a block of kFwdRows queries
// then runs S = scale·Q·Kᵀ, its softmax and P·V while its scores sit in L1. The backward runs the five products
// of a block of up to kBlock queries on [rows, tk] tiles of P and dS held in L2.
#include "attention_short.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu.h"
#include "thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "simd_exp.h"
#include "simd_transpose.h"
#endif

namespace attn {

#if defined(__x86_64__)
namespace {

constexpr long kMaxKeys = 256;
constexpr long kBlock = 128;  // queries per backward block (P and dS tiles of up to 128 × 272 floats, 136 KiB each)
constexpr long kRows = 6;     // rows of a register tile
constexpr long kCols = 16;    // columns of a register tile (two vectors)
constexpr long kFwdRows = 24;  // queries per forward block (6 to 48 ran at the same speed)
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

inline long round_cols(long n) { return (n + kCols - 1) / kCols * kCols; }

// Row stride of a buffer of rows n floats wide: a multiple of 16 floats (one 64-byte line) that is an odd number
// of lines, so that a column of a tile (one line per row, up to 128 rows) spreads over every L1 set. A
// power-of-two stride (64 or 128 floats) put such a column into 16 or 8 of the 64 sets, and the products ran at
// half speed.
inline long padded(long n) {
  const long ld = round_cols(n);
  return (ld / kCols) % 2 == 0 ? ld + kCols : ld;
}

// C[R×16] (row stride ldc) = alpha · A·B[:, 0:16] · row_scale[r] (row_scale null: 1), added to C when
// accumulate. A(r, p) is a[r·lda + p] (rows of a row-major matrix) or, when kTransA, a[p·lda + r] (its columns:
// the transpose of a matrix whose rows are p); B's rows are ldb apart. The sum over p runs in order, one FMA per
// p, so a value does not depend on how C was cut into tiles. The accumulators are locals of this one function:
// passed by reference to a helper, GCC kept them in memory and stored all twelve every step.
template <int R, bool kTransA>
__attribute__((target("avx2,fma"))) void tile(long k, float alpha, const float* a, long lda, const float* b,
                                              long ldb, float* c, long ldc, const float* row_scale,
                                              bool accumulate) {
  __m256 acc0[R], acc1[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; r++) acc0[r] = acc1[r] = _mm256_setzero_ps();
  if (kTransA) {
#pragma GCC unroll 2
    for (long p = 0; p < k; p++) {
      const __m256 b0 = _mm256_loadu_ps(b + p * ldb);
      const __m256 b1 = _mm256_loadu_ps(b + p * ldb + 8);
      const float* ap = a + p * lda;
#pragma GCC unroll 6
      for (int r = 0; r < R; r++) {
        const __m256 x = _mm256_broadcast_ss(ap + r);
        acc0[r] = _mm256_fmadd_ps(x, b0, acc0[r]);
        acc1[r] = _mm256_fmadd_ps(x, b1, acc1[r]);
      }
    }
  } else {
#pragma GCC unroll 2
    for (long p = 0; p < k; p++) {
      const __m256 b0 = _mm256_loadu_ps(b + p * ldb);
      const __m256 b1 = _mm256_loadu_ps(b + p * ldb + 8);
#pragma GCC unroll 6
      for (int r = 0; r < R; r++) {
        const __m256 x = _mm256_broadcast_ss(a + r * lda + p);
        acc0[r] = _mm256_fmadd_ps(x, b0, acc0[r]);
        acc1[r] = _mm256_fmadd_ps(x, b1, acc1[r]);
      }
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; r++) {
    const __m256 f = _mm256_set1_ps(row_scale ? alpha * row_scale[r] : alpha);
    float* dst = c + r * ldc;
    __m256 v0 = _mm256_mul_ps(f, acc0[r]), v1 = _mm256_mul_ps(f, acc1[r]);
    if (accumulate) {
      v0 = _mm256_add_ps(_mm256_loadu_ps(dst), v0);
      v1 = _mm256_add_ps(_mm256_loadu_ps(dst + 8), v1);
    }
    _mm256_storeu_ps(dst, v0);
    _mm256_storeu_ps(dst + 8, v1);
  }
}

// tile on AVX-512F: one zmm register per row of the tile and A's broadcast folded into each FMA. Every value is
// the same FMA chain over p as in tile, so the bits are tile's.
template <int R, bool kTransA>
__attribute__((target("avx512f"))) void tile512(long k, float alpha, const float* a, long lda, const float* b,
                                                long ldb, float* c, long ldc, const float* row_scale,
                                                bool accumulate) {
  __m512 acc[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (long p = 0; p < k; p++) {
    const __m512 b0 = _mm512_loadu_ps(b + p * ldb);
#pragma GCC unroll 6
    for (int r = 0; r < R; r++)
      acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(kTransA ? a[p * lda + r] : a[r * lda + p]), b0, acc[r]);
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; r++) {
    const __m512 f = _mm512_set1_ps(row_scale ? alpha * row_scale[r] : alpha);
    float* dst = c + r * ldc;
    __m512 v = _mm512_mul_ps(f, acc[r]);
    if (accumulate) v = _mm512_add_ps(_mm512_loadu_ps(dst), v);
    _mm512_storeu_ps(dst, v);
  }
}

// One R-row tile on the kernel the CPU runs best (wide: AVX-512F).
template <int R, bool kTransA>
inline void run_tile(bool wide, long k, float alpha, const float* a, long lda, const float* b, long ldb, float* c,
                     long ldc, const float* row_scale, bool accumulate) {
  if (wide)
    tile512<R, kTransA>(k, alpha, a, lda, b, ldb, c, ldc, row_scale, accumulate);
  else
    tile<R, kTransA>(k, alpha, a, lda, b, ldb, c, ldc, row_scale, accumulate);
}

// C[m×n] = alpha · A[m×k]·B[k×n] (see tile for A's two layouts), n a multiple of 16, rows scaled by
// row_scale[i] when given, added to C when accumulate. Column panels outside, so that B's k×16 panel stays in L1
// while A's rows stream past it.
template <bool kTransA>
void product(long m, long n, long k, float alpha, const float* a, long lda, const float* b, long ldb, float* c,
             long ldc, const float* row_scale, bool accumulate) {
  const bool wide = has_avx512f();
  for (long j = 0; j < n; j += kCols) {
    for (long i = 0; i < m; i += kRows) {
      const float* ai = kTransA ? a + i : a + i * lda;
      const float* rs = row_scale ? row_scale + i : nullptr;
      float* ci = c + i * ldc + j;
      switch (std::min(kRows, m - i)) {
        case 6: run_tile<6, kTransA>(wide, k, alpha, ai, lda, b + j, ldb, ci, ldc, rs, accumulate); break;
        case 5: run_tile<5, kTransA>(wide, k, alpha, ai, lda, b + j, ldb, ci, ldc, rs, accumulate); break;
        case 4: run_tile<4, kTransA>(wide, k, alpha, ai, lda, b + j, ldb, ci, ldc, rs, accumulate); break;
        case 3: run_tile<3, kTransA>(wide, k, alpha, ai, lda, b + j, ldb, ci, ldc, rs, accumulate); break;
        case 2: run_tile<2, kTransA>(wide, k, alpha, ai, lda, b + j, ldb, ci, ldc, rs, accumulate); break;
        default: run_tile<1, kTransA>(wide, k, alpha, ai, lda, b + j, ldb, ci, ldc, rs, accumulate); break;
      }
    }
  }
}

// Rows ahead that the copies below ask for: a head's rows lie kilobytes apart (its slice of a packed
// [B·T, 3·H·d] projection), a stride the hardware prefetchers do not follow across pages.
constexpr long kAhead = 8;

inline void prefetch_row(const float* p, long width) {
  const char* c = reinterpret_cast<const char*>(p);
  const long bytes = width * static_cast<long>(sizeof(float));
  for (long o = 0; o < bytes; o += 64) __builtin_prefetch(c + o);
  __builtin_prefetch(c + bytes - 1);
}

// dst[i·ldd, 0:width] = src[i·stride, 0:width] for t rows (width a multiple of 8).
__attribute__((target("avx2,fma"))) void gather(const float* src, long stride, long t, long width, float* dst,
                                                long ldd) {
  for (long i = 0; i < std::min(t, kAhead); i++) prefetch_row(src + i * stride, width);
  for (long i = 0; i < t; i++) {
    if (i + kAhead < t) prefetch_row(src + (i + kAhead) * stride, width);
    const float* s = src + i * stride;
    float* o = dst + i * ldd;
    for (long c = 0; c < width; c += 8) _mm256_storeu_ps(o + c, _mm256_loadu_ps(s + c));
  }
}

// dst[i·stride, 0:width] = src[i·lds, 0:width] for t rows (width a multiple of 8).
__attribute__((target("avx2,fma"))) void scatter(const float* src, long lds, long t, long width, float* dst,
                                                 long stride) {
  for (long i = 0; i < t; i++) {
    const float* s = src + i * lds;
    float* o = dst + i * stride;
    for (long c = 0; c < width; c += 8) _mm256_storeu_ps(o + c, _mm256_loadu_ps(s + c));
  }
}

// dst[c, i] = src[i·stride + c] for i < t, c < width (width a multiple of 8); dst's rows are ldd ≥ t apart and
// columns [t, ldd) are zero (keys past the end: zero scores' factors, masked anyway).
__attribute__((target("avx2,fma"))) void gather_transposed(const float* src, long stride, long t, long width,
                                                           float* dst, long ldd) {
  for (long c = 0; c < width; c++) std::fill(dst + c * ldd + t / 8 * 8, dst + (c + 1) * ldd, 0.0f);
  long i = 0;
  for (; i + 8 <= t; i += 8) {
    if (i + 8 + kAhead <= t)
      for (long a = 0; a < 8; a++) prefetch_row(src + (i + 8 + a) * stride, width);
    for (long c = 0; c < width; c += 8) {
      __m256 r[8];
      for (int a = 0; a < 8; a++) r[a] = _mm256_loadu_ps(src + (i + a) * stride + c);
      transpose8(r);
      for (int a = 0; a < 8; a++) _mm256_storeu_ps(dst + (c + a) * ldd + i, r[a]);
    }
  }
  for (; i < t; i++)
    for (long c = 0; c < width; c++) dst[c * ldd + i] = src[i * stride + c];
}

__attribute__((target("avx2,fma"))) float row_max(const float* s, long n) {
  __m256 m = _mm256_set1_ps(kNegInf);
  for (long j = 0; j < n; j += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(s + j));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float x = kNegInf;
  for (float l : lanes) x = l > x ? l : x;
  return x;
}

// s[j] = exp(s[j] - shift) for j < n (a multiple of 8); returns the sum (lanes summed in a fixed order).
__attribute__((target("avx2,fma"))) float exp_shift(float* s, long n, float shift) {
  const __m256 m = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  for (long j = 0; j < n; j += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(s + j), m));
    _mm256_storeu_ps(s + j, e);
    acc = _mm256_add_ps(acc, e);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

// Σ a[c]·b[c] in double (the softmax-gradient row term D_i); n a multiple of 8.
__attribute__((target("avx2,fma"))) double dot(const float* a, const float* b, long n) {
  __m256d s0 = _mm256_setzero_pd(), s1 = s0;
  for (long c = 0; c < n; c += 8) {
    s0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + c)), _mm256_cvtps_pd(_mm_loadu_ps(b + c)), s0);
    s1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + c + 4)), _mm256_cvtps_pd(_mm_loadu_ps(b + c + 4)), s1);
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(s0, s1));
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

// The batch element's padding row, or null when it pads no key (a mask of all false, as a padded batch's
// longest sequences have): the per-score test then costs nothing.
const uint8_t* padding_of(const uint8_t* key_padding, long b, long tk) {
  if (key_padding == nullptr) return nullptr;
  const uint8_t* row = key_padding + b * tk;
  for (long c = 0; c < tk; c++)
    if (row[c]) return row;
  return nullptr;
}

// Sets the masked ones among the `cols` scores s of query row i (cols ≥ the keys it may see) to -inf: padded
// keys, columns past tk, and under the causal mask keys after i.
void mask_row(const AttentionShape& sh, const uint8_t* pad, long i, float* s, long cols) {
  const long visible = sh.causal ? std::min(sh.tk, i + 1) : sh.tk;
  for (long c = visible; c < cols; c++) s[c] = kNegInf;
  if (pad)
    for (long c = 0; c < visible; c++)
      if (pad[c]) s[c] = kNegInf;
}

// w[c] = s[c]·f for c < m, 0 for c in [m, n): one row of weights, with streaming (non-temporal) stores where w is
// 16-byte aligned. The weights a training step keeps (8 MiB per layer at B = 32, H = 4, T = 128) are read again
// only by the backward, long after they left the caches: ordinary stores would first read every line they
// write (8 MiB more traffic) and push the operands of the following blocks out of L2. The caller issues the
// store fence before anything else reads w.
__attribute__((target("avx2,fma"))) void stream_scaled_row(float* w, const float* s, long m, long n, float f) {
  long c = 0;
  for (; c < n && (reinterpret_cast<uintptr_t>(w + c) & 15) != 0; c++) w[c] = c < m ? s[c] * f : 0.0f;
  const __m128 f4 = _mm_set1_ps(f);
  for (; c + 4 <= m; c += 4) _mm_stream_ps(w + c, _mm_mul_ps(_mm_loadu_ps(s + c), f4));
  if (c < m && c + 4 <= n) {  // the four floats across m
    alignas(16) float x[4];
    for (int a = 0; a < 4; a++) x[a] = c + a < m ? s[c + a] * f : 0.0f;
    _mm_stream_ps(w + c, _mm_load_ps(x));
    c += 4;
  }
  for (; c < m; c++) w[c] = s[c] * f;
  for (; c + 4 <= n; c += 4) _mm_stream_ps(w + c, _mm_setzero_ps());
  for (; c < n; c++) w[c] = 0.0f;
}

// Forward for queries [i0, i0 + rows) of one head: qc holds those queries ([rows, d], rows ldq apart), kt the
// head's keys transposed ([d, ldk]), vc its values ([tk, dv], rows ldv apart); out is the head's output row 0
// (rows sh.o.row apart), lse its tq entries. Blocks of kFwdRows queries run S = scale·Q·Kᵀ, the softmax and
// P·V while their scores sit in L1.
__attribute__((target("avx2,fma"))) void forward_rows(const AttentionShape& sh, const float* qc, long ldq,
                                                      const float* kt, long ldk, const float* vc, long ldv,
                                                      const uint8_t* pad, long i0, long rows, float* out,
                                                      float* lse, float* weights) {
  thread_local std::vector<float> s_buf;
  s_buf.resize(static_cast<size_t>(kFwdRows * ldk));
  float* s = s_buf.data();
  for (long r0 = 0; r0 < rows; r0 += kFwdRows) {
    const long nr = std::min(kFwdRows, rows - r0);
    const long first = i0 + r0;  // the block's first query
    // Keys any of these rows may see, and the score columns computed for them.
    const long limit = sh.causal ? std::min(sh.tk, first + nr) : sh.tk;
    const long cols = round_cols(limit);
    product<false>(nr, cols, sh.d, sh.scale, qc + r0 * ldq, ldq, kt, ldk, s, cols, nullptr, false);
    float inv[kFwdRows];
    for (long r = 0; r < nr; r++) {
      float* sr = s + r * cols;
      mask_row(sh, pad, first + r, sr, cols);
      const float m = row_max(sr, cols);
      if (m == kNegInf) {
        std::fill(sr, sr + cols, 0.0f);
        inv[r] = 0;
        lse[first + r] = kNegInf;
        continue;
      }
      const float l = exp_shift(sr, cols, m);
      inv[r] = 1 / l;
      lse[first + r] = m + std::log(l);
    }
    product<false>(nr, sh.dv, limit, 1.0f, s, cols, vc, ldv, out + first * sh.o.row, sh.o.row, inv, false);
    if (weights == nullptr) continue;
    // Scores past a row's visible keys are exp(-inf) = 0 already, so the row is s·inv up to cols.
    for (long r = 0; r < nr; r++)
      stream_scaled_row(weights + (first + r) * sh.tk, s + r * cols, std::min(cols, sh.tk), sh.tk, inv[r]);
  }
  if (weights) _mm_sfence();
}

// A head's contiguous copies for the backward, rows `ld*` floats apart (see padded): qc [tq, d], kc [tk, d],
// gc (dOut) [tq, dv], kt [d, tk] and vt [dv, tk] (rows ldt apart), delta its D_i.
struct HeadCopy {
  const float *qc, *kc, *gc, *kt, *vt, *delta;
  long ldq, ldk, ldg, ldt;
};

// Gradients of one head: writes dq (rows ldq apart), dk, dv (rows lddk, lddv apart). weights: the head's [tq, tk]
// weights from the forward, read instead of recomputing P (hc.kt is then not read), or null.
__attribute__((target("avx2,fma"))) void backward_head(const AttentionShape& sh, const HeadCopy& hc,
                                                       const uint8_t* pad, const float* lse, const float* weights,
                                                       float* dq, long ldq, float* dk, long lddk, float* dv,
                                                       long lddv) {
  const long tq = sh.tq, tk = sh.tk, d = sh.d, dvn = sh.dv;
  const long ldt = hc.ldt;
  thread_local std::vector<float> p_buf, ds_buf;
  p_buf.resize(static_cast<size_t>(kBlock * ldt));
  ds_buf.resize(static_cast<size_t>(kBlock * ldt));
  float* p = p_buf.data();
  float* ds = ds_buf.data();
  for (long i0 = 0; i0 < tq; i0 += kBlock) {
    const long rows = std::min(kBlock, tq - i0);
    const bool acc = i0 > 0;
    const float* qb = hc.qc + i0 * hc.ldq;
    const float* gb = hc.gc + i0 * hc.ldg;
    // Under the causal mask the block's queries see only keys [0, seen): the columns past them are not computed,
    // and the first block writes zero gradients for the keys it does not see.
    const long seen = sh.causal ? std::min(tk, i0 + rows) : tk;
    const long cols = round_cols(seen);
    if (!acc)
      for (long j = seen; j < tk; j++) {
        std::fill(dk + j * lddk, dk + j * lddk + d, 0.0f);
        std::fill(dv + j * lddv, dv + j * lddv + dvn, 0.0f);
      }
    // dP = dO·Vᵀ (into ds).
    product<false>(rows, cols, dvn, 1.0f, gb, hc.ldg, hc.vt, ldt, ds, ldt, nullptr, false);
    // P: the forward's weights (masked entries 0 there), read in place, or recomputed into the tile p as
    // exp(scale·Q·Kᵀ - lse) with masked entries and keys past tk 0.
    const float* pb = weights ? weights + i0 * tk : p;
    const long ldp = weights ? tk : ldt;
    if (!weights) {
      product<false>(rows, cols, d, sh.scale, qb, hc.ldq, hc.kt, ldt, p, ldt, nullptr, false);
      for (long r = 0; r < rows; r++) {
        float* pr = p + r * ldt;
        const float shift = lse[i0 + r];
        if (shift == kNegInf) {
          std::fill(pr, pr + cols, 0.0f);
          continue;
        }
        mask_row(sh, pad, i0 + r, pr, cols);
        exp_shift(pr, cols, shift);
      }
    }
    // dS = P ∘ (dP - D) over the keys the block sees (the products below read no further).
    for (long r = 0; r < rows; r++) {
      const float dr_i = hc.delta[i0 + r];
      const __m256 di = _mm256_set1_ps(dr_i);
      const float* pr = pb + r * ldp;
      float* dr = ds + r * ldt;
      long c = 0;
      for (; c + 8 <= seen; c += 8)
        _mm256_storeu_ps(dr + c, _mm256_mul_ps(_mm256_loadu_ps(pr + c), _mm256_sub_ps(_mm256_loadu_ps(dr + c), di)));
      for (; c < seen; c++) dr[c] = pr[c] * (dr[c] - dr_i);
    }
    // dV (+)= Pᵀ·dO;  dK (+)= scale·dSᵀ·Q;  dQ = scale·dS·K
    product<true>(seen, dvn, rows, 1.0f, pb, ldp, gb, hc.ldg, dv, lddv, nullptr, acc);
    product<true>(seen, d, rows, sh.scale, ds, ldt, qb, hc.ldq, dk, lddk, nullptr, acc);
    product<false>(rows, d, seen, sh.scale, ds, ldt, hc.kc, hc.ldk, dq + i0 * ldq, ldq, nullptr, false);
  }
}

}  // namespace

bool attention_short_applies(const AttentionShape& sh) {
  return has_avx2_fma() && sh.tk > 0 && sh.tk <= kMaxKeys && sh.d > 0 && sh.d % kCols == 0 && sh.dv > 0 &&
         sh.dv % kCols == 0;
}

void attention_short_forward(const AttentionShape& sh, const float* q, const float* k, const float* v,
                             const uint8_t* key_padding, float* out, float* lse, float* weights) {
  const long bh = sh.batch * sh.heads;
  const long qblocks = (sh.tq + kBlock - 1) / kBlock;
  const long ldq = padded(sh.d), ldt = padded(sh.tk), ldv = padded(sh.dv);
  const long tasks = bh * qblocks;
  auto task = [&](long t) {
    const long h = t / qblocks, i0 = (t % qblocks) * kBlock;
    const long b = h / sh.heads, hh = h % sh.heads;
    const long rows = std::min(kBlock, sh.tq - i0);
    thread_local std::vector<float> buf;
    buf.resize(static_cast<size_t>(rows * ldq + sh.d * ldt + sh.tk * ldv));
    float* qc = buf.data();
    float* kt = qc + rows * ldq;
    float* vc = kt + sh.d * ldt;
    gather(q + b * sh.q.batch + hh * sh.q.head + i0 * sh.q.row, sh.q.row, rows, sh.d, qc, ldq);
    gather_transposed(k + b * sh.k.batch + hh * sh.k.head, sh.k.row, sh.tk, sh.d, kt, ldt);
    gather(v + b * sh.v.batch + hh * sh.v.head, sh.v.row, sh.tk, sh.dv, vc, ldv);
    forward_rows(sh, qc, ldq, kt, ldt, vc, ldv, padding_of(key_padding, b, sh.tk), i0, rows,
                 out + b * sh.o.batch + hh * sh.o.head, lse + h * sh.tq,
                 weights ? weights + h * sh.tq * sh.tk : nullptr);
  };
  const double work = static_cast<double>(bh) * sh.tq * sh.tk * (sh.d + sh.dv);
  if (chunks_for(work, 1 << 18) <= 1 || tasks == 1) {
    for (long t = 0; t < tasks; t++) task(t);
    return;
  }
  parallel_for(static_cast<int>(tasks), [&](int t) { task(t); });
}

void attention_short_backward(const AttentionShape& sh, const float* q, const float* k, const float* v,
                              const uint8_t* key_padding, const float* out, const float* lse, const float* d_out,
                              float* dq, float* dk, float* dv, const float* weights) {
  const long bh = sh.batch * sh.heads;
  const long tq = sh.tq, tk = sh.tk, d = sh.d, dvn = sh.dv;
  const long ldd = padded(d), ldg = padded(dvn), ldt = padded(tk);
  // With one query block the head's dK and dV are written once, straight into their rows; with more they are
  // summed over blocks in contiguous buffers first.
  const bool direct = tq <= kBlock;
  auto task = [&](long h) {
    const long b = h / sh.heads, hh = h % sh.heads;
    const long qo = b * sh.q.batch + hh * sh.q.head, ko = b * sh.k.batch + hh * sh.k.head;
    const long vo = b * sh.v.batch + hh * sh.v.head, oo = b * sh.o.batch + hh * sh.o.head;
    thread_local std::vector<float> buf;
    buf.resize(static_cast<size_t>(tq * ldd + tk * ldd + (d + dvn) * ldt + tq * ldg + tq +
                                   (direct ? 0 : tk * (ldd + ldg))));
    float* qc = buf.data();
    float* kc = qc + tq * ldd;
    float* kt = kc + tk * ldd;
    float* vt = kt + d * ldt;
    float* gc = vt + dvn * ldt;
    float* delta = gc + tq * ldg;
    float* dkc = delta + tq;
    float* dvc = dkc + tk * ldd;
    gather(q + qo, sh.q.row, tq, d, qc, ldd);
    gather(k + ko, sh.k.row, tk, d, kc, ldd);
    const float* w = weights ? weights + h * tq * tk : nullptr;
    if (!w) gather_transposed(k + ko, sh.k.row, tk, d, kt, ldt);  // only the scores read Kᵀ
    gather_transposed(v + vo, sh.v.row, tk, dvn, vt, ldt);
    gather(d_out + oo, sh.o.row, tq, dvn, gc, ldg);
    const float* o = out + oo;
    for (long i = 0; i < tq; i++) {
      if (i + kAhead < tq) prefetch_row(o + (i + kAhead) * sh.o.row, dvn);
      delta[i] = static_cast<float>(dot(gc + i * ldg, o + i * sh.o.row, dvn));
    }
    const HeadCopy hc{qc, kc, gc, kt, vt, delta, ldd, ldd, ldg, ldt};
    const uint8_t* pad = padding_of(key_padding, b, tk);
    if (direct) {
      backward_head(sh, hc, pad, lse + h * tq, w, dq + qo, sh.q.row, dk + ko, sh.k.row, dv + vo, sh.v.row);
      return;
    }
    backward_head(sh, hc, pad, lse + h * tq, w, dq + qo, sh.q.row, dkc, ldd, dvc, ldg);
    scatter(dkc, ldd, tk, d, dk + ko, sh.k.row);
    scatter(dvc, ldg, tk, dvn, dv + vo, sh.v.row);
  };
  const double work = static_cast<double>(bh) * tq * tk * (2 * d + 2 * dvn);
  if (chunks_for(work, 1 << 18) <= 1 || bh == 1) {
    for (long h = 0; h < bh; h++) task(h);
    return;
  }
  parallel_for(static_cast<int>(bh), [&](int h) { task(h); });
}

#else

bool attention_short_applies(const AttentionShape&) { return false; }
void attention_short_forward(const AttentionShape&, const float*, const float*, const float*, const uint8_t*,
                             float*, float*, float*) {}
void attention_short_backward(const AttentionShape&, const float*, const float*, const float*, const uint8_t*,
                              const float*, const float*, const float*, float*, float*, float*, const float*) {}

#endif

}  // namespace attn
