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

// Where gate g of element (b, j) sits in the pre-activations: b·row + g·gate + j. Gate-major [3, B, H]:
// row = H, gate = B·H; rows [B, 3H] (each row r | z | n, as one GEMM h·W_hhᵀ writes it): row = 3H, gate = H.
struct GateLayout {
  long row, gate;
};

GateLayout gate_layout(bool rows, long batch, long hidden) {
  return rows ? GateLayout{3 * hidden, hidden} : GateLayout{hidden, batch * hidden};
}

// Runs fn(b0, b1) over chunks of whole rows.
template <typename Fn>
void over_batch_rows(long batch, long hidden, double cost, const Fn& fn) {
  long n = batch * hidden;
  int chunks = chunks_for(static_cast<double>(n) * cost, 1 << 14);
  if (chunks > batch) chunks = static_cast<int>(batch);
  if (chunks <= 1) {
    fn(0L, batch);
    return;
  }
  long per = (batch + chunks - 1) / chunks;
  parallel_for(chunks, [&](int t) {
    long b0 = t * per, b1 = std::min(batch, b0 + per);
    if (b0 < b1) fn(b0, b1);
  });
}

#if defined(__x86_64__)
// The GRU step of rows [b0, b1), 8 elements of a row at a time in float (SIMD sigmoid and tanh); a row's last
// partial block goes through padded copies, so every element takes the same path whatever the chunking.
__attribute__((target("avx2,fma"))) void gru_cell_avx2(const float* xg, const float* hg, const float* h,
                                                      const float* bias_hn, long hidden, GateLayout L, long b0,
                                                      long b1, float* h_new, float* gates) {
  for (long b = b0; b < b1; b++) {
    const long g0 = b * L.row, s0 = b * hidden;
    for (long j = 0; j < hidden; j += 8) {
      const long len = std::min(8L, hidden - j);
      alignas(32) float v[7][8] = {};
      for (long l = 0; l < len; l++) {
        const long o = g0 + j + l;
        v[0][l] = xg[o];
        v[1][l] = hg[o];
        v[2][l] = xg[L.gate + o];
        v[3][l] = hg[L.gate + o];
        v[4][l] = xg[2 * L.gate + o];
        v[5][l] = hg[2 * L.gate + o] + (bias_hn ? bias_hn[j + l] : 0.0f);
        v[6][l] = h[s0 + j + l];
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
        const long o = g0 + j + l;
        gates[o] = v[0][l];
        gates[L.gate + o] = v[1][l];
        gates[2 * L.gate + o] = v[2][l];
        h_new[s0 + j + l] = v[3][l];
      }
    }
  }
}

// The GRU gradient of rows [b0, b1), 8 elements of a row at a time in float (the scalar path computes in double;
// both stay within float32 rounding of the reference), padded the same way as the forward.
__attribute__((target("avx2,fma"))) void gru_cell_grad_avx2(const float* hg, const float* h, const float* bias_hn,
                                                           const float* gates, const float* dh_new, long hidden,
                                                           GateLayout L, long b0, long b1, float* dxg, float* dhg,
                                                           float* dh) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for (long b = b0; b < b1; b++) {
    const long g0 = b * L.row, s0 = b * hidden;
    for (long j = 0; j < hidden; j += 8) {
      const long len = std::min(8L, hidden - j);
      alignas(32) float v[6][8] = {};
      for (long l = 0; l < len; l++) {
        const long o = g0 + j + l;
        v[0][l] = gates[o];
        v[1][l] = gates[L.gate + o];
        v[2][l] = gates[2 * L.gate + o];
        v[3][l] = hg[2 * L.gate + o] + (bias_hn ? bias_hn[j + l] : 0.0f);
        v[4][l] = dh_new[s0 + j + l];
        v[5][l] = h[s0 + j + l];
      }
      __m256 r = _mm256_load_ps(v[0]), z = _mm256_load_ps(v[1]), c = _mm256_load_ps(v[2]);
      __m256 hn = _mm256_load_ps(v[3]), g = _mm256_load_ps(v[4]), hp = _mm256_load_ps(v[5]);
      __m256 dhv = _mm256_mul_ps(g, z);
      __m256 dn = _mm256_mul_ps(_mm256_mul_ps(g, _mm256_sub_ps(one, z)), _mm256_fnmadd_ps(c, c, one));
      __m256 dz = _mm256_mul_ps(_mm256_mul_ps(g, _mm256_sub_ps(hp, c)), _mm256_mul_ps(z, _mm256_sub_ps(one, z)));
      __m256 dr = _mm256_mul_ps(_mm256_mul_ps(dn, hn), _mm256_mul_ps(r, _mm256_sub_ps(one, r)));
      __m256 dnr = _mm256_mul_ps(dn, r);
      _mm256_store_ps(v[0], dr);
      _mm256_store_ps(v[1], dz);
      _mm256_store_ps(v[2], dn);
      _mm256_store_ps(v[3], dnr);
      _mm256_store_ps(v[4], dhv);
      for (long l = 0; l < len; l++) {
        const long o = g0 + j + l;
        dxg[o] = dhg[o] = v[0][l];
        dxg[L.gate + o] = dhg[L.gate + o] = v[1][l];
        dxg[2 * L.gate + o] = v[2][l];
        dhg[2 * L.gate + o] = v[3][l];
        dh[s0 + j + l] = v[4][l];
      }
    }
  }
}
#endif

}  // namespace

void gru_cell(const float* xg, const float* hg, const float* h, const float* bias_hn, long batch, long hidden,
              bool rows, float* h_new, float* gates) {
  const GateLayout L = gate_layout(rows, batch, hidden);
#if defined(__x86_64__)
  if (has_avx2_fma()) {
    over_batch_rows(batch, hidden, 10, [&](long b0, long b1) {
      gru_cell_avx2(xg, hg, h, bias_hn, hidden, L, b0, b1, h_new, gates);
    });
    return;
  }
#endif
  over_batch_rows(batch, hidden, 40, [&](long b0, long b1) {
    for (long b = b0; b < b1; b++)
      for (long j = 0; j < hidden; j++) {
        const long o = b * L.row + j, i = b * hidden + j;
        float r = static_cast<float>(sigmoid(static_cast<double>(xg[o]) + hg[o]));
        float z = static_cast<float>(sigmoid(static_cast<double>(xg[L.gate + o]) + hg[L.gate + o]));
        float hn = bias_hn ? hg[2 * L.gate + o] + bias_hn[j] : hg[2 * L.gate + o];
        float c = static_cast<float>(std::tanh(static_cast<double>(xg[2 * L.gate + o]) + static_cast<double>(r) * hn));
        gates[o] = r;
        gates[L.gate + o] = z;
        gates[2 * L.gate + o] = c;
        h_new[i] = static_cast<float>(c + static_cast<double>(z) * (static_cast<double>(h[i]) - c));
      }
  });
}

void gru_cell_grad(const float* hg, const float* h, const float* bias_hn, const float* gates, const float* dh_new,
                   long batch, long hidden, bool rows, float* dxg, float* dhg, float* dh) {
  const GateLayout L = gate_layout(rows, batch, hidden);
#if defined(__x86_64__)
  if (has_avx2_fma()) {
    over_batch_rows(batch, hidden, 8, [&](long b0, long b1) {
      gru_cell_grad_avx2(hg, h, bias_hn, gates, dh_new, hidden, L, b0, b1, dxg, dhg, dh);
    });
    return;
  }
#endif
  over_batch_rows(batch, hidden, 20, [&](long b0, long b1) {
    for (long b = b0; b < b1; b++)
      for (long j = 0; j < hidden; j++) {
        const long o = b * L.row + j, i = b * hidden + j;
        double r = gates[o], z = gates[L.gate + o], c = gates[2 * L.gate + o];
        float hn = bias_hn ? hg[2 * L.gate + o] + bias_hn[j] : hg[2 * L.gate + o];
        double g = dh_new[i];
        dh[i] = static_cast<float>(g * z);
        double dn = g * (1 - z) * (1 - c * c);
        double dz = g * (h[i] - c) * z * (1 - z);
        double dr = dn * hn * r * (1 - r);
        dxg[o] = dhg[o] = static_cast<float>(dr);
        dxg[L.gate + o] = dhg[L.gate + o] = static_cast<float>(dz);
        dxg[2 * L.gate + o] = static_cast<float>(dn);
        dhg[2 * L.gate + o] = static_cast<float>(dn * r);
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
