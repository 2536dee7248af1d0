// clipGradNorm's p = 2 kernels (see sumOfSquares and scaleInPlace in src/backend/kernel-table.ts and the
// reference in src/backend/js/clip.ts). The sum is the reference's: element i's square, exact in float64, is added
// to partial sum i mod 16, then the sixteen partials are added in order and their total to the running sum. One
// float64 sum in index order waited four cycles on every addition (about 4 ms per GRU translation step here);
// sixteen independent ones fill the vector registers and run at the speed memory delivers the gradients, with the
// same bits on every path: each addition rounds once, in the same order per partial. (Contraction is turned off
// for this file's functions: an FMA of an exact product gives the same bits anyway, but the contract stays
// explicit.)
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu.h"
#include "kernels.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace attn {

namespace {

constexpr int PARTIALS = 16;

// Adds x[i]² into parts[i mod 16] for i < n16 (a multiple of 16), eight float64 lanes per register.
#if defined(__x86_64__)
__attribute__((target("avx512f"))) void partial_squares_avx512(const float* x, long n16, double* parts) {
  __m512d lo = _mm512_loadu_pd(parts), hi = _mm512_loadu_pd(parts + 8);
  for (long i = 0; i < n16; i += PARTIALS) {
    const __m512d a = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
    const __m512d b = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8));
    lo = _mm512_add_pd(lo, _mm512_mul_pd(a, a));
    hi = _mm512_add_pd(hi, _mm512_mul_pd(b, b));
  }
  _mm512_storeu_pd(parts, lo);
  _mm512_storeu_pd(parts + 8, hi);
}

__attribute__((target("avx2"))) void partial_squares_avx2(const float* x, long n16, double* parts) {
  __m256d p[4];
  for (int q = 0; q < 4; q++) p[q] = _mm256_loadu_pd(parts + 4 * q);
  for (long i = 0; i < n16; i += PARTIALS)
    for (int q = 0; q < 4; q++) {
      const __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4 * q));
      p[q] = _mm256_add_pd(p[q], _mm256_mul_pd(v, v));
    }
  for (int q = 0; q < 4; q++) _mm256_storeu_pd(parts + 4 * q, p[q]);
}
#endif

void partial_squares(const float* x, long n16, double* parts) {
#if defined(__x86_64__)
  if (has_avx512f()) return partial_squares_avx512(x, n16, parts);
  if (has_avx2_fma()) return partial_squares_avx2(x, n16, parts);
#endif
  // Sixteen independent lanes: a compiler may vectorise this (WebAssembly's f64x2) without reordering any sum.
  for (long i = 0; i < n16; i += PARTIALS)
    for (int j = 0; j < PARTIALS; j++) {
      const double v = x[i + j];
      parts[j] += v * v;
    }
}

}  // namespace

void sum_of_squares(const SumOfSquaresArgs& a) {
  double sum;
  std::memcpy(&sum, a.sum, sizeof sum);  // the float64 lives in two int32 words
  const float* x = a.x;
  const long n = a.x_len;
  const long n16 = n / PARTIALS * PARTIALS;
  double parts[PARTIALS] = {0};
  partial_squares(x, n16, parts);
  for (long i = n16; i < n; i++) {
    const double v = x[i];
    parts[i % PARTIALS] += v * v;
  }
  double total = 0;
  for (int j = 0; j < PARTIALS; j++) total += parts[j];
  sum += total;
  std::memcpy(a.sum, &sum, sizeof sum);
}

void scale_in_place(const ScaleInPlaceArgs& a) {
  const double factor = a.factor;
  float* x = a.x;
  const long n = a.x_len;
  // float32(float64(x)·factor): one rounding of an exact-operand double product, as the reference's store.
  for (long i = 0; i < n; i++) x[i] = static_cast<float>(static_cast<double>(x[i]) * factor);
}

}  // namespace attn
