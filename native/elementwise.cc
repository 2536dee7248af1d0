// Elementwise kernels: unary maths and its derivatives, clamp, broadcasting binary ops, comparisons and where.
// Arithmetic is done in double and rounded once, as the JavaScript reference does, so results agree to the ulp
// wherever the maths library does. The switch runs once per run of elements, never per element.
#include <cmath>

#include "cpu.h"
#include "kernels.h"
#include "simd_tanh.h"
#include "strided.h"

namespace attn {
namespace {

// Same error function as src/backend/js/erf.ts (Chebyshev fit of erfc, about 1.2e-7 relative error), so GELU
// matches the reference bit for bit in most cases.
inline double erf_ref(double x) {
  double z = std::fabs(x);
  double t = 1 / (1 + 0.5 * z);
  double p =
      -1.26551223 +
      t * (1.00002368 +
           t * (0.37409196 +
                t * (0.09678418 +
                     t * (-0.18628806 +
                          t * (0.27886807 +
                               t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  double erfc = t * std::exp(-z * z + p);
  return x >= 0 ? 1 - erfc : erfc - 1;
}

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

inline double gelu(double x) { return 0.5 * x * (1 + erf_ref(x * kInvSqrt2)); }
inline double gelu_grad(double x) {
  return 0.5 * (1 + erf_ref(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(-0.5 * x * x);
}

template <typename F>
void each(long n, F f) {
  int chunks = chunks_for(static_cast<double>(n), 1 << 15);
  if (chunks <= 1) {
    f(0L, n);
    return;
  }
  long per = (n + chunks - 1) / chunks;
  parallel_for(chunks, [&](int t) {
    long i0 = t * per;
    long i1 = std::min(n, i0 + per);
    if (i0 < i1) f(i0, i1);
  });
}

#if defined(__x86_64__)
// tanh and sigmoid, 8 lanes at a time; the last partial block goes through a padded copy so that every element
// is computed by the same function whatever the chunking (same bits for every thread count).
template <__m256 (*F)(__m256)>
__attribute__((target("avx2,fma"))) void map_avx2(const float* x, float* out, long i0, long i1) {
  long i = i0;
  for (; i + 8 <= i1; i += 8) _mm256_storeu_ps(out + i, F(_mm256_loadu_ps(x + i)));
  if (i < i1) {
    alignas(32) float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (long j = i; j < i1; j++) tmp[j - i] = x[j];
    _mm256_store_ps(tmp, F(_mm256_load_ps(tmp)));
    for (long j = i; j < i1; j++) out[j] = tmp[j - i];
  }
}
#endif

}  // namespace

// The loops' lambdas copy the fields they read: pointers held in registers, not reloaded through `a` after every
// call (std::exp), keep an 8-element call as fast as before.
void unary(const UnaryArgs& a) {
#if defined(__x86_64__)
  if ((a.op == Unary::Tanh || a.op == Unary::Sigmoid) && has_avx2_fma()) {
    each(a.x_len, [=, &a](long i0, long i1) {
      if (a.op == Unary::Tanh)
        map_avx2<tanh256>(a.x, a.out, i0, i1);
      else
        map_avx2<sigmoid256>(a.x, a.out, i0, i1);
    });
    return;
  }
#endif
  each(a.x_len, [op = a.op, x = a.x, out = a.out](long i0, long i1) {
    switch (op) {
      case Unary::Neg:
        for (long i = i0; i < i1; i++) out[i] = -x[i];
        return;
      case Unary::Exp:
        for (long i = i0; i < i1; i++) out[i] = static_cast<float>(std::exp(static_cast<double>(x[i])));
        return;
      case Unary::Log:
        for (long i = i0; i < i1; i++) out[i] = static_cast<float>(std::log(static_cast<double>(x[i])));
        return;
      case Unary::Sqrt:
        for (long i = i0; i < i1; i++) out[i] = std::sqrt(x[i]);
        return;
      case Unary::Abs:
        for (long i = i0; i < i1; i++) out[i] = std::fabs(x[i]);
        return;
      case Unary::Tanh:
        for (long i = i0; i < i1; i++) out[i] = static_cast<float>(std::tanh(static_cast<double>(x[i])));
        return;
      case Unary::Sigmoid:
        for (long i = i0; i < i1; i++) {
          double v = x[i];
          // Two branches keep exp's argument non-positive, so neither overflows.
          if (v >= 0) {
            out[i] = static_cast<float>(1 / (1 + std::exp(-v)));
          } else {
            double e = std::exp(v);
            out[i] = static_cast<float>(e / (1 + e));
          }
        }
        return;
      case Unary::Relu:
        for (long i = i0; i < i1; i++) out[i] = x[i] > 0 ? x[i] : 0.0f;
        return;
      case Unary::Gelu:
        for (long i = i0; i < i1; i++) out[i] = static_cast<float>(gelu(x[i]));
        return;
      case Unary::Sign:
        for (long i = i0; i < i1; i++) out[i] = x[i] > 0 ? 1.0f : x[i] < 0 ? -1.0f : 0.0f;
        return;
      case Unary::Square:
        for (long i = i0; i < i1; i++) out[i] = static_cast<float>(static_cast<double>(x[i]) * x[i]);
        return;
      case Unary::Reciprocal:
        for (long i = i0; i < i1; i++) out[i] = static_cast<float>(1.0 / x[i]);
        return;
    }
  });
}

void unary_grad(const UnaryGradArgs& a) {
  each(a.x_len, [op = a.op, x = a.x, y = a.y, dy = a.dy, dx = a.dx](long i0, long i1) {
    switch (op) {
      case Unary::Neg:
        for (long i = i0; i < i1; i++) dx[i] = -dy[i];
        return;
      case Unary::Exp:
        for (long i = i0; i < i1; i++) dx[i] = static_cast<float>(static_cast<double>(dy[i]) * y[i]);
        return;
      case Unary::Log:
        for (long i = i0; i < i1; i++) dx[i] = static_cast<float>(static_cast<double>(dy[i]) / x[i]);
        return;
      case Unary::Sqrt:
        for (long i = i0; i < i1; i++) dx[i] = static_cast<float>(dy[i] / (2.0 * y[i]));
        return;
      case Unary::Abs:
        // PyTorch's convention: the gradient of |x| at 0 is 0.
        for (long i = i0; i < i1; i++) {
          float g = dy[i];  // read unconditionally, as for relu below: a select, not a branch
          dx[i] = x[i] > 0 ? g : x[i] < 0 ? -g : 0.0f;
        }
        return;
      case Unary::Tanh:
        for (long i = i0; i < i1; i++) {
          double yy = y[i];
          dx[i] = static_cast<float>(dy[i] * (1 - yy * yy));
        }
        return;
      case Unary::Sigmoid:
        for (long i = i0; i < i1; i++) {
          double yy = y[i];
          dx[i] = static_cast<float>(dy[i] * yy * (1 - yy));
        }
        return;
      case Unary::Relu:
        // dy is read unconditionally so that the loop compiles to a select rather than a branch on the sign of
        // x, which is a coin toss on real activations (a branch costs about 8× the whole loop there).
        for (long i = i0; i < i1; i++) {
          float g = dy[i];
          dx[i] = x[i] > 0 ? g : 0.0f;
        }
        return;
      case Unary::Gelu:
        for (long i = i0; i < i1; i++) dx[i] = static_cast<float>(dy[i] * gelu_grad(x[i]));
        return;
      case Unary::Sign:
        for (long i = i0; i < i1; i++) dx[i] = 0.0f;
        return;
      case Unary::Square:
        for (long i = i0; i < i1; i++) dx[i] = static_cast<float>(2.0 * x[i] * dy[i]);
        return;
      case Unary::Reciprocal:
        for (long i = i0; i < i1; i++) {
          double yy = y[i];
          dx[i] = static_cast<float>(-dy[i] * yy * yy);
        }
        return;
    }
  });
}

void clamp(const ClampArgs& a) {
  const float lo = static_cast<float>(a.lo), hi = static_cast<float>(a.hi);
  each(a.x_len, [=, &a](long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      float v = a.x[i];
      a.out[i] = v < lo ? lo : v > hi ? hi : v;
    }
  });
}

void binary(const BinaryArgs& args) {
  if (prod(args.shape) == 0) return;
  Collapsed c = collapse(args.shape, {args.aStrides, args.bStrides});
  const long base[2] = {0, 0};
  walk<2>(c, base, [=, &args](const long* off, const long* st, long count, long o0) {
    const float* pa = args.a + off[0];
    const float* pb = args.b + off[1];
    const long sa = st[0], sb = st[1];
    float* po = args.out + o0;
    switch (args.op) {
      case Binary::Add:
        for (long i = 0; i < count; i++) po[i] = pa[i * sa] + pb[i * sb];
        return;
      case Binary::Sub:
        for (long i = 0; i < count; i++) po[i] = pa[i * sa] - pb[i * sb];
        return;
      case Binary::Mul:
        for (long i = 0; i < count; i++) po[i] = pa[i * sa] * pb[i * sb];
        return;
      case Binary::Div:
        for (long i = 0; i < count; i++) po[i] = pa[i * sa] / pb[i * sb];
        return;
      case Binary::Pow:
        for (long i = 0; i < count; i++)
          po[i] = static_cast<float>(std::pow(static_cast<double>(pa[i * sa]), static_cast<double>(pb[i * sb])));
        return;
      case Binary::Maximum:
        // NaN propagates, as in PyTorch.
        for (long i = 0; i < count; i++) {
          float u = pa[i * sa], v = pb[i * sb];
          po[i] = (u > v || u != u) ? u : v;
        }
        return;
      case Binary::Minimum:
        for (long i = 0; i < count; i++) {
          float u = pa[i * sa], v = pb[i * sb];
          po[i] = (u < v || u != u) ? u : v;
        }
        return;
    }
  });
}

template <typename T>
void compare_as(const CompareArgs& args) {
  if (prod(args.shape) == 0) return;
  Collapsed c = collapse(args.shape, {args.aStrides, args.bStrides});
  const long base[2] = {0, 0};
  walk<2>(c, base, [=, &args](const long* off, const long* st, long count, long o0) {
    const T* pa = static_cast<const T*>(args.a) + off[0];
    const T* pb = static_cast<const T*>(args.b) + off[1];
    const long sa = st[0], sb = st[1];
    uint8_t* po = args.out + o0;
    switch (args.op) {
      case Compare::Eq:
        for (long i = 0; i < count; i++) po[i] = pa[i * sa] == pb[i * sb];
        return;
      case Compare::Ne:
        for (long i = 0; i < count; i++) po[i] = pa[i * sa] != pb[i * sb];
        return;
      case Compare::Lt:
        for (long i = 0; i < count; i++) po[i] = pa[i * sa] < pb[i * sb];
        return;
      case Compare::Le:
        for (long i = 0; i < count; i++) po[i] = pa[i * sa] <= pb[i * sb];
        return;
      case Compare::Gt:
        for (long i = 0; i < count; i++) po[i] = pa[i * sa] > pb[i * sb];
        return;
      case Compare::Ge:
        for (long i = 0; i < count; i++) po[i] = pa[i * sa] >= pb[i * sb];
        return;
    }
  });
}

template <typename T>
void where_as(const WhereArgs& args) {
  if (prod(args.shape) == 0) return;
  Collapsed c = collapse(args.shape, {args.condStrides, args.aStrides, args.bStrides});
  const long base[3] = {0, 0, 0};
  walk<3>(c, base, [=, &args](const long* off, const long* st, long count, long o0) {
    const uint8_t* pc = args.cond + off[0];
    const T* pa = static_cast<const T*>(args.a) + off[1];
    const T* pb = static_cast<const T*>(args.b) + off[2];
    T* po = static_cast<T*>(args.out) + o0;
    for (long i = 0; i < count; i++) po[i] = pc[i * st[0]] ? pa[i * st[1]] : pb[i * st[2]];
  });
}


// Entry points from the generated glue.
void compare(const CompareArgs& a) { with_element_type(a.a_dtype, [&](auto t) { compare_as<decltype(t)>(a); }); }

void where(const WhereArgs& a) { with_element_type(a.a_dtype, [&](auto t) { where_as<decltype(t)>(a); }); }

}  // namespace attn
