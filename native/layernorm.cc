// Layer normalisation over the last n elements of each row (biased variance, as torch.nn.LayerNorm), and its
// gradient. dγ and dβ sum over rows: each thread sums a fixed block of rows in double, and the blocks are then
// added in block order, so the result depends only on the thread count.
//
// Arithmetic is in double as in the JavaScript reference. With AVX2 a row runs four doubles at a time (the
// reference's sums are then added in another order, a difference far below float32's precision); the portable
// loops are the reference's, element by element. The scalar double sums were a chain of dependent additions,
// 3-4 ms per 4096×256 call: most of a Transformer's layer norm time.
#include <cmath>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu.h"
#include "kernels.h"
#include "thread_pool.h"

namespace attn {
namespace {

struct RowStats {
  double mu, inv;
};

RowStats stats_portable(const float* px, long n, double eps) {
  double s = 0;
  for (long i = 0; i < n; i++) s += px[i];
  double mu = s / n;
  double v = 0;
  for (long i = 0; i < n; i++) {
    double d = px[i] - mu;
    v += d * d;
  }
  return {mu, 1 / std::sqrt(v / n + eps)};
}

void norm_row_portable(const float* px, const float* gamma, const float* beta, long n, RowStats st, float* po) {
  for (long i = 0; i < n; i++) {
    double y = (px[i] - st.mu) * st.inv;
    if (gamma) y *= gamma[i];
    if (beta) y += beta[i];
    po[i] = static_cast<float>(y);
  }
}

// Σ g and Σ g·x̂ of one row (g = dy·γ), adding dy·x̂ and dy into the row sums of dγ and dβ; then dx.
void grad_row_portable(const float* px, const float* pdy, const float* gamma, long n, double mu, double inv,
                       double* g_acc, double* b_acc, float* pdx) {
  double sum_g = 0, sum_gx = 0;
  for (long i = 0; i < n; i++) {
    double xh = (px[i] - mu) * inv;
    double d = pdy[i];
    double g = gamma ? d * gamma[i] : d;
    sum_g += g;
    sum_gx += g * xh;
    if (g_acc) g_acc[i] += d * xh;
    if (b_acc) b_acc[i] += d;
  }
  double mean_g = sum_g / n, mean_gx = sum_gx / n;
  for (long i = 0; i < n; i++) {
    double xh = (px[i] - mu) * inv;
    double g = gamma ? static_cast<double>(pdy[i]) * gamma[i] : pdy[i];
    pdx[i] = static_cast<float>(inv * (g - mean_g - xh * mean_gx));
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) inline __m256d load4(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }

__attribute__((target("avx2,fma"))) inline double hsum(__m256d v) {
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, v);
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

__attribute__((target("avx2,fma"))) RowStats stats_avx2(const float* px, long n, double eps) {
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    a0 = _mm256_add_pd(a0, load4(px + i));
    a1 = _mm256_add_pd(a1, load4(px + i + 4));
  }
  double s = hsum(_mm256_add_pd(a0, a1));
  for (; i < n; i++) s += px[i];
  const double mu = s / n;
  const __m256d m = _mm256_set1_pd(mu);
  a0 = _mm256_setzero_pd();
  a1 = _mm256_setzero_pd();
  i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256d d0 = _mm256_sub_pd(load4(px + i), m), d1 = _mm256_sub_pd(load4(px + i + 4), m);
    a0 = _mm256_fmadd_pd(d0, d0, a0);
    a1 = _mm256_fmadd_pd(d1, d1, a1);
  }
  double v = hsum(_mm256_add_pd(a0, a1));
  for (; i < n; i++) {
    double d = px[i] - mu;
    v += d * d;
  }
  return {mu, 1 / std::sqrt(v / n + eps)};
}

template <bool G, bool B>
__attribute__((target("avx2,fma"))) void norm_row_avx2(const float* px, const float* gamma, const float* beta,
                                                        long n, RowStats st, float* po) {
  const __m256d m = _mm256_set1_pd(st.mu), inv = _mm256_set1_pd(st.inv);
  long i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d y = _mm256_mul_pd(_mm256_sub_pd(load4(px + i), m), inv);
    if (G) y = _mm256_mul_pd(y, load4(gamma + i));
    if (B) y = _mm256_add_pd(y, load4(beta + i));
    _mm_storeu_ps(po + i, _mm256_cvtpd_ps(y));
  }
  for (; i < n; i++) {
    double y = (px[i] - st.mu) * st.inv;
    if (G) y *= gamma[i];
    if (B) y += beta[i];
    po[i] = static_cast<float>(y);
  }
}

template <bool G, bool ACC>
__attribute__((target("avx2,fma"))) void grad_row_avx2(const float* px, const float* pdy, const float* gamma, long n,
                                                        double mu, double inv, double* g_acc, double* b_acc,
                                                        float* pdx) {
  const __m256d m = _mm256_set1_pd(mu), vinv = _mm256_set1_pd(inv);
  __m256d sg = _mm256_setzero_pd(), sgx = _mm256_setzero_pd();
  long i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d xh = _mm256_mul_pd(_mm256_sub_pd(load4(px + i), m), vinv);
    __m256d d = load4(pdy + i);
    __m256d g = G ? _mm256_mul_pd(d, load4(gamma + i)) : d;
    sg = _mm256_add_pd(sg, g);
    sgx = _mm256_fmadd_pd(g, xh, sgx);
    if (ACC) {
      if (g_acc) _mm256_storeu_pd(g_acc + i, _mm256_fmadd_pd(d, xh, _mm256_loadu_pd(g_acc + i)));
      if (b_acc) _mm256_storeu_pd(b_acc + i, _mm256_add_pd(d, _mm256_loadu_pd(b_acc + i)));
    }
  }
  double sum_g = hsum(sg), sum_gx = hsum(sgx);
  for (long j = i; j < n; j++) {
    double xh = (px[j] - mu) * inv;
    double d = pdy[j];
    double g = G ? d * gamma[j] : d;
    sum_g += g;
    sum_gx += g * xh;
    if (ACC) {
      if (g_acc) g_acc[j] += d * xh;
      if (b_acc) b_acc[j] += d;
    }
  }
  const double mean_g = sum_g / n, mean_gx = sum_gx / n;
  const __m256d mg = _mm256_set1_pd(mean_g), mgx = _mm256_set1_pd(mean_gx);
  i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d xh = _mm256_mul_pd(_mm256_sub_pd(load4(px + i), m), vinv);
    __m256d d = load4(pdy + i);
    __m256d g = G ? _mm256_mul_pd(d, load4(gamma + i)) : d;
    // inv · (g − mean_g − x̂·mean_gx)
    __m256d r = _mm256_mul_pd(vinv, _mm256_sub_pd(_mm256_sub_pd(g, mg), _mm256_mul_pd(xh, mgx)));
    _mm_storeu_ps(pdx + i, _mm256_cvtpd_ps(r));
  }
  for (; i < n; i++) {
    double xh = (px[i] - mu) * inv;
    double g = G ? static_cast<double>(pdy[i]) * gamma[i] : pdy[i];
    pdx[i] = static_cast<float>(inv * (g - mean_g - xh * mean_gx));
  }
}
#endif

// Splits rows into chunks for the pool: at least 32 K elements of work per chunk, at most one chunk per row.
int row_chunks(long rows, long n, int per_element) {
  int chunks = chunks_for(static_cast<double>(rows) * n * per_element, 1 << 15);
  if (chunks > rows) chunks = static_cast<int>(rows);
  return chunks < 1 ? 1 : chunks;
}

}  // namespace

void layer_norm(const LayerNormArgs& a) {
  const int chunks = row_chunks(a.rows, a.n, 3);
  const long per = (a.rows + chunks - 1) / chunks;
#if defined(__x86_64__)
  const bool simd = has_avx2_fma();
#else
  const bool simd = false;
#endif
  parallel_for(chunks, [&](int t) {
    long r1 = std::min(a.rows, (t + 1) * per);
    for (long r = t * per; r < r1; r++) {
      const float* px = a.x + r * a.n;
      float* po = a.out + r * a.n;
#if defined(__x86_64__)
      if (simd) {
        RowStats st = stats_avx2(px, a.n, a.eps);
        a.mean[r] = static_cast<float>(st.mu);
        a.rstd[r] = static_cast<float>(st.inv);
        if (a.gamma && a.beta)
          norm_row_avx2<true, true>(px, a.gamma, a.beta, a.n, st, po);
        else if (a.gamma)
          norm_row_avx2<true, false>(px, a.gamma, a.beta, a.n, st, po);
        else if (a.beta)
          norm_row_avx2<false, true>(px, a.gamma, a.beta, a.n, st, po);
        else
          norm_row_avx2<false, false>(px, a.gamma, a.beta, a.n, st, po);
        continue;
      }
#endif
      RowStats st = stats_portable(px, a.n, a.eps);
      a.mean[r] = static_cast<float>(st.mu);
      a.rstd[r] = static_cast<float>(st.inv);
      norm_row_portable(px, a.gamma, a.beta, a.n, st, po);
    }
  });
}

void layer_norm_grad(const LayerNormGradArgs& a) {
  const int chunks = row_chunks(a.rows, a.n, 4);
  const long per = (a.rows + chunks - 1) / chunks;
  std::vector<double> dg(a.dGamma ? static_cast<size_t>(chunks) * a.n : 0, 0.0);
  std::vector<double> db(a.dBeta ? static_cast<size_t>(chunks) * a.n : 0, 0.0);
#if defined(__x86_64__)
  const bool simd = has_avx2_fma();
#else
  const bool simd = false;
#endif
  const bool acc = a.dGamma || a.dBeta;
  parallel_for(chunks, [&](int t) {
    double* g_acc = a.dGamma ? dg.data() + static_cast<size_t>(t) * a.n : nullptr;
    double* b_acc = a.dBeta ? db.data() + static_cast<size_t>(t) * a.n : nullptr;
    long r1 = std::min(a.rows, (t + 1) * per);
    for (long r = t * per; r < r1; r++) {
      const float* px = a.x + r * a.n;
      const float* pdy = a.dy + r * a.n;
      float* pdx = a.dx + r * a.n;
      // The reference reads the stored float32 mean and rstd.
      double mu = a.mean[r];
      double inv = a.rstd[r];
#if defined(__x86_64__)
      if (simd) {
        if (a.gamma && acc)
          grad_row_avx2<true, true>(px, pdy, a.gamma, a.n, mu, inv, g_acc, b_acc, pdx);
        else if (a.gamma)
          grad_row_avx2<true, false>(px, pdy, a.gamma, a.n, mu, inv, g_acc, b_acc, pdx);
        else if (acc)
          grad_row_avx2<false, true>(px, pdy, a.gamma, a.n, mu, inv, g_acc, b_acc, pdx);
        else
          grad_row_avx2<false, false>(px, pdy, a.gamma, a.n, mu, inv, g_acc, b_acc, pdx);
        continue;
      }
#endif
      grad_row_portable(px, pdy, a.gamma, a.n, mu, inv, g_acc, b_acc, pdx);
    }
  });
  for (long i = 0; i < a.n; i++) {
    if (a.dGamma) {
      double s = 0;
      for (int t = 0; t < chunks; t++) s += dg[static_cast<size_t>(t) * a.n + i];
      a.dGamma[i] = static_cast<float>(s);
    }
    if (a.dBeta) {
      double s = 0;
      for (int t = 0; t < chunks; t++) s += db[static_cast<size_t>(t) * a.n + i];
      a.dBeta[i] = static_cast<float>(s);
    }
  }
}

}  // namespace attn
