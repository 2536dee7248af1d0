// Reductions along the middle axis of [outer, n, inner]. Sums accumulate in double, as the reference does;
// max/min propagate NaN. Work is split over outer rows (or inner columns), never along n, so the order of
// every sum is fixed.
#include <cmath>
#include <limits>

#include "kernels.h"
#include "thread_pool.h"

namespace attn {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double reduce_row(Reduce op, const float* x, long n, long stride) {
  switch (op) {
    case Reduce::Sum: {
      double s = 0;
      for (long i = 0; i < n; i++) s += x[i * stride];
      return s;
    }
    case Reduce::Max:
    case Reduce::LogSumExp: {
      double m = -kInf;
      for (long i = 0; i < n; i++) {
        double v = x[i * stride];
        if (v > m)
          m = v;
        else if (v != v)
          return NAN;
      }
      if (op == Reduce::Max) return m;
      if (m == -kInf || m == kInf) return m;
      double s = 0;
      for (long i = 0; i < n; i++) s += std::exp(x[i * stride] - m);
      return m + std::log(s);
    }
    case Reduce::Min: {
      double m = kInf;
      for (long i = 0; i < n; i++) {
        double v = x[i * stride];
        if (v < m)
          m = v;
        else if (v != v)
          return NAN;
      }
      return m;
    }
  }
  return 0;
}

template <typename F>
void split(long count, double work, F f) {
  int chunks = chunks_for(work, 1 << 15);
  if (chunks > count) chunks = static_cast<int>(count);
  if (chunks <= 1) {
    f(0L, count);
    return;
  }
  long per = (count + chunks - 1) / chunks;
  parallel_for(chunks, [&](int t) {
    long a = t * per, b = std::min(count, a + per);
    if (a < b) f(a, b);
  });
}

}  // namespace

void reduce(Reduce op, const float* x, long outer, long n, long inner, float* out) {
  if (inner == 1) {
    split(outer, static_cast<double>(outer) * n, [=](long o0, long o1) {
      for (long o = o0; o < o1; o++) out[o] = static_cast<float>(reduce_row(op, x + o * n, n, 1));
    });
    return;
  }
  // Columns of each outer slice, accumulated a row at a time so that the reads stay contiguous.
  split(outer, static_cast<double>(outer) * n * inner, [=](long o0, long o1) {
    std::vector<double> acc(inner), sums;
    for (long o = o0; o < o1; o++) {
      const float* base = x + o * n * inner;
      switch (op) {
        case Reduce::Sum:
          std::fill(acc.begin(), acc.end(), 0.0);
          for (long j = 0; j < n; j++)
            for (long i = 0; i < inner; i++) acc[i] += base[j * inner + i];
          break;
        case Reduce::Max:
        case Reduce::Min: {
          bool is_max = op == Reduce::Max;
          std::fill(acc.begin(), acc.end(), is_max ? -kInf : kInf);
          for (long j = 0; j < n; j++)
            for (long i = 0; i < inner; i++) {
              double v = base[j * inner + i];
              double cur = acc[i];
              if ((is_max ? v > cur : v < cur) || v != v) acc[i] = v;
            }
          break;
        }
        case Reduce::LogSumExp: {
          std::fill(acc.begin(), acc.end(), -kInf);
          for (long j = 0; j < n; j++)
            for (long i = 0; i < inner; i++) {
              double v = base[j * inner + i];
              if (v > acc[i] || v != v) acc[i] = v;
            }
          sums.assign(inner, 0.0);
          for (long j = 0; j < n; j++)
            for (long i = 0; i < inner; i++) {
              double m = acc[i];
              sums[i] += m == -kInf ? 0 : std::exp(base[j * inner + i] - m);
            }
          for (long i = 0; i < inner; i++) {
            double m = acc[i];
            acc[i] = (m == -kInf || m == kInf) ? m : m + std::log(sums[i]);
          }
          break;
        }
      }
      for (long i = 0; i < inner; i++) out[o * inner + i] = static_cast<float>(acc[i]);
    }
  });
}

template <typename T>
void arg_reduce(bool is_max, const T* x, long outer, long n, long inner, int32_t* out) {
  split(outer * inner, static_cast<double>(outer) * n * inner, [=](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      long o = r / inner, i = r % inner;
      const T* base = x + o * n * inner + i;
      T best = base[0];
      int32_t best_index = 0;
      // A NaN counts as the maximum (and minimum), as in PyTorch: the first one wins.
      if (best == best) {
        for (long j = 1; j < n; j++) {
          T v = base[j * inner];
          if (v != v) {
            best_index = static_cast<int32_t>(j);
            break;
          }
          if (is_max ? v > best : v < best) {
            best = v;
            best_index = static_cast<int32_t>(j);
          }
        }
      }
      out[r] = best_index;
    }
  });
}

template void arg_reduce<float>(bool, const float*, long, long, long, int32_t*);
template void arg_reduce<int32_t>(bool, const int32_t*, long, long, long, int32_t*);
template void arg_reduce<uint8_t>(bool, const uint8_t*, long, long, long, int32_t*);

}  // namespace attn
