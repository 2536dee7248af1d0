// The elementwise end of a Linear layer's forward, y = act(x·Wᵀ + b): y ← act(y + b) in one pass, in place on
// the GEMM's output (an add pass, then a ReLU pass, before; at a Transformer's feed-forward width each pass
// moves 32 MiB).
#include <algorithm>

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

}  // namespace attn
