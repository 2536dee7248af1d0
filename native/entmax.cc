// 1.5-entmax and α-entmax with their gradients (see entmax15 and entmaxBisect in src/backend/kernel-table.ts and
// the references in src/backend/js/sparsemax.ts): the same double arithmetic in the same order. entmax15 uses only
// + − × ÷ and √ (correctly rounded), so it gives the reference's bits; entmaxBisect calls pow, whose last bit may
// differ between libm and V8's Math.pow, so it agrees with the reference to rounding. Slices are independent; a
// thread takes whole rows of the outer axis.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels.h"
#include "thread_pool.h"

namespace attn {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// The first pass of both normalisers over one slice x[j·inner], j < n: its entries that are not −∞, shifted by
// their max and scaled, z = scale·(x − max x) in double, into z[0 : m] in slice order; returns m and sets *max.
// A slice with a NaN or +∞ gets NaN throughout, one of nothing but −∞ zeros: both are written here and give 0.
long shifted_entries(const float* x, float* out, long n, long inner, double scale, double* z, float* max) {
  long m = 0;
  float top = -kInf;
  bool invalid = false;
  for (long j = 0; j < n; j++) {
    const float v = x[j * inner];
    if (v == -kInf) continue;
    if (std::isnan(v) || v == kInf) invalid = true;
    if (v > top) top = v;
    m++;
  }
  if (invalid || m == 0) {
    for (long j = 0; j < n; j++) out[j * inner] = invalid ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
    return 0;
  }
  m = 0;
  for (long j = 0; j < n; j++)
    if (x[j * inner] != -kInf) z[m++] = scale * (static_cast<double>(x[j * inner]) - top);
  *max = top;
  return m;
}

// One slice x[base + j·inner], j < n, into out at the same places; sorted is scratch of n doubles.
void entmax15_slice(const float* x, float* out, long n, long inner, double* sorted) {
  // z = (x − max x)/2: halving is exact, so 0.5·(x − max x) is the same number.
  float max = 0;
  const long m = shifted_entries(x, out, n, inner, 0.5, sorted, &max);
  if (m == 0) return;
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

// Halvings of τ's bracket (the reference explains the count).
constexpr int kBisections = 50;

// One slice of α-entmax by bisection on τ, as entmax15_slice; z is scratch of n doubles.
void entmax_bisect_slice(const float* x, float* out, long n, long inner, double alpha, double* z) {
  float max = 0;
  const long m = shifted_entries(x, out, n, inner, alpha - 1, z, &max);
  if (m == 0) return;
  const double power = 1 / (alpha - 1);
  double lo = -1;
  double width = 1 - std::pow(static_cast<double>(m), 1 - alpha);
  for (int it = 0; it < kBisections; it++) {
    width /= 2;
    const double tau = lo + width;
    double sum = 0;
    for (long j = 0; j < m; j++)
      if (z[j] > tau) sum += std::pow(z[j] - tau, power);
    if (sum >= 1) lo = tau;
  }
  double sum = 0;
  for (long j = 0; j < m; j++) {
    const double y = z[j] > lo ? std::pow(z[j] - lo, power) : 0;
    z[j] = y;
    sum += y;
  }
  long next = 0;
  for (long j = 0; j < n; j++) out[j * inner] = x[j * inner] == -kInf ? 0.0f : static_cast<float>(z[next++] / sum);
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

void entmax_bisect(const EntmaxBisectArgs& a) {
  const long n = a.n, inner = a.inner;
  const double alpha = a.alpha;
  // 50 passes of a pow per entry: the work the chunking weighs.
  split_outer(a.outer, static_cast<double>(a.outer * n * inner) * 1000, [&](long o0, long o1) {
    std::vector<double> z(static_cast<size_t>(n));
    for (long o = o0; o < o1; o++)
      for (long i = 0; i < inner; i++) {
        const long base = o * n * inner + i;
        entmax_bisect_slice(a.x + base, a.out + base, n, inner, alpha, z.data());
      }
  });
}

void entmax_bisect_grad(const EntmaxBisectGradArgs& a) {
  const long n = a.n, inner = a.inner;
  const double power = 2 - a.alpha;
  split_outer(a.outer, static_cast<double>(a.outer * n * inner) * 40, [&](long o0, long o1) {
    for (long o = o0; o < o1; o++)
      for (long i = 0; i < inner; i++) {
        const long base = o * n * inner + i;
        double sum_s = 0, sum_sg = 0;
        for (long j = 0; j < n; j++) {
          const float v = a.y[base + j * inner];
          if (!(v > 0)) continue;
          const double s = std::pow(static_cast<double>(v), power);
          sum_s += s;
          sum_sg += s * a.dy[base + j * inner];
        }
        const double q = sum_s > 0 ? sum_sg / sum_s : 0;
        for (long j = 0; j < n; j++) {
          const long p = base + j * inner;
          const float v = a.y[p];
          a.dx[p] = v > 0 ? static_cast<float>(std::pow(static_cast<double>(v), power) * (a.dy[p] - q)) : 0.0f;
        }
      }
  });
}

}  // namespace attn
