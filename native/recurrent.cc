// Fused GRU and LSTM steps (Backend.gruCell, gruCellGrad, lstmCell, lstmCellGrad; src/backend/js/recurrent.ts is
// the reference). Purely elementwise over the B·H elements of a step: chunks of whole batch rows go to the pool,
// and every element depends only on its own inputs, so results do not depend on the thread count.
#include <algorithm>
#include <cmath>

#include "cpu.h"
#include "kernels.h"
#include "simd_tanh.h"
#include "thread_pool.h"

namespace attn {
namespace {

inline double sigmoid(double v) {
  if (v >= 0) return 1 / (1 + std::exp(-v));
  double e = std::exp(v);
  return e / (1 + e);
}

// Runs fn(i0, i1) over [0, batch·hidden) in chunks of whole rows.
template <typename Fn>
void over_rows(long batch, long hidden, double cost, const Fn& fn) {
  long n = batch * hidden;
  int chunks = chunks_for(static_cast<double>(n) * cost, 1 << 14);
  if (chunks > batch) chunks = static_cast<int>(batch);
  if (chunks <= 1) {
    fn(0L, n);
    return;
  }
  long per = (batch + chunks - 1) / chunks;
  parallel_for(chunks, [&](int t) {
    long r0 = t * per, r1 = std::min(batch, r0 + per);
    if (r0 < r1) fn(r0 * hidden, r1 * hidden);
  });
}

#if defined(__x86_64__)
// The GRU step 8 elements at a time in float (SIMD sigmoid and tanh); the last partial block of a chunk goes
// through padded copies, so every element takes the same path whatever the chunking.
__attribute__((target("avx2,fma"))) void gru_cell_avx2(const float* xg, const float* hg, const float* h,
                                                      const float* bias_hn, long n, long hidden, long i0, long i1,
                                                      float* h_new, float* gates) {
  for (long i = i0; i < i1; i += 8) {
    const long len = std::min(8L, i1 - i);
    alignas(32) float v[7][8] = {};
    for (long l = 0; l < len; l++) {
      v[0][l] = xg[i + l];
      v[1][l] = hg[i + l];
      v[2][l] = xg[n + i + l];
      v[3][l] = hg[n + i + l];
      v[4][l] = xg[2 * n + i + l];
      v[5][l] = hg[2 * n + i + l] + (bias_hn ? bias_hn[(i + l) % hidden] : 0.0f);
      v[6][l] = h[i + l];
    }
    __m256 r = sigmoid256(_mm256_add_ps(_mm256_load_ps(v[0]), _mm256_load_ps(v[1])));
    __m256 z = sigmoid256(_mm256_add_ps(_mm256_load_ps(v[2]), _mm256_load_ps(v[3])));
    __m256 c = tanh256(_mm256_fmadd_ps(r, _mm256_load_ps(v[5]), _mm256_load_ps(v[4])));
    __m256 hn = _mm256_fmadd_ps(z, _mm256_sub_ps(_mm256_load_ps(v[6]), c), c);
    _mm256_store_ps(v[0], r);
    _mm256_store_ps(v[1], z);
    _mm256_store_ps(v[2], c);
    _mm256_store_ps(v[3], hn);
    for (long l = 0; l < len; l++) {
      gates[i + l] = v[0][l];
      gates[n + i + l] = v[1][l];
      gates[2 * n + i + l] = v[2][l];
      h_new[i + l] = v[3][l];
    }
  }
}
#endif

}  // namespace

void gru_cell(const float* xg, const float* hg, const float* h, const float* bias_hn, long batch, long hidden,
              float* h_new, float* gates) {
  const long n = batch * hidden;
#if defined(__x86_64__)
  if (has_avx2_fma()) {
    over_rows(batch, hidden, 10, [&](long i0, long i1) {
      gru_cell_avx2(xg, hg, h, bias_hn, n, hidden, i0, i1, h_new, gates);
    });
    return;
  }
#endif
  over_rows(batch, hidden, 40, [&](long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      float r = static_cast<float>(sigmoid(static_cast<double>(xg[i]) + hg[i]));
      float z = static_cast<float>(sigmoid(static_cast<double>(xg[n + i]) + hg[n + i]));
      float hn = bias_hn ? hg[2 * n + i] + bias_hn[i % hidden] : hg[2 * n + i];
      float c = static_cast<float>(std::tanh(static_cast<double>(xg[2 * n + i]) + static_cast<double>(r) * hn));
      gates[i] = r;
      gates[n + i] = z;
      gates[2 * n + i] = c;
      h_new[i] = static_cast<float>(c + static_cast<double>(z) * (static_cast<double>(h[i]) - c));
    }
  });
}

void gru_cell_grad(const float* hg, const float* h, const float* bias_hn, const float* gates, const float* dh_new,
                   long batch, long hidden, float* dxg, float* dhg, float* dh) {
  const long n = batch * hidden;
  over_rows(batch, hidden, 20, [&](long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      double r = gates[i], z = gates[n + i], c = gates[2 * n + i];
      float hn = bias_hn ? hg[2 * n + i] + bias_hn[i % hidden] : hg[2 * n + i];
      double g = dh_new[i];
      dh[i] = static_cast<float>(g * z);
      double dn = g * (1 - z) * (1 - c * c);
      double dz = g * (h[i] - c) * z * (1 - z);
      double dr = dn * hn * r * (1 - r);
      dxg[i] = dhg[i] = static_cast<float>(dr);
      dxg[n + i] = dhg[n + i] = static_cast<float>(dz);
      dxg[2 * n + i] = static_cast<float>(dn);
      dhg[2 * n + i] = static_cast<float>(dn * r);
    }
  });
}

void lstm_cell(const float* xg, const float* hg, const float* c, long batch, long hidden, float* h_new,
               float* c_new, float* gates) {
  const long n = batch * hidden;
  over_rows(batch, hidden, 50, [&](long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      float ig = static_cast<float>(sigmoid(static_cast<double>(xg[i]) + hg[i]));
      float fg = static_cast<float>(sigmoid(static_cast<double>(xg[n + i]) + hg[n + i]));
      float gg = static_cast<float>(std::tanh(static_cast<double>(xg[2 * n + i]) + hg[2 * n + i]));
      float og = static_cast<float>(sigmoid(static_cast<double>(xg[3 * n + i]) + hg[3 * n + i]));
      gates[i] = ig;
      gates[n + i] = fg;
      gates[2 * n + i] = gg;
      gates[3 * n + i] = og;
      float cn = static_cast<float>(static_cast<double>(fg) * c[i] + static_cast<double>(ig) * gg);
      c_new[i] = cn;
      h_new[i] = static_cast<float>(og * std::tanh(static_cast<double>(cn)));
    }
  });
}

void lstm_cell_grad(const float* c, const float* c_new, const float* gates, const float* dh_new,
                    const float* dc_new, long batch, long hidden, float* d_pre, float* dc) {
  const long n = batch * hidden;
  over_rows(batch, hidden, 30, [&](long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      double ig = gates[i], fg = gates[n + i], gg = gates[2 * n + i], og = gates[3 * n + i];
      double tc = std::tanh(static_cast<double>(c_new[i]));
      double dhv = dh_new[i];
      double dct = dc_new[i] + dhv * og * (1 - tc * tc);
      dc[i] = static_cast<float>(dct * fg);
      d_pre[i] = static_cast<float>(dct * gg * ig * (1 - ig));
      d_pre[n + i] = static_cast<float>(dct * c[i] * fg * (1 - fg));
      d_pre[2 * n + i] = static_cast<float>(dct * ig * (1 - gg * gg));
      d_pre[3 * n + i] = static_cast<float>(dhv * tc * og * (1 - og));
    }
  });
}

}  // namespace attn
