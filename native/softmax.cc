// Softmax, log-softmax and their gradients along the middle axis of [outer, n, inner]; fused log-softmax +
// cross-entropy. A row of all -inf gives zeros (log-softmax -inf), as the reference does; a NaN anywhere in a
// row makes the whole row NaN. Rows are independent, so they are split over the pool.
#include <cmath>
#include <cstring>
#include <limits>

#include "cpu.h"
#include "kernels.h"
#include "simd128_math.h"
#include "simd_exp.h"
#include "thread_pool.h"

namespace attn {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

template <typename F>
void split_rows(long rows, double work, F f) {
  int chunks = chunks_for(work, 1 << 15);
  if (chunks > rows) chunks = static_cast<int>(rows);
  if (chunks <= 1) {
    f(0L, rows);
    return;
  }
  long per = (rows + chunks - 1) / chunks;
  parallel_for(chunks, [&](int t) {
    long a = t * per, b = std::min(rows, a + per);
    if (a < b) f(a, b);
  });
}

// One strided row, computed in double like the reference.
void softmax_row_portable(const float* x, float* out, long n, long stride, bool log) {
  double max = -INFINITY;
  for (long j = 0; j < n; j++) {
    double v = x[j * stride];
    if (v > max || v != v) max = v;
  }
  if (max == -INFINITY) {
    for (long j = 0; j < n; j++) out[j * stride] = log ? -kInf : 0.0f;
    return;
  }
  double sum = 0;
  if (log) {
    for (long j = 0; j < n; j++) sum += std::exp(x[j * stride] - max);
    double shift = max + std::log(sum);
    for (long j = 0; j < n; j++) out[j * stride] = static_cast<float>(x[j * stride] - shift);
  } else {
    for (long j = 0; j < n; j++) {
      double e = std::exp(x[j * stride] - max);
      out[j * stride] = static_cast<float>(e);
      sum += e;
    }
    double inv = 1 / sum;
    for (long j = 0; j < n; j++) out[j * stride] = static_cast<float>(out[j * stride] * inv);
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// One pass over a contiguous row: its max, whether it holds a NaN (unordered compare), and with kSum Σ x (in
// float lanes, then the tail in double).
struct RowScan {
  float max;
  bool has_nan;
  double sum;
};

template <bool kSum>
__attribute__((target("avx2,fma"))) RowScan scan_row_avx2(const float* x, long n) {
  __m256 vmax = _mm256_set1_ps(-kInf), vtotal = _mm256_setzero_ps();
  __m256 nan = _mm256_setzero_ps();
  long j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 v = _mm256_loadu_ps(x + j);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    vmax = _mm256_max_ps(vmax, v);
    if (kSum) vtotal = _mm256_add_ps(vtotal, v);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, vmax);
  RowScan r{-kInf, _mm256_movemask_ps(nan) != 0, kSum ? static_cast<double>(hsum(vtotal)) : 0.0};
  for (int i = 0; i < 8; i++) r.max = lanes[i] > r.max ? lanes[i] : r.max;
  for (; j < n; j++) {
    if (x[j] != x[j]) r.has_nan = true;
    if (x[j] > r.max) r.max = x[j];
    if (kSum) r.sum += x[j];
  }
  return r;
}

// A contiguous row with vector exp; rows with a NaN, and rows whose max is ±inf, go to the portable path, which
// defines those edge cases.
__attribute__((target("avx2,fma"))) void softmax_row_avx2(const float* x, float* out, long n, bool log) {
  const RowScan scan = scan_row_avx2<false>(x, n);
  const float max = scan.max;
  if (scan.has_nan || max == kInf || max == -kInf) {
    softmax_row_portable(x, out, n, 1, log);
    return;
  }
  const __m256 m = _mm256_set1_ps(max);
  __m256 vsum = _mm256_setzero_ps();
  long j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), m));
    if (!log) _mm256_storeu_ps(out + j, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  double sum = hsum(vsum);
  for (; j < n; j++) {
    float e = std::exp(x[j] - max);
    if (!log) out[j] = e;
    sum += e;
  }
  if (log) {
    // (x - max) - log(sum): subtracting max first keeps the small results near the row maximum accurate.
    const float lsum = static_cast<float>(std::log(sum));
    const __m256 vl = _mm256_set1_ps(lsum);
    j = 0;
    for (; j + 8 <= n; j += 8)
      _mm256_storeu_ps(out + j, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), m), vl));
    for (; j < n; j++) out[j] = (x[j] - max) - lsum;
  } else {
    const float inv = static_cast<float>(1 / sum);
    const __m256 vinv = _mm256_set1_ps(inv);
    j = 0;
    for (; j + 8 <= n; j += 8) _mm256_storeu_ps(out + j, _mm256_mul_ps(_mm256_loadu_ps(out + j), vinv));
    for (; j < n; j++) out[j] *= inv;
  }
}
#endif

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) double row_log_sum_exp_avx2(const float* x, long n, double* sum_x) {
  const RowScan scan = sum_x ? scan_row_avx2<true>(x, n) : scan_row_avx2<false>(x, n);
  const float max = scan.max;
  if (sum_x) *sum_x = scan.sum;
  if (scan.has_nan) return NAN;
  if (max == kInf || max == -kInf) return max;
  long j = 0;
  const __m256 m = _mm256_set1_ps(max);
  __m256 vsum = _mm256_setzero_ps();
  for (; j + 8 <= n; j += 8) vsum = _mm256_add_ps(vsum, exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), m)));
  double sum = hsum(vsum);
  for (; j < n; j++) sum += std::exp(x[j] - max);
  return max + std::log(sum);
}
#endif

#if defined(__wasm_simd128__)
// row_log_sum_exp_avx2 on four lanes: the max, a NaN check and Σ x in one pass, then Σ e^{x − max} with exp128.
double row_log_sum_exp_simd128(const float* x, long n, double* sum_x) {
  v128_t vmax = wasm_f32x4_splat(-kInf), vtotal = wasm_f32x4_splat(0.0f), nan = wasm_f32x4_splat(0.0f);
  long j = 0;
  for (; j + 4 <= n; j += 4) {
    const v128_t v = wasm_v128_load(x + j);
    nan = wasm_v128_or(nan, wasm_f32x4_ne(v, v));
    vmax = wasm_f32x4_pmax(vmax, v);
    vtotal = wasm_f32x4_add(vtotal, v);
  }
  alignas(16) float maxes[4], totals[4];
  wasm_v128_store(maxes, vmax);
  wasm_v128_store(totals, vtotal);
  float max = -kInf;
  bool has_nan = wasm_v128_any_true(nan);
  double total = 0;
  for (int i = 0; i < 4; i++) {
    max = maxes[i] > max ? maxes[i] : max;
    total += totals[i];
  }
  for (; j < n; j++) {
    if (x[j] != x[j]) has_nan = true;
    if (x[j] > max) max = x[j];
    total += x[j];
  }
  if (sum_x) *sum_x = total;
  if (has_nan) return NAN;
  if (max == kInf || max == -kInf) return max;
  const v128_t m = wasm_f32x4_splat(max);
  v128_t vsum = wasm_f32x4_splat(0.0f);
  for (j = 0; j + 4 <= n; j += 4) vsum = wasm_f32x4_add(vsum, exp128(wasm_f32x4_sub(wasm_v128_load(x + j), m)));
  double sum = static_cast<double>(wasm_f32x4_extract_lane(vsum, 0)) + wasm_f32x4_extract_lane(vsum, 1) +
               wasm_f32x4_extract_lane(vsum, 2) + wasm_f32x4_extract_lane(vsum, 3);
  for (; j < n; j++) sum += std::exp(x[j] - max);
  return max + std::log(sum);
}
#endif

void softmax_row(const float* x, float* out, long n, long stride, bool log) {
#if defined(__x86_64__)
  // The vector path sums eight lanes, then the tail: where a row ends changes the order of the sum.
  const bool simd = has_avx2_fma() && !batch_invariant();
  if (simd && stride == 1) {
    softmax_row_avx2(x, out, n, log);
    return;
  }
#endif
  softmax_row_portable(x, out, n, stride, log);
}

// log Σ_c e^{x_c} of one contiguous row, and Σ_c x_c when `sum_x` is given (label smoothing needs it). The max
// is subtracted first; a row whose max is ±inf or NaN has that as its log-sum-exp (−inf for a fully masked row,
// so its loss is NaN as in PyTorch).
double row_log_sum_exp(const float* x, long n, double* sum_x) {
  long j = 0;
  double total = 0;
#if defined(__x86_64__)
  if (has_avx2_fma()) return row_log_sum_exp_avx2(x, n, sum_x);
#endif
#if defined(__wasm_simd128__)
  if (has_simd128()) return row_log_sum_exp_simd128(x, n, sum_x);
#endif
  double max = -INFINITY;
  for (; j < n; j++) {
    double v = x[j];
    if (v > max || v != v) max = v;
    total += v;
  }
  if (sum_x) *sum_x = total;
  if (max != max || max == INFINITY || max == -INFINITY) return max;
  double sum = 0;
  for (j = 0; j < n; j++) sum += std::exp(x[j] - max);
  return max + std::log(sum);
}

}  // namespace

void softmax(const SoftmaxArgs& a) {
  split_rows(a.outer * a.inner, static_cast<double>(a.outer) * a.n * a.inner * 8, [=, &a](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      long o = r / a.inner, i = r % a.inner;
      long base = o * a.n * a.inner + i;
      softmax_row(a.x + base, a.out + base, a.n, a.inner, a.log);
    }
  });
}

void softmax_grad(const SoftmaxGradArgs& a) {
  split_rows(a.outer * a.inner, static_cast<double>(a.outer) * a.n * a.inner * 2, [=, &a](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      long o = r / a.inner, i = r % a.inner;
      long base = o * a.n * a.inner + i;
      const float* py = a.y + base;
      const float* pdy = a.dy + base;
      float* pdx = a.dx + base;
      double s = 0;
      if (a.log) {
        for (long j = 0; j < a.n; j++) s += pdy[j * a.inner];
        for (long j = 0; j < a.n; j++)
          pdx[j * a.inner] = static_cast<float>(pdy[j * a.inner] - std::exp(static_cast<double>(py[j * a.inner])) * s);
      } else {
        for (long j = 0; j < a.n; j++) s += static_cast<double>(pdy[j * a.inner]) * py[j * a.inner];
        for (long j = 0; j < a.n; j++) pdx[j * a.inner] = static_cast<float>(py[j * a.inner] * (pdy[j * a.inner] - s));
      }
    }
  });
}

// loss_r = lse_r − (1−ε)·x_t − (ε/C)·Σ_c x_c, which is −(1−ε)·log p_t − (ε/C)·Σ_c log p_c with log p = x − lse.
// Only the row's log-sum-exp is kept for the gradient: the [rows, classes] log-probabilities are never written.
void cross_entropy(const CrossEntropyArgs& a) {
  split_rows(a.rows, static_cast<double>(a.rows) * a.classes * 4, [=, &a](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      const float* x = a.logits + r * a.classes;
      double sum_x = 0;
      double lse = row_log_sum_exp(x, a.classes, a.labelSmoothing > 0 ? &sum_x : nullptr);
      a.logSumExp[r] = static_cast<float>(lse);
      int32_t t = a.targets[r];
      if (t == a.ignoreIndex) {
        a.loss[r] = 0;
        continue;
      }
      double value = lse - (1 - a.labelSmoothing) * x[t];
      if (a.labelSmoothing > 0) value -= (a.labelSmoothing / a.classes) * sum_x;
      a.loss[r] = static_cast<float>(value);
    }
  });
}

#if defined(__x86_64__)
// g·(e^{x − lse} − smooth) over one row, 8 classes at a time (the exp of a [rows, vocabulary] gradient dominates
// sequence-model losses); the last partial block goes through a padded copy.
__attribute__((target("avx2,fma"))) static void grad_row_avx2(const float* x, float lse, long classes, float g,
                                                             float smooth, float* d) {
  const __m256 vg = _mm256_set1_ps(g), vs = _mm256_set1_ps(smooth), vl = _mm256_set1_ps(lse);
  long c = 0;
  for (; c + 8 <= classes; c += 8)
    _mm256_storeu_ps(d + c,
                     _mm256_mul_ps(vg, _mm256_sub_ps(exp256(_mm256_sub_ps(_mm256_loadu_ps(x + c), vl)), vs)));
  if (c < classes) {
    alignas(32) float tmp[8];
    for (long j = 0; j < 8; j++) tmp[j] = c + j < classes ? x[c + j] : lse;
    _mm256_store_ps(tmp, _mm256_mul_ps(vg, _mm256_sub_ps(exp256(_mm256_sub_ps(_mm256_load_ps(tmp), vl)), vs)));
    for (long j = c; j < classes; j++) d[j] = tmp[j - c];
  }
}
#endif

#if defined(__wasm_simd128__)
// grad_row_avx2 on four lanes.
static void grad_row_simd128(const float* x, float lse, long classes, float g, float smooth, float* d) {
  const v128_t vg = wasm_f32x4_splat(g), vs = wasm_f32x4_splat(smooth), vl = wasm_f32x4_splat(lse);
  long c = 0;
  for (; c + 4 <= classes; c += 4) {
    const v128_t e = exp128(wasm_f32x4_sub(wasm_v128_load(x + c), vl));
    wasm_v128_store(d + c, wasm_f32x4_mul(vg, wasm_f32x4_sub(e, vs)));
  }
  for (; c < classes; c++) d[c] = static_cast<float>(g * (std::exp(static_cast<double>(x[c]) - lse) - smooth));
}
#endif

void cross_entropy_grad(const CrossEntropyGradArgs& a) {
  const double smooth = a.labelSmoothing / a.classes;
  const bool simd = has_avx2_fma() || has_simd128();
  split_rows(a.rows, static_cast<double>(a.rows) * a.classes * 4, [=, &a](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      float* d = a.dLogits + r * a.classes;
      const float* x = a.logits + r * a.classes;
      int32_t t = a.targets[r];
      if (t == a.ignoreIndex) {
        std::memset(d, 0, sizeof(float) * a.classes);
        continue;
      }
      double g = a.rowGrad[r];
      float lse = a.logSumExp[r];
#if defined(__x86_64__)
      if (simd) {
        grad_row_avx2(x, lse, a.classes, static_cast<float>(g), static_cast<float>(smooth), d);
      } else
#endif
#if defined(__wasm_simd128__)
      if (simd) {
        grad_row_simd128(x, lse, a.classes, static_cast<float>(g), static_cast<float>(smooth), d);
      } else
#endif
        for (long c = 0; c < a.classes; c++)
          d[c] = static_cast<float>(g * (std::exp(static_cast<double>(x[c]) - lse) - smooth));
      d[t] = static_cast<float>(d[t] - g * (1 - a.labelSmoothing));
    }
  });
}

}  // namespace attn
