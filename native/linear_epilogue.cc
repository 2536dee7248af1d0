// The elementwise ends of a Linear layer, y = act(x·Wᵀ + b), each in one pass over the [rows, n] product:
//   forward:  y ← act(y + b) in place on the GEMM's output (two passes, add then ReLU, before);
//   backward: d_pre = dy ⊙ act'(y) and db = Σ_rows d_pre together (a ReLU-gradient pass, then a column-sum
//             pass over the same 16 MiB at a Transformer's feed-forward width, before).
// ReLU's derivative reads y: y > 0 exactly where the pre-activation was. Column sums accumulate in double, rows
// in order, as reduce's do, and a thread owns a block of columns, so the bits do not depend on the thread count.
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

// d[i] = relu ? (y[i] > 0 ? g[i] : 0) : g[i]; acc[i] += d[i] (double) when acc.
void grad_row_portable(const float* y, const float* g, long n, bool relu, float* d, double* acc) {
  for (long i = 0; i < n; i++) {
    float v = relu ? (y[i] > 0 ? g[i] : 0.0f) : g[i];
    if (d) d[i] = v;
    if (acc) acc[i] += v;
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void grad_row_avx2(const float* y, const float* g, long n, bool relu, float* d,
                                                       double* acc) {
  const __m256 zero = _mm256_setzero_ps();
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(g + i);
    if (relu) v = _mm256_and_ps(v, _mm256_cmp_ps(_mm256_loadu_ps(y + i), zero, _CMP_GT_OQ));
    if (d) _mm256_storeu_ps(d + i, v);
    if (acc) {
      _mm256_storeu_pd(acc + i, _mm256_add_pd(_mm256_loadu_pd(acc + i), _mm256_cvtps_pd(_mm256_castps256_ps128(v))));
      _mm256_storeu_pd(acc + i + 4,
                       _mm256_add_pd(_mm256_loadu_pd(acc + i + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
    }
  }
  grad_row_portable(y ? y + i : nullptr, g + i, n - i, relu, d ? d + i : nullptr, acc ? acc + i : nullptr);
}
#endif

}  // namespace

void linear_bias_act(float* y, const float* bias, long rows, long n, bool relu) {
  const bool simd = has_avx2_fma();
  over_rows(rows, n, [=](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
#if defined(__x86_64__)
      if (simd) {
        bias_act_row_avx2(y + r * n, bias, n, relu);
        continue;
      }
#endif
      bias_act_row_portable(y + r * n, bias, n, relu);
    }
  });
  (void)simd;
}

void linear_act_grad(const float* y, const float* dy, long rows, long n, bool relu, float* d_pre, float* d_bias) {
  const bool simd = has_avx2_fma();
  auto run = [=](long r0, long r1, long c0, long c1, double* acc) {
    for (long r = r0; r < r1; r++) {
      const long o = r * n + c0, w = c1 - c0;
      float* d = d_pre ? d_pre + o : nullptr;
#if defined(__x86_64__)
      if (simd) {
        grad_row_avx2(y ? y + o : nullptr, dy + o, w, relu, d, acc);
        continue;
      }
#endif
      grad_row_portable(y ? y + o : nullptr, dy + o, w, relu, d, acc);
    }
  };
  if (!d_bias) {
    over_rows(rows, n, [&](long r0, long r1) { run(r0, r1, 0, n, nullptr); });
    return;
  }
  // Column blocks: each thread sums its columns over every row, in row order.
  const long chunks = std::max(1L, std::min<long>(chunks_for(static_cast<double>(rows) * n, 1 << 15), (n + 63) / 64));
  const long block = (n + chunks - 1) / chunks;
  const long blocks = (n + block - 1) / block;
  auto body = [&](long t) {
    const long c0 = t * block, c1 = std::min(n, c0 + block);
    std::vector<double> acc(c1 - c0, 0.0);
    run(0, rows, c0, c1, acc.data());
    for (long i = c0; i < c1; i++) d_bias[i] = static_cast<float>(acc[i - c0]);
  };
  if (blocks <= 1) {
    body(0);
    return;
  }
  parallel_for(static_cast<int>(blocks), [&](int t) { body(t); });
  (void)simd;
}

}  // namespace attn
