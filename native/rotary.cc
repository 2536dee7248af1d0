// Rotary position embedding and its inverse (see rotary in src/backend/kernel-table.ts and the reference in
// src/backend/js/rotary.ts): the same double arithmetic (two exact products, one rounded difference or sum, then
// float), so the same bits. Rows are independent; a thread takes whole rows of the outer axis.
#include <algorithm>

#include "kernels.h"
#include "thread_pool.h"

namespace attn {

void rotary(const RotaryArgs& a) {
  const long t = a.t, d = a.d, h = d / 2, outer = a.outer;
  const double sign = a.inverse ? -1.0 : 1.0;
  auto rows = [&](long o0, long o1) {
    for (long o = o0; o < o1; o++)
      for (long r = 0; r < t; r++) {
        const float* x = a.x + (o * t + r) * d;
        float* out = a.out + (o * t + r) * d;
        const float* cr = a.cos + r * h;
        const float* sr = a.sin + r * h;
        for (long i = 0; i < h; i++) {
          const double c = cr[i];
          const double s = sign * static_cast<double>(sr[i]);
          const double x1 = x[i], x2 = x[h + i];
          out[i] = static_cast<float>(x1 * c - x2 * s);
          out[h + i] = static_cast<float>(x2 * c + x1 * s);
        }
      }
  };
  int chunks = chunks_for(static_cast<double>(outer * t * d) * 2, 1 << 15);
  if (chunks > outer) chunks = static_cast<int>(outer);
  if (chunks <= 1) {
    rows(0L, outer);
    return;
  }
  const long per = (outer + chunks - 1) / chunks;
  parallel_for(chunks, [&](int k) {
    const long o0 = k * per, o1 = std::min(outer, o0 + per);
    if (o0 < o1) rows(o0, o1);
  });
}

}  // namespace attn
