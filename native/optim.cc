// The Adam / AdamW update of one parameter (Backend.adam; src/backend/js/optim.ts is the reference). Every
// element is independent, so chunks go to the pool and the result does not depend on the thread count. The
// arithmetic is the reference's, in double and in the same order, rounded to float where the reference stores
// a float32 (m, v, v̂, p) and read back from there: the addon is compiled for baseline x86-64, so no FMA can
// contract it, and the bits equal the JavaScript backend's.
#include <algorithm>
#include <cmath>

#include "kernels.h"
#include "thread_pool.h"

namespace attn {

void adam(float* p, const float* g, float* m, float* v, float* v_max, long n, const AdamStep& s) {
  int chunks = chunks_for(static_cast<double>(n) * 8, 1 << 15);
  long per = chunks > 1 ? (n + chunks - 1) / chunks : n;
  auto run = [&](long i0, long i1) {
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
