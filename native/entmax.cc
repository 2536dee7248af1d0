// 1.5-entmax and its gradient (see entmax15 in src/backend/kernel-table.ts and the reference in
// src/backend/js/sparsemax.ts): the same double arithmetic in the same order, so the same bits. Slices are
// independent; a thread takes whole rows of the outer axis.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels.h"
#include "thread_pool.h"

namespace attn {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// One slice x[base + j·inner], j < n, into out at the same places; sorted is scratch of n doubles.
void entmax15_slice(const float* x, float* out, long n, long inner, double* sorted) {
  long m = 0;
  float max = -kInf;
  bool invalid = false;
  for (long j = 0; j < n; j++) {
    const float v = x[j * inner];
    if (v == -kInf) continue;
    if (std::isnan(v) || v == kInf) invalid = true;
    if (v > max) max = v;
    m++;
  }
  if (invalid || m == 0) {
    for (long j = 0; j < n; j++) out[j * inner] = invalid ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
    return;
  }
  m = 0;
  for (long j = 0; j < n; j++)
    if (x[j * inner] != -kInf) sorted[m++] = (static_cast<double>(x[j * inner]) - max) / 2;
  std::sort(sorted, sorted + m);  // ascending: walked from the end
  double sum = 0, squares = 0, tau = 0;
  for (long k = 1; k <= m; k++) {
    const double zk = sorted[m - k];
    sum += zk;
    squares += zk * zk;
    const double mean = sum / k;
    const double delta = (1 - k * (squares / k - mean * mean)) / k;
    const double t = mean - std::sqrt(std::max(delta, 0.0));
    if (t <= zk) tau = t;
  }
  for (long j = 0; j < n; j++) {
    const float v = x[j * inner];
    const double d = v == -kInf ? 0 : (static_cast<double>(v) - max) / 2 - tau;
    out[j * inner] = static_cast<float>(d > 0 ? d * d : 0);
  }
}

// Runs f(o0, o1) over chunks of the outer axis (a chunk count fixed by the work, so the same bits every run).
template <typename F>
void split_outer(long outer, double work, F f) {
  int chunks = chunks_for(work, 1 << 15);
  if (chunks > outer) chunks = static_cast<int>(outer);
  if (chunks <= 1) {
    f(0L, outer);
    return;
  }
  const long per = (outer + chunks - 1) / chunks;
  parallel_for(chunks, [&](int t) {
    const long o0 = t * per, o1 = std::min(outer, o0 + per);
    if (o0 < o1) f(o0, o1);
  });
}

}  // namespace

void entmax15(const Entmax15Args& a) {
  const long n = a.n, inner = a.inner;
  split_outer(a.outer, static_cast<double>(a.outer * n * inner) * 20, [&](long o0, long o1) {
    std::vector<double> sorted(static_cast<size_t>(n));
    for (long o = o0; o < o1; o++)
      for (long i = 0; i < inner; i++) {
        const long base = o * n * inner + i;
        entmax15_slice(a.x + base, a.out + base, n, inner, sorted.data());
      }
  });
}

void entmax15_grad(const Entmax15GradArgs& a) {
  const long n = a.n, inner = a.inner;
  split_outer(a.outer, static_cast<double>(a.outer * n * inner) * 4, [&](long o0, long o1) {
    for (long o = o0; o < o1; o++)
      for (long i = 0; i < inner; i++) {
        const long base = o * n * inner + i;
        double sum_s = 0, sum_sg = 0;
        for (long j = 0; j < n; j++) {
          const double s = std::sqrt(static_cast<double>(a.y[base + j * inner]));
          sum_s += s;
          sum_sg += s * a.dy[base + j * inner];
        }
        const double q = sum_s > 0 ? sum_sg / sum_s : 0;
        for (long j = 0; j < n; j++) {
          const long p = base + j * inner;
          a.dx[p] = static_cast<float>(std::sqrt(static_cast<double>(a.y[p])) * (a.dy[p] - q));
        }
      }
  });
}

}  // namespace attn
