// The elementwise ends of a Linear layer, y = act(x·Wᵀ + b).
// Forward: y ← act(y + b) in one pass, in place on the GEMM's output (an add pass, then a ReLU pass, before; at a
// Transformer's feed-forward width each pass moves 32 MiB).
// Backward: dPre = g ⊙ act'(y) and db = Σ_rows dPre in one pass over the rows (a ReLU-gradient pass, then a
// column-sum pass reading dPre again, before).
#include <algorithm>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu.h"
#include "kernels.h"
#include "thread_pool.h"

namespace attn {
namespace {

template <typename F>
void over_rows(long rows, long n, F f) {
  int chunks = std::min<long>(chunks_for(static_cast<double>(rows) * n, 1 << 15), rows);
  if (chunks <= 1) {
    f(0L, rows);
    return;
  }
  const long per = (rows + chunks - 1) / chunks;
  parallel_for(chunks, [&](int t) {
    long r0 = t * per, r1 = std::min(rows, r0 + per);
    if (r0 < r1) f(r0, r1);
  });
}

void bias_act_row_portable(float* y, const float* b, long n, bool relu) {
  for (long i = 0; i < n; i++) {
    float v = b ? y[i] + b[i] : y[i];
    y[i] = relu ? (v > 0 ? v : 0.0f) : v;
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void bias_act_row_avx2(float* y, const float* b, long n, bool relu) {
  const __m256 zero = _mm256_setzero_ps();
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(y + i);
    if (b) v = _mm256_add_ps(v, _mm256_loadu_ps(b + i));
    // v > 0 ? v : 0, as the reference (a NaN becomes 0).
    if (relu) v = _mm256_and_ps(v, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
    _mm256_storeu_ps(y + i, v);
  }
  bias_act_row_portable(y + i, b ? b + i : nullptr, n - i, relu);
}
#endif

// dPre row = g ⊙ (y > 0) (relu) or g (none), written to dpre when not null, and added to acc (double) when acc
// is not null.
void act_grad_row_portable(const float* y, const float* g, long n, bool relu, float* dpre, double* acc) {
  for (long i = 0; i < n; i++) {
    float d = relu ? (y[i] > 0 ? g[i] : 0.0f) : g[i];
    if (dpre) dpre[i] = d;
    if (acc) acc[i] += d;
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void act_grad_row_avx2(const float* y, const float* g, long n, bool relu,
                                                            float* dpre, double* acc) {
  const __m256 zero = _mm256_setzero_ps();
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 d = _mm256_loadu_ps(g + i);
    if (relu) d = _mm256_and_ps(d, _mm256_cmp_ps(_mm256_loadu_ps(y + i), zero, _CMP_GT_OQ));
    if (dpre) _mm256_storeu_ps(dpre + i, d);
    if (acc) {
      _mm256_storeu_pd(acc + i, _mm256_add_pd(_mm256_loadu_pd(acc + i), _mm256_cvtps_pd(_mm256_castps256_ps128(d))));
      _mm256_storeu_pd(acc + i + 4,
                       _mm256_add_pd(_mm256_loadu_pd(acc + i + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(d, 1))));
    }
  }
  act_grad_row_portable(y + i, g + i, n - i, relu, dpre ? dpre + i : nullptr, acc ? acc + i : nullptr);
}
#endif

// Rows [r0, r1) of dPre (to dpre) and, when acc is not null, their column sums added to acc [n]. Wide rows go
// in column blocks of kSumColumns, so that the block's sums (8 KiB of doubles) stay in L1 while the rows stream
// past: a 1024 × 8000 vocabulary gradient otherwise moved its 64 KiB of sums through L2 at every row.
constexpr long kSumColumns = 1024;

void act_grad_rows(const float* y, const float* g, long r0, long r1, long n, bool relu, float* dpre, double* acc) {
  const bool simd = has_avx2_fma();
  const long width = acc ? kSumColumns : n;
  for (long c0 = 0; c0 < n; c0 += width) {
    const long w = std::min(width, n - c0);
    for (long r = r0; r < r1; r++) {
      const long o = r * n + c0;
      float* out = dpre ? dpre + o : nullptr;
      double* sums = acc ? acc + c0 : nullptr;
#if defined(__x86_64__)
      if (simd) {
        act_grad_row_avx2(y ? y + o : nullptr, g + o, w, relu, out, sums);
        continue;
      }
#endif
      act_grad_row_portable(y ? y + o : nullptr, g + o, w, relu, out, sums);
    }
  }
  (void)simd;
}

}  // namespace

void linear_act_grad(const LinearActGradArgs& a) {
  const bool relu = a.activation == Activation::Relu;
  const float* y = relu ? a.y : nullptr;
  if (a.biasGrad == nullptr) {
    over_rows(a.rows, a.n, [=, &a](long r0, long r1) { act_grad_rows(y, a.g, r0, r1, a.n, relu, a.dPre, nullptr); });
    return;
  }
  // Row streaming, each block of rows summing into its own vector (n doubles, in L1), then the blocks' sums in
  // block order. The blocks depend only on the shape, so the bits do not depend on the thread count; a
  // column-blocked walk (the reduce kernel's) streamed at about half the speed here.
  const long blocks = std::max(1L, std::min(16L, a.rows / 64));
  const long per = (a.rows + blocks - 1) / blocks;
  std::vector<double> partial(static_cast<size_t>(blocks * a.n), 0.0);
  auto run = [&](int t) {
    const long r0 = t * per, r1 = std::min(a.rows, r0 + per);
    if (r0 < r1) act_grad_rows(y, a.g, r0, r1, a.n, relu, a.dPre, partial.data() + t * a.n);
  };
  if (blocks == 1 || chunks_for(static_cast<double>(a.rows) * a.n, 1 << 15) <= 1) {
    for (int t = 0; t < blocks; t++) run(t);
  } else {
    parallel_for(static_cast<int>(blocks), run);
  }
  for (long i = 0; i < a.n; i++) {
    double s = 0;
    for (long t = 0; t < blocks; t++) s += partial[t * a.n + i];
    a.biasGrad[i] = static_cast<float>(s);
  }
}

void bias_act_rows(float* y, long ldy, const float* bias, long rows, long n, bool relu) {
  for (long r = 0; r < rows; r++) {
#if defined(__x86_64__)
    if (has_avx2_fma()) {
      bias_act_row_avx2(y + r * ldy, bias, n, relu);
      continue;
    }
#endif
    bias_act_row_portable(y + r * ldy, bias, n, relu);
  }
}

void linear_bias_act_strided(float* y, long ldy, const float* bias, long rows, long n, bool relu) {
  over_rows(rows, n, [=](long r0, long r1) { bias_act_rows(y + r0 * ldy, ldy, bias, r1 - r0, n, relu); });
}

void linear_bias_act(const LinearBiasActArgs& a) {
  linear_bias_act_strided(a.y, a.n, a.bias, a.rows, a.n, a.activation == Activation::Relu);
}

}  // namespace attn
