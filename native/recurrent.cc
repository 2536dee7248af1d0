// Fused GRU and LSTM steps (Backend.gruCell, gruCellGrad, lstmCell, lstmCellGrad; src/backend/js/recurrent.ts is
// the reference). Purely elementwise over the B·H elements of a step: chunks of whole batch rows go to the pool,
// and every element depends only on its own inputs, so results do not depend on the thread count.
#include <algorithm>
#include <cmath>

#include "cpu.h"
#include "kernels.h"
#include "simd128_math.h"
#include "simd_tanh.h"
#include "thread_pool.h"

namespace attn {
namespace {

inline double sigmoid(double v) {
  if (v >= 0) return 1 / (1 + std::exp(-v));
  double e = std::exp(v);
  return e / (1 + e);
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

// Runs fn(i0, i1) over [0, batch·hidden) in chunks of whole rows.
template <typename Fn>
void over_rows(long batch, long hidden, double cost, const Fn& fn) {
  over_batch_rows(batch, hidden, cost, [&](long b0, long b1) { fn(b0 * hidden, b1 * hidden); });
}

// Where gate g of element (b, j) sits in the pre-activations: b·row + g·gate + j. Gate-major [3, B, H]:
// row = H, gate = B·H; rows [B, 3H] (each row r | z | n, as one GEMM h·W_hhᵀ writes it): row = 3H, gate = H.
struct GateLayout {
  long row, gate;
};

GateLayout gate_layout(bool rows, long batch, long hidden) {
  return rows ? GateLayout{3 * hidden, hidden} : GateLayout{hidden, batch * hidden};
}

// Element (b, j) of a GRU step in double, as the reference: r = σ(x_r + h_r), z = σ(x_z + h_z),
// n = tanh(x_n + r·(h_n + b_hn)), h' = n + z·(h − n).
inline void gru_element(const GruCellArgs& a, GateLayout L, long b, long j) {
  const long o = b * L.row + j, i = b * a.hidden + j;
  float r = static_cast<float>(sigmoid(static_cast<double>(a.xg[o]) + a.hg[o]));
  float z = static_cast<float>(sigmoid(static_cast<double>(a.xg[L.gate + o]) + a.hg[L.gate + o]));
  float hn = a.biasHn ? a.hg[2 * L.gate + o] + a.biasHn[j] : a.hg[2 * L.gate + o];
  float c = static_cast<float>(std::tanh(static_cast<double>(a.xg[2 * L.gate + o]) + static_cast<double>(r) * hn));
  a.gates[o] = r;
  a.gates[L.gate + o] = z;
  a.gates[2 * L.gate + o] = c;
  a.hNew[i] = static_cast<float>(c + static_cast<double>(z) * (static_cast<double>(a.h[i]) - c));
}

// The gradient of element (b, j) in double: dh = g·z, dn = g·(1 − z)·(1 − n²), dz = g·(h − n)·z·(1 − z),
// dr = dn·(h_n + b_hn)·r·(1 − r); the x and h pre-activations share dr and dz, and h's n part is dn·r.
inline void gru_grad_element(const GruCellGradArgs& a, GateLayout L, long b, long j) {
  const long o = b * L.row + j, i = b * a.hidden + j;
  double r = a.gates[o], z = a.gates[L.gate + o], c = a.gates[2 * L.gate + o];
  float hn = a.biasHn ? a.hg[2 * L.gate + o] + a.biasHn[j] : a.hg[2 * L.gate + o];
  double g = a.dhNew[i];
  a.dh[i] = static_cast<float>(g * z);
  double dn = g * (1 - z) * (1 - c * c);
  double dz = g * (a.h[i] - c) * z * (1 - z);
  double dr = dn * hn * r * (1 - r);
  a.dxg[o] = a.dhg[o] = static_cast<float>(dr);
  a.dxg[L.gate + o] = a.dhg[L.gate + o] = static_cast<float>(dz);
  a.dxg[2 * L.gate + o] = static_cast<float>(dn);
  a.dhg[2 * L.gate + o] = static_cast<float>(dn * r);
}

#if defined(__x86_64__)
// One GRU block of 8: r, z, n (gates) and h' from the pre-activations, hn = hg_n + b_hn.
struct GruOut {
  __m256 r, z, c, h;
};
__attribute__((target("avx2,fma"))) inline GruOut gru8(__m256 xr, __m256 hr, __m256 xz, __m256 hz, __m256 xn,
                                                      __m256 hn, __m256 h) {
  __m256 r = sigmoid256(_mm256_add_ps(xr, hr));
  __m256 z = sigmoid256(_mm256_add_ps(xz, hz));
  __m256 c = tanh256(_mm256_fmadd_ps(r, hn, xn));
  return {r, z, c, _mm256_fmadd_ps(z, _mm256_sub_ps(h, c), c)};
}

// The GRU step of rows [b0, b1), 8 elements of a row at a time in float (SIMD sigmoid and tanh); a row's last
// partial block goes through padded copies into the same arithmetic, so every element gets the same result
// whatever the chunking.
__attribute__((target("avx2,fma"))) void gru_cell_avx2(const float* xg, const float* hg, const float* h,
                                                      const float* bias_hn, long hidden, GateLayout L, long b0,
                                                      long b1, float* h_new, float* gates) {
  const long G = L.gate;
  for (long b = b0; b < b1; b++) {
    const long g0 = b * L.row, s0 = b * hidden;
    long j = 0;
    for (; j + 8 <= hidden; j += 8) {
      const long o = g0 + j;
      __m256 hn = _mm256_loadu_ps(hg + 2 * G + o);
      if (bias_hn) hn = _mm256_add_ps(hn, _mm256_loadu_ps(bias_hn + j));
      GruOut y = gru8(_mm256_loadu_ps(xg + o), _mm256_loadu_ps(hg + o), _mm256_loadu_ps(xg + G + o),
                      _mm256_loadu_ps(hg + G + o), _mm256_loadu_ps(xg + 2 * G + o), hn,
                      _mm256_loadu_ps(h + s0 + j));
      _mm256_storeu_ps(gates + o, y.r);
      _mm256_storeu_ps(gates + G + o, y.z);
      _mm256_storeu_ps(gates + 2 * G + o, y.c);
      _mm256_storeu_ps(h_new + s0 + j, y.h);
    }
    if (j < hidden) {
      const long len = hidden - j;
      alignas(32) float v[7][8] = {};
      for (long l = 0; l < len; l++) {
        const long o = g0 + j + l;
        v[0][l] = xg[o];
        v[1][l] = hg[o];
        v[2][l] = xg[G + o];
        v[3][l] = hg[G + o];
        v[4][l] = xg[2 * G + o];
        v[5][l] = hg[2 * G + o] + (bias_hn ? bias_hn[j + l] : 0.0f);
        v[6][l] = h[s0 + j + l];
      }
      GruOut y = gru8(_mm256_load_ps(v[0]), _mm256_load_ps(v[1]), _mm256_load_ps(v[2]), _mm256_load_ps(v[3]),
                      _mm256_load_ps(v[4]), _mm256_load_ps(v[5]), _mm256_load_ps(v[6]));
      _mm256_store_ps(v[0], y.r);
      _mm256_store_ps(v[1], y.z);
      _mm256_store_ps(v[2], y.c);
      _mm256_store_ps(v[3], y.h);
      for (long l = 0; l < len; l++) {
        const long o = g0 + j + l;
        gates[o] = v[0][l];
        gates[G + o] = v[1][l];
        gates[2 * G + o] = v[2][l];
        h_new[s0 + j + l] = v[3][l];
      }
    }
  }
}

// The GRU gradient of one block of 8 (see gru_cell_grad for the formulas).
struct GruGrad {
  __m256 dr, dz, dn, dnr, dh;
};
__attribute__((target("avx2,fma"))) inline GruGrad gru_grad8(__m256 r, __m256 z, __m256 c, __m256 hn, __m256 g,
                                                            __m256 hp) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 dn = _mm256_mul_ps(_mm256_mul_ps(g, _mm256_sub_ps(one, z)), _mm256_fnmadd_ps(c, c, one));
  __m256 dz = _mm256_mul_ps(_mm256_mul_ps(g, _mm256_sub_ps(hp, c)), _mm256_mul_ps(z, _mm256_sub_ps(one, z)));
  __m256 dr = _mm256_mul_ps(_mm256_mul_ps(dn, hn), _mm256_mul_ps(r, _mm256_sub_ps(one, r)));
  return {dr, dz, dn, _mm256_mul_ps(dn, r), _mm256_mul_ps(g, z)};
}

// The GRU gradient of rows [b0, b1), 8 elements of a row at a time in float (the scalar path computes in double;
// both stay within float32 rounding of the reference), the last partial block padded as in the forward.
__attribute__((target("avx2,fma"))) void gru_cell_grad_avx2(const float* hg, const float* h, const float* bias_hn,
                                                           const float* gates, const float* dh_new, long hidden,
                                                           GateLayout L, long b0, long b1, float* dxg, float* dhg,
                                                           float* dh) {
  const long G = L.gate;
  for (long b = b0; b < b1; b++) {
    const long g0 = b * L.row, s0 = b * hidden;
    long j = 0;
    for (; j + 8 <= hidden; j += 8) {
      const long o = g0 + j;
      __m256 hn = _mm256_loadu_ps(hg + 2 * G + o);
      if (bias_hn) hn = _mm256_add_ps(hn, _mm256_loadu_ps(bias_hn + j));
      GruGrad d = gru_grad8(_mm256_loadu_ps(gates + o), _mm256_loadu_ps(gates + G + o),
                            _mm256_loadu_ps(gates + 2 * G + o), hn, _mm256_loadu_ps(dh_new + s0 + j),
                            _mm256_loadu_ps(h + s0 + j));
      _mm256_storeu_ps(dxg + o, d.dr);
      _mm256_storeu_ps(dhg + o, d.dr);
      _mm256_storeu_ps(dxg + G + o, d.dz);
      _mm256_storeu_ps(dhg + G + o, d.dz);
      _mm256_storeu_ps(dxg + 2 * G + o, d.dn);
      _mm256_storeu_ps(dhg + 2 * G + o, d.dnr);
      _mm256_storeu_ps(dh + s0 + j, d.dh);
    }
    if (j < hidden) {
      const long len = hidden - j;
      alignas(32) float v[6][8] = {};
      for (long l = 0; l < len; l++) {
        const long o = g0 + j + l;
        v[0][l] = gates[o];
        v[1][l] = gates[G + o];
        v[2][l] = gates[2 * G + o];
        v[3][l] = hg[2 * G + o] + (bias_hn ? bias_hn[j + l] : 0.0f);
        v[4][l] = dh_new[s0 + j + l];
        v[5][l] = h[s0 + j + l];
      }
      GruGrad d = gru_grad8(_mm256_load_ps(v[0]), _mm256_load_ps(v[1]), _mm256_load_ps(v[2]),
                            _mm256_load_ps(v[3]), _mm256_load_ps(v[4]), _mm256_load_ps(v[5]));
      _mm256_store_ps(v[0], d.dr);
      _mm256_store_ps(v[1], d.dz);
      _mm256_store_ps(v[2], d.dn);
      _mm256_store_ps(v[3], d.dnr);
      _mm256_store_ps(v[4], d.dh);
      for (long l = 0; l < len; l++) {
        const long o = g0 + j + l;
        dxg[o] = dhg[o] = v[0][l];
        dxg[G + o] = dhg[G + o] = v[1][l];
        dxg[2 * G + o] = v[2][l];
        dhg[2 * G + o] = v[3][l];
        dh[s0 + j + l] = v[4][l];
      }
    }
  }
}
#endif

#if defined(__wasm_simd128__)
// The GRU step of rows [b0, b1) four elements at a time in float (gru8's arithmetic on SIMD128 vectors); a row's
// last hidden % 4 elements take gru_element, so each element's path depends only on j, not on the chunking.
void gru_cell_simd128(const GruCellArgs& a, GateLayout L, long b0, long b1) {
  const long G = L.gate;
  for (long b = b0; b < b1; b++) {
    const long g0 = b * L.row, s0 = b * a.hidden;
    long j = 0;
    for (; j + 4 <= a.hidden; j += 4) {
      const long o = g0 + j;
      v128_t hn = wasm_v128_load(a.hg + 2 * G + o);
      if (a.biasHn) hn = wasm_f32x4_add(hn, wasm_v128_load(a.biasHn + j));
      const v128_t r = sigmoid128(wasm_f32x4_add(wasm_v128_load(a.xg + o), wasm_v128_load(a.hg + o)));
      const v128_t z = sigmoid128(wasm_f32x4_add(wasm_v128_load(a.xg + G + o), wasm_v128_load(a.hg + G + o)));
      const v128_t c = tanh128(madd128(r, hn, wasm_v128_load(a.xg + 2 * G + o)));
      wasm_v128_store(a.gates + o, r);
      wasm_v128_store(a.gates + G + o, z);
      wasm_v128_store(a.gates + 2 * G + o, c);
      wasm_v128_store(a.hNew + s0 + j, madd128(z, wasm_f32x4_sub(wasm_v128_load(a.h + s0 + j), c), c));
    }
    for (; j < a.hidden; j++) gru_element(a, L, b, j);
  }
}

// The GRU gradient of rows [b0, b1) four elements at a time in float (gru_grad8's arithmetic), the row's tail
// through gru_grad_element.
void gru_cell_grad_simd128(const GruCellGradArgs& a, GateLayout L, long b0, long b1) {
  const long G = L.gate;
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (long b = b0; b < b1; b++) {
    const long g0 = b * L.row, s0 = b * a.hidden;
    long j = 0;
    for (; j + 4 <= a.hidden; j += 4) {
      const long o = g0 + j;
      v128_t hn = wasm_v128_load(a.hg + 2 * G + o);
      if (a.biasHn) hn = wasm_f32x4_add(hn, wasm_v128_load(a.biasHn + j));
      const v128_t r = wasm_v128_load(a.gates + o), z = wasm_v128_load(a.gates + G + o);
      const v128_t c = wasm_v128_load(a.gates + 2 * G + o), g = wasm_v128_load(a.dhNew + s0 + j);
      const v128_t dn = wasm_f32x4_mul(wasm_f32x4_mul(g, wasm_f32x4_sub(one, z)),
                                       wasm_f32x4_sub(one, wasm_f32x4_mul(c, c)));
      const v128_t dz = wasm_f32x4_mul(wasm_f32x4_mul(g, wasm_f32x4_sub(wasm_v128_load(a.h + s0 + j), c)),
                                       wasm_f32x4_mul(z, wasm_f32x4_sub(one, z)));
      const v128_t dr = wasm_f32x4_mul(wasm_f32x4_mul(dn, hn), wasm_f32x4_mul(r, wasm_f32x4_sub(one, r)));
      wasm_v128_store(a.dxg + o, dr);
      wasm_v128_store(a.dhg + o, dr);
      wasm_v128_store(a.dxg + G + o, dz);
      wasm_v128_store(a.dhg + G + o, dz);
      wasm_v128_store(a.dxg + 2 * G + o, dn);
      wasm_v128_store(a.dhg + 2 * G + o, wasm_f32x4_mul(dn, r));
      wasm_v128_store(a.dh + s0 + j, wasm_f32x4_mul(g, z));
    }
    for (; j < a.hidden; j++) gru_grad_element(a, L, b, j);
  }
}
#endif

}  // namespace

void gru_cell(const GruCellArgs& a) {
  const GateLayout L = gate_layout(a.rows, a.batch, a.hidden);
#if defined(__x86_64__)
  if (has_avx2_fma()) {
    over_batch_rows(a.batch, a.hidden, 10, [&](long b0, long b1) {
      gru_cell_avx2(a.xg, a.hg, a.h, a.biasHn, a.hidden, L, b0, b1, a.hNew, a.gates);
    });
    return;
  }
#endif
#if defined(__wasm_simd128__)
  if (has_simd128()) {
    over_batch_rows(a.batch, a.hidden, 10, [&](long b0, long b1) { gru_cell_simd128(a, L, b0, b1); });
    return;
  }
#endif
  over_batch_rows(a.batch, a.hidden, 40, [&](long b0, long b1) {
    for (long b = b0; b < b1; b++)
      for (long j = 0; j < a.hidden; j++) gru_element(a, L, b, j);
  });
}

void gru_cell_grad(const GruCellGradArgs& a) {
  const GateLayout L = gate_layout(a.rows, a.batch, a.hidden);
#if defined(__x86_64__)
  if (has_avx2_fma()) {
    over_batch_rows(a.batch, a.hidden, 8, [&](long b0, long b1) {
      gru_cell_grad_avx2(a.hg, a.h, a.biasHn, a.gates, a.dhNew, a.hidden, L, b0, b1, a.dxg, a.dhg, a.dh);
    });
    return;
  }
#endif
#if defined(__wasm_simd128__)
  if (has_simd128()) {
    over_batch_rows(a.batch, a.hidden, 8, [&](long b0, long b1) { gru_cell_grad_simd128(a, L, b0, b1); });
    return;
  }
#endif
  over_batch_rows(a.batch, a.hidden, 20, [&](long b0, long b1) {
    for (long b = b0; b < b1; b++)
      for (long j = 0; j < a.hidden; j++) gru_grad_element(a, L, b, j);
  });
}

void lstm_cell(const LstmCellArgs& a) {
  const long n = a.batch * a.hidden;
  over_rows(a.batch, a.hidden, 50, [&](long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      float ig = static_cast<float>(sigmoid(static_cast<double>(a.xg[i]) + a.hg[i]));
      float fg = static_cast<float>(sigmoid(static_cast<double>(a.xg[n + i]) + a.hg[n + i]));
      float gg = static_cast<float>(std::tanh(static_cast<double>(a.xg[2 * n + i]) + a.hg[2 * n + i]));
      float og = static_cast<float>(sigmoid(static_cast<double>(a.xg[3 * n + i]) + a.hg[3 * n + i]));
      a.gates[i] = ig;
      a.gates[n + i] = fg;
      a.gates[2 * n + i] = gg;
      a.gates[3 * n + i] = og;
      float cn = static_cast<float>(static_cast<double>(fg) * a.c[i] + static_cast<double>(ig) * gg);
      a.cNew[i] = cn;
      a.hNew[i] = static_cast<float>(og * std::tanh(static_cast<double>(cn)));
    }
  });
}

void lstm_cell_grad(const LstmCellGradArgs& a) {
  const long n = a.batch * a.hidden;
  over_rows(a.batch, a.hidden, 30, [&](long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      double ig = a.gates[i], fg = a.gates[n + i], gg = a.gates[2 * n + i], og = a.gates[3 * n + i];
      double tc = std::tanh(static_cast<double>(a.cNew[i]));
      double dhv = a.dhNew[i];
      double dct = a.dcNew[i] + dhv * og * (1 - tc * tc);
      a.dc[i] = static_cast<float>(dct * fg);
      a.dPre[i] = static_cast<float>(dct * gg * ig * (1 - ig));
      a.dPre[n + i] = static_cast<float>(dct * a.c[i] * fg * (1 - fg));
      a.dPre[2 * n + i] = static_cast<float>(dct * ig * (1 - gg * gg));
      a.dPre[3 * n + i] = static_cast<float>(dhv * tc * og * (1 - og));
    }
  });
}

}  // namespace attn
