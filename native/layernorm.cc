// Layer normalisation over the last n elements of each row (biased variance, as torch.nn.LayerNorm), and its
// gradient. dγ and dβ sum over rows: each thread sums a fixed block of rows in double, and the blocks are then
// added in block order, so the result depends only on the thread count.
#include <cmath>
#include <vector>

#include "kernels.h"
#include "thread_pool.h"

namespace attn {

void layer_norm(const float* x, const float* gamma, const float* beta, long rows, long n, double eps, float* out,
                float* mean, float* rstd) {
  int chunks = chunks_for(static_cast<double>(rows) * n * 3, 1 << 15);
  if (chunks > rows) chunks = static_cast<int>(rows);
  if (chunks < 1) chunks = 1;
  long per = (rows + chunks - 1) / chunks;
  parallel_for(chunks, [&](int t) {
    long r1 = std::min(rows, (t + 1) * per);
    for (long r = t * per; r < r1; r++) {
      const float* px = x + r * n;
      float* po = out + r * n;
      double s = 0;
      for (long i = 0; i < n; i++) s += px[i];
      double mu = s / n;
      double v = 0;
      for (long i = 0; i < n; i++) {
        double d = px[i] - mu;
        v += d * d;
      }
      double inv = 1 / std::sqrt(v / n + eps);
      mean[r] = static_cast<float>(mu);
      rstd[r] = static_cast<float>(inv);
      for (long i = 0; i < n; i++) {
        double y = (px[i] - mu) * inv;
        if (gamma) y *= gamma[i];
        if (beta) y += beta[i];
        po[i] = static_cast<float>(y);
      }
    }
  });
}

void layer_norm_grad(const float* x, const float* gamma, const float* mean, const float* rstd, const float* dy,
                     long rows, long n, float* dx, float* d_gamma, float* d_beta) {
  int chunks = chunks_for(static_cast<double>(rows) * n * 4, 1 << 15);
  if (chunks > rows) chunks = static_cast<int>(rows);
  if (chunks < 1) chunks = 1;
  long per = (rows + chunks - 1) / chunks;
  std::vector<double> dg(d_gamma ? static_cast<size_t>(chunks) * n : 0, 0.0);
  std::vector<double> db(d_beta ? static_cast<size_t>(chunks) * n : 0, 0.0);
  parallel_for(chunks, [&](int t) {
    double* g_acc = d_gamma ? dg.data() + static_cast<size_t>(t) * n : nullptr;
    double* b_acc = d_beta ? db.data() + static_cast<size_t>(t) * n : nullptr;
    long r1 = std::min(rows, (t + 1) * per);
    for (long r = t * per; r < r1; r++) {
      const float* px = x + r * n;
      const float* pdy = dy + r * n;
      // The reference reads the stored float32 mean and rstd.
      double mu = mean[r];
      double inv = rstd[r];
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
      float* pdx = dx + r * n;
      for (long i = 0; i < n; i++) {
        double xh = (px[i] - mu) * inv;
        double g = gamma ? static_cast<double>(pdy[i]) * gamma[i] : pdy[i];
        pdx[i] = static_cast<float>(inv * (g - mean_g - xh * mean_gx));
      }
    }
  });
  for (long i = 0; i < n; i++) {
    if (d_gamma) {
      double s = 0;
      for (int t = 0; t < chunks; t++) s += dg[static_cast<size_t>(t) * n + i];
      d_gamma[i] = static_cast<float>(s);
    }
    if (d_beta) {
      double s = 0;
      for (int t = 0; t < chunks; t++) s += db[static_cast<size_t>(t) * n + i];
      d_beta[i] = static_cast<float>(s);
    }
  }
}

}  // namespace attn
