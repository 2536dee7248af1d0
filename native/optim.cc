// The Adam / AdamW update of one parameter (Backend.adam; src/backend/js/optim.ts is the reference). Every
// element is independent, so chunks go to the pool and the result does not depend on the thread count. The
// arithmetic is the reference's, in double and in the same order, rounded to float where the reference stores
// a float32 (m, v, v̂, p) and read back from there: the addon is compiled for baseline x86-64, so no FMA can
// contract it, and the bits equal the JavaScript backend's.
//
// The scalar loop is bound by its double sqrt and division (about 12 ns per element, 12.6M parameters per NMT
// step), so with AVX the same operations run 4 doubles at a time: IEEE add, mul, div and sqrt are exact-rounded
// per lane and float↔double conversions are the scalar ones, so the bits do not change. The vector function is
// compiled for AVX without FMA, so the compiler cannot contract a multiply and an add either.
#include <algorithm>
#include <cmath>

#include "cpu.h"
#include "kernels.h"
#include "thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace attn {
namespace {

#if defined(__x86_64__)
// Elements [i0, i0 + 4·blocks) of the update; the caller runs the remainder through the scalar loop.
__attribute__((target("avx"))) void adam_avx(float* p, const float* g, float* m, float* v, float* v_max, long i0,
                                             long blocks, const AdamStep& s) {
  const __m256d sign = _mm256_set1_pd(s.sign), l2 = _mm256_set1_pd(s.l2);
  const __m256d b1 = _mm256_set1_pd(s.beta1), c1 = _mm256_set1_pd(1 - s.beta1);
  const __m256d b2 = _mm256_set1_pd(s.beta2), c2 = _mm256_set1_pd(1 - s.beta2);
  const __m256d bc2 = _mm256_set1_pd(s.bias_correction2_sqrt), eps = _mm256_set1_pd(s.eps);
  const __m256d decay = _mm256_set1_pd(s.decay), step = _mm256_set1_pd(s.step_size);
  for (long b = 0; b < blocks; b++) {
    const long i = i0 + 4 * b;
    __m256d pd = _mm256_cvtps_pd(_mm_loadu_ps(p + i));
    __m256d grad = _mm256_mul_pd(sign, _mm256_cvtps_pd(_mm_loadu_ps(g + i)));
    if (s.l2 != 0) grad = _mm256_add_pd(grad, _mm256_mul_pd(l2, pd));
    __m128 mf = _mm256_cvtpd_ps(_mm256_add_pd(_mm256_mul_pd(b1, _mm256_cvtps_pd(_mm_loadu_ps(m + i))),
                                              _mm256_mul_pd(c1, grad)));
    _mm_storeu_ps(m + i, mf);
    __m128 vf = _mm256_cvtpd_ps(_mm256_add_pd(_mm256_mul_pd(b2, _mm256_cvtps_pd(_mm_loadu_ps(v + i))),
                                              _mm256_mul_pd(_mm256_mul_pd(c2, grad), grad)));
    _mm_storeu_ps(v + i, vf);
    __m256d second = _mm256_cvtps_pd(vf);
    if (v_max) {
      __m256d vm = _mm256_cvtps_pd(_mm_loadu_ps(v_max + i));
      // second > v̂ (false for NaN, as the scalar comparison) keeps second, else v̂; v̂ takes the same value.
      second = _mm256_blendv_pd(vm, second, _mm256_cmp_pd(second, vm, _CMP_GT_OQ));
      _mm_storeu_ps(v_max + i, _mm256_cvtpd_ps(second));
    }
    __m256d denom = _mm256_add_pd(_mm256_div_pd(_mm256_sqrt_pd(second), bc2), eps);
    __m256d update = _mm256_div_pd(_mm256_mul_pd(step, _mm256_cvtps_pd(mf)), denom);
    _mm_storeu_ps(p + i, _mm256_cvtpd_ps(_mm256_sub_pd(_mm256_mul_pd(pd, decay), update)));
  }
}
#endif

}  // namespace

void adam(float* p, const float* g, float* m, float* v, float* v_max, long n, const AdamStep& s) {
  int chunks = chunks_for(static_cast<double>(n) * 8, 1 << 15);
  long per = chunks > 1 ? (n + chunks - 1) / chunks : n;
  auto run = [&](long i0, long i1) {
#if defined(__x86_64__)
    if (has_avx2_fma()) {
      const long blocks = (i1 - i0) / 4;
      adam_avx(p, g, m, v, v_max, i0, blocks, s);
      i0 += 4 * blocks;
    }
#endif
    for (long i = i0; i < i1; i++) {
      double grad = s.sign * static_cast<double>(g[i]);
      if (s.l2 != 0) grad += s.l2 * static_cast<double>(p[i]);
      m[i] = static_cast<float>(s.beta1 * m[i] + (1 - s.beta1) * grad);
      v[i] = static_cast<float>(s.beta2 * v[i] + (1 - s.beta2) * grad * grad);
      double second = v[i];
      if (v_max) {
        if (second > v_max[i])
          v_max[i] = static_cast<float>(second);
        else
          second = v_max[i];
      }
      double denom = std::sqrt(second) / s.bias_correction2_sqrt + s.eps;
      p[i] = static_cast<float>(static_cast<double>(p[i]) * s.decay - (s.step_size * m[i]) / denom);
    }
  };
  if (chunks <= 1) {
    run(0, n);
    return;
  }
  parallel_for(chunks, [&](int t) {
    long i0 = t * per, i1 = std::min(n, i0 + per);
    if (i0 < i1) run(i0, i1);
  });
}

}  // namespace attn
