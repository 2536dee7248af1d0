// The dropout mask from a xoshiro128** stream (see dropoutMask in src/backend/kernel-table.ts and the reference
// in src/backend/js/dropout.ts): the generator of src/tensor/random.ts, step for step on uint32 words, so the same
// mask bits and the same state after. The stream is sequential, so one thread draws it all.
#include <cstdint>

#include "kernels.h"

namespace attn {

void dropout_mask(const DropoutMaskArgs& a) {
  uint32_t s0 = static_cast<uint32_t>(a.state[0]), s1 = static_cast<uint32_t>(a.state[1]);
  uint32_t s2 = static_cast<uint32_t>(a.state[2]), s3 = static_cast<uint32_t>(a.state[3]);
  const double keep = a.keep;
  const float scale = static_cast<float>(a.scale);
  float* out = a.out;
  const long n = a.out_len;
  for (long i = 0; i < n; i++) {
    // result = rotl(s1 · 5, 7) · 9, then the state's linear step.
    const uint32_t product = s1 * 5u;
    const uint32_t result = ((product << 7) | (product >> 25)) * 9u;
    const uint32_t t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >> 21);
    // u = top 24 bits · 2⁻²⁴: exact in double and in float, so comparing in double matches the reference.
    const double u = static_cast<double>(result >> 8) * (1.0 / 16777216.0);
    out[i] = u < keep ? scale : 0.0f;
  }
  a.state[0] = static_cast<int32_t>(s0);
  a.state[1] = static_cast<int32_t>(s1);
  a.state[2] = static_cast<int32_t>(s2);
  a.state[3] = static_cast<int32_t>(s3);
}

}  // namespace attn
