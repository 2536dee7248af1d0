// Fused GRU and LSTM steps (Backend.gruCell, gruCellGrad, lstmCell, lstmCellGrad; src/backend/js/recurrent.ts is
// the reference). Purely elementwise over the B·H elements of a step: chunks of whole batch rows go to the pool,
// and every element depends only on its own inputs, so results do not depend on the thread count.
#include <algorithm>
#include <cmath>

#include "kernels.h"
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

}  // namespace

void gru_cell(const float* xg, const float* hg, const float* h, const float* bias_hn, long batch, long hidden,
              float* h_new, float* gates) {
  const long n = batch * hidden;
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
