// tanh and the logistic sigmoid for 8 floats at once (AVX2+FMA), for the elementwise tanh, the fused GRU/LSTM
// cells and the additive attention scores that dominate RNN training profiles (libm's double tanh per element
// cost ~20 ns there). tanh: Cephes's odd polynomial for |x| < 0.625 (no cancellation near 0), otherwise
// sign(x)·(1 − 2/(e^{2|x|} + 1)); about 2 ulp, saturating to ±1, NaN stays NaN. sigmoid: see sigmoid256.
// Include only from translation units that call it inside functions marked target("avx2,fma").
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>

#include "simd_exp.h"

namespace attn {

__attribute__((target("avx2,fma"))) static inline __m256 tanh256(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 ax = _mm256_andnot_ps(sign, x);
  // Large branch: 1 − 2/(e^{2|x|} + 1); exp256 saturates above 88, where the result is 1 anyway.
  __m256 e = exp256(_mm256_min_ps(_mm256_add_ps(ax, ax), _mm256_set1_ps(88.0f)));
  __m256 big = _mm256_sub_ps(_mm256_set1_ps(1.0f),
                             _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
  // Small branch: x + x³·P(x²).
  __m256 z = _mm256_mul_ps(ax, ax);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), ax, ax);
  __m256 use_small = _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
  __m256 r = _mm256_blendv_ps(big, small, use_small);
  // NaN: both branches give NaN for a NaN input except through min above; restore it explicitly.
  __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  r = _mm256_blendv_ps(r, x, nan);
  return _mm256_or_ps(r, _mm256_and_ps(x, sign));
}

__attribute__((target("avx2,fma"))) static inline __m256 sigmoid256(__m256 x) {
  // With e = e^{−|x|} ∈ (0, 1] nothing overflows: σ = 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0 (exp256 gives 0
  // below −87.3, so σ of a very negative x is 0 rather than a denormal).
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 e = exp256(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
  __m256 inv = _mm256_div_ps(one, _mm256_add_ps(one, e));
  __m256 r = _mm256_blendv_ps(inv, _mm256_mul_ps(e, inv), x);  // blendv picks by the sign bit of x
  __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  return _mm256_blendv_ps(r, x, nan);
}

}  // namespace attn
#endif
