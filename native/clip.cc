// clipGradNorm's p = 2 kernels (see sumOfSquares and scaleInPlace in src/backend/kernel-table.ts and the
// reference in src/backend/js/clip.ts). The sum is the reference's: sum += x·x in float64, in index order; each
// square of a float is exact in double, so only the additions round, and they must run in this order, unvectorised
// and without a fused multiply-add (an FMA would skip the square's rounding, which is exact here anyway, but keep
// the contract explicit: contraction is turned off for this file's functions).
#include <cstdint>
#include <cstring>

#include "kernels.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace attn {

void sum_of_squares(const SumOfSquaresArgs& a) {
  double sum;
  std::memcpy(&sum, a.sum, sizeof sum);  // the float64 lives in two int32 words
  const float* x = a.x;
  const long n = a.x_len;
  for (long i = 0; i < n; i++) {
    const double v = x[i];
    sum += v * v;
  }
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
