// Reductions along the middle axis of [outer, n, inner]. Sums accumulate in double, as the reference does;
// max/min propagate NaN. Work is split over outer rows (or inner columns), never along n, so the order of
// every sum is fixed.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu.h"
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
    case Reduce::Logsumexp: {
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

// acc[i] += Σ_j x[j·stride + i] for i < w, in double, j in order (four columns at a time with AVX2: the same
// additions in the same order as the scalar loop, so the same bits).
void sum_columns_portable(const float* x, long n, long stride, long w, double* acc) {
  for (long j = 0; j < n; j++)
    for (long i = 0; i < w; i++) acc[i] += x[j * stride + i];
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void sum_columns_avx2(const float* x, long n, long stride, long w,
                                                           double* acc) {
  // Row by row (contiguous reads), the w accumulators staying in L1.
  const long w4 = w / 4 * 4;
  for (long j = 0; j < n; j++) {
    const float* r = x + j * stride;
    for (long i = 0; i < w4; i += 4)
      _mm256_storeu_pd(acc + i, _mm256_add_pd(_mm256_loadu_pd(acc + i), _mm256_cvtps_pd(_mm_loadu_ps(r + i))));
    for (long i = w4; i < w; i++) acc[i] += r[i];
  }
}
#endif

void sum_columns(const float* x, long n, long stride, long w, double* acc) {
#if defined(__x86_64__)
  if (has_avx2_fma()) {
    sum_columns_avx2(x, n, stride, w, acc);
    return;
  }
#endif
  sum_columns_portable(x, n, stride, w, acc);
}

}  // namespace

void reduce(const ReduceArgs& a) {
  if (a.inner == 1) {
    split(a.outer, static_cast<double>(a.outer) * a.n, [=, &a](long o0, long o1) {
      for (long o = o0; o < o1; o++) a.out[o] = static_cast<float>(reduce_row(a.op, a.x + o * a.n, a.n, 1));
    });
    return;
  }
  if (a.outer == 0 || a.inner == 0) return;  // nothing to write (and the block sizes below divide by both)
  // Columns of each outer slice, accumulated a row at a time so that the reads stay contiguous. Tasks take a
  // block of columns of one slice: a bias gradient (outer = 1, n = 4096 rows, inner = 1024 columns) then runs on
  // every thread, where splitting over slices alone left it on one. Each column is still summed over j in order,
  // so the bits do not depend on the split.
  const long per_slice = std::max(1L, chunks_for(static_cast<double>(a.outer) * a.n * a.inner, 1 << 15) / a.outer);
  const long blocks = std::min(per_slice, (a.inner + 63) / 64);
  const long block = (a.inner + blocks - 1) / blocks;
  split(a.outer * blocks, static_cast<double>(a.outer) * a.n * a.inner, [=, &a](long t0, long t1) {
    std::vector<double> acc(block), sums;
    for (long t = t0; t < t1; t++) {
      const long o = t / blocks, c0 = (t % blocks) * block, w = std::min(block, a.inner - c0);
      const float* base = a.x + o * a.n * a.inner + c0;
      switch (a.op) {
        case Reduce::Sum:
          std::fill(acc.begin(), acc.end(), 0.0);
          sum_columns(base, a.n, a.inner, w, acc.data());
          break;
        case Reduce::Max:
        case Reduce::Min: {
          bool is_max = a.op == Reduce::Max;
          std::fill(acc.begin(), acc.end(), is_max ? -kInf : kInf);
          for (long j = 0; j < a.n; j++)
            for (long i = 0; i < w; i++) {
              double v = base[j * a.inner + i];
              double cur = acc[i];
              if ((is_max ? v > cur : v < cur) || v != v) acc[i] = v;
            }
          break;
        }
        case Reduce::Logsumexp: {
          std::fill(acc.begin(), acc.end(), -kInf);
          for (long j = 0; j < a.n; j++)
            for (long i = 0; i < w; i++) {
              double v = base[j * a.inner + i];
              if (v > acc[i] || v != v) acc[i] = v;
            }
          sums.assign(w, 0.0);
          for (long j = 0; j < a.n; j++)
            for (long i = 0; i < w; i++) {
              double m = acc[i];
              sums[i] += m == -kInf ? 0 : std::exp(base[j * a.inner + i] - m);
            }
          for (long i = 0; i < w; i++) {
            double m = acc[i];
            acc[i] = (m == -kInf || m == kInf) ? m : m + std::log(sums[i]);
          }
          break;
        }
      }
      for (long i = 0; i < w; i++) a.out[o * a.inner + c0 + i] = static_cast<float>(acc[i]);
    }
  });
}

template <typename T>
void arg_reduce_as(const ArgReduceArgs& a) {
  const bool is_max = a.op == ArgReduce::Argmax;
  split(a.outer * a.inner, static_cast<double>(a.outer) * a.n * a.inner, [=, &a](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      long o = r / a.inner, i = r % a.inner;
      const T* base = static_cast<const T*>(a.x) + o * a.n * a.inner + i;
      T best = base[0];
      int32_t best_index = 0;
      // A NaN counts as the maximum (and minimum), as in PyTorch: the first one wins.
      if (best == best) {
        for (long j = 1; j < a.n; j++) {
          T v = base[j * a.inner];
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
      a.out[r] = best_index;
    }
  });
}


// Entry point from the generated glue.
void arg_reduce(const ArgReduceArgs& a) {
  with_element_type(a.x_dtype, [&](auto t) { arg_reduce_as<decltype(t)>(a); });
}

}  // namespace attn
