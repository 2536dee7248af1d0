// Additive (Bahdanau) attention of one decoder step over keys projected once per batch (Backend.additiveAttention
// and additiveAttentionGrad; src/backend/js/additive-attention.ts is the reference):
//   e[b, s] = vBias + Σ_u v[u]·tanh(keys[b, s, u] + query[b, u]),  α = softmax_s(e),  context = Σ_s α·memory.
// One pass over the [B, S, U] keys per call instead of the broadcast add, tanh, product with V, softmax and two
// batched products (and their gradients) of the op-by-op form, none of which keeps [B, S, U] around: the
// gradient recomputes tanh. Rows b are independent and go to the pool in chunks; dV is summed per row into its
// own slot and then over rows in order, so results do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu.h"
#include "kernels.h"
#include "simd128_math.h"
#include "simd_tanh.h"
#include "thread_pool.h"

namespace attn {
namespace {

// Runs fn(b) for every row, rows in chunks over the pool: four per thread, taken as threads come free, so that a
// worker that wakes late (a call lasts a few hundred microseconds; waking a thread on a busy VM can take a good
// part of that) or a core shared with another process still leaves the others work to do.
template <typename Fn>
void over_batch(long batch, double cost_per_row, const Fn& fn) {
  int chunks = chunks_for(static_cast<double>(batch) * cost_per_row, 1 << 15);
  if (chunks > 1) chunks *= 4;
  if (chunks > batch) chunks = static_cast<int>(batch);
  if (chunks <= 1) {
    for (long b = 0; b < batch; b++) fn(b);
    return;
  }
  long per = (batch + chunks - 1) / chunks;
  parallel_for(chunks, [&](int t) {
    long b1 = std::min(batch, (t + 1) * per);
    for (long b = t * per; b < b1; b++) fn(b);
  });
}

// Σ_u v[u]·tanh(k[u] + q[u]).
float score_portable(const float* k, const float* q, const float* v, long units) {
  double acc = 0;
  for (long u = 0; u < units; u++) acc += v[u] * std::tanh(static_cast<double>(k[u]) + q[u]);
  return static_cast<float>(acc);
}

// For one key row: dV[u] += de·t, dKeys[u] += de·v[u]·(1 − t²), dQ[u] += the same, t = tanh(k[u] + q[u]).
void score_grad_portable(const float* k, const float* q, const float* v, float de, long units, float* dv,
                         float* dk, float* dq) {
  for (long u = 0; u < units; u++) {
    float t = std::tanh(k[u] + q[u]);
    dv[u] += de * t;
    float d = de * v[u] * (1 - t * t);
    dk[u] += d;
    dq[u] += d;
  }
}

#if defined(__x86_64__)
// tanh(x) = 1 − 2/(e^{2x} + 1) for every x, with an absolute error of a few 1e-8 (exp256's and the division's
// rounding): half the instructions of tanh256, which also evaluates a polynomial for |x| < 0.625 to keep the
// relative error small near 0 and blends the two. The scores only sum v[u]·tanh and the gradients use tanh
// and 1 − tanh², where an absolute error this size is below float rounding of the sums; this kernel evaluates
// B·S·U of them forward and again backward (B = 64, S = 16, U = 512: half a million per call). Large |x|
// saturates to ±1 (exp256's input clamped at 88), NaN stays NaN (min keeps its second operand when NaN).
__attribute__((target("avx2,fma"))) inline __m256 tanh_sum(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp256(_mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_add_ps(x, x)));
  return _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
}

__attribute__((target("avx2,fma"))) float score_avx2(const float* k, const float* q, const float* v, long units) {
  __m256 acc = _mm256_setzero_ps();
  long u = 0;
  for (; u + 8 <= units; u += 8) {
    __m256 t = tanh_sum(_mm256_add_ps(_mm256_loadu_ps(k + u), _mm256_loadu_ps(q + u)));
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(v + u), t, acc);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  double sum = 0;
  for (float l : lanes) sum += l;
  for (; u < units; u++) sum += v[u] * std::tanh(static_cast<double>(k[u]) + q[u]);
  return static_cast<float>(sum);
}

__attribute__((target("avx2,fma"))) void score_grad_avx2(const float* k, const float* q, const float* v, float de,
                                                         long units, float* dv, float* dk, float* dq) {
  const __m256 vde = _mm256_set1_ps(de), one = _mm256_set1_ps(1.0f);
  long u = 0;
  for (; u + 8 <= units; u += 8) {
    __m256 t = tanh_sum(_mm256_add_ps(_mm256_loadu_ps(k + u), _mm256_loadu_ps(q + u)));
    _mm256_storeu_ps(dv + u, _mm256_fmadd_ps(vde, t, _mm256_loadu_ps(dv + u)));
    __m256 d = _mm256_mul_ps(_mm256_mul_ps(vde, _mm256_loadu_ps(v + u)), _mm256_fnmadd_ps(t, t, one));
    _mm256_storeu_ps(dk + u, _mm256_add_ps(_mm256_loadu_ps(dk + u), d));
    _mm256_storeu_ps(dq + u, _mm256_add_ps(_mm256_loadu_ps(dq + u), d));
  }
  if (u < units) score_grad_portable(k + u, q + u, v + u, de, units - u, dv + u, dk + u, dq + u);
}
#endif

#if defined(__wasm_simd128__)
// score_avx2 and score_grad_avx2 on four lanes, tanh as 1 − 2/(e^{2x} + 1) (see tanh_sum above).
inline v128_t tanh_sum128(v128_t x) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  const v128_t e = exp128(wasm_f32x4_pmin(wasm_f32x4_add(x, x), wasm_f32x4_splat(88.0f)));
  return wasm_f32x4_sub(one, wasm_f32x4_div(wasm_f32x4_splat(2.0f), wasm_f32x4_add(e, one)));
}

float score_simd128(const float* k, const float* q, const float* v, long units) {
  v128_t acc = wasm_f32x4_splat(0.0f);
  long u = 0;
  for (; u + 4 <= units; u += 4) {
    v128_t t = tanh_sum128(wasm_f32x4_add(wasm_v128_load(k + u), wasm_v128_load(q + u)));
    acc = madd128(wasm_v128_load(v + u), t, acc);
  }
  double sum = static_cast<double>(wasm_f32x4_extract_lane(acc, 0)) + wasm_f32x4_extract_lane(acc, 1) +
               wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3);
  for (; u < units; u++) sum += v[u] * std::tanh(static_cast<double>(k[u]) + q[u]);
  return static_cast<float>(sum);
}

void score_grad_simd128(const float* k, const float* q, const float* v, float de, long units, float* dv, float* dk,
                        float* dq) {
  const v128_t vde = wasm_f32x4_splat(de), one = wasm_f32x4_splat(1.0f);
  long u = 0;
  for (; u + 4 <= units; u += 4) {
    v128_t t = tanh_sum128(wasm_f32x4_add(wasm_v128_load(k + u), wasm_v128_load(q + u)));
    wasm_v128_store(dv + u, madd128(vde, t, wasm_v128_load(dv + u)));
    v128_t d = wasm_f32x4_mul(wasm_f32x4_mul(vde, wasm_v128_load(v + u)), wasm_f32x4_sub(one, wasm_f32x4_mul(t, t)));
    wasm_v128_store(dk + u, wasm_f32x4_add(wasm_v128_load(dk + u), d));
    wasm_v128_store(dq + u, wasm_f32x4_add(wasm_v128_load(dq + u), d));
  }
  if (u < units) score_grad_portable(k + u, q + u, v + u, de, units - u, dv + u, dk + u, dq + u);
}
#endif

using Score = float (*)(const float* k, const float* q, const float* v, long units);
using ScoreGrad = void (*)(const float* k, const float* q, const float* v, float de, long units, float* dv,
                           float* dk, float* dq);

// The fastest score kernels this machine (or engine) runs.
Score score_kernel() {
#if defined(__x86_64__)
  if (has_avx2_fma()) return score_avx2;
#endif
#if defined(__wasm_simd128__)
  if (has_simd128()) return score_simd128;
#endif
  return score_portable;
}

ScoreGrad score_grad_kernel() {
#if defined(__x86_64__)
  if (has_avx2_fma()) return score_grad_avx2;
#endif
#if defined(__wasm_simd128__)
  if (has_simd128()) return score_grad_simd128;
#endif
  return score_grad_portable;
}

// y[j] += a·x[j] (the compiler vectorises this plain loop).
inline void axpy(float a, const float* x, float* y, long n) {
  for (long j = 0; j < n; j++) y[j] += a * x[j];
}

inline double dot(const float* x, const float* y, long n) {
  float acc[8] = {};
  long j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; l++) acc[l] += x[j + l] * y[j + l];
  double sum = 0;
  for (float a : acc) sum += a;
  for (; j < n; j++) sum += static_cast<double>(x[j]) * y[j];
  return sum;
}

}  // namespace

void additive_attention(const AdditiveAttentionArgs& a) {
  const long S = a.length, U = a.units, E = a.width;
  const Score score = score_kernel();
  over_batch(a.batch, static_cast<double>(S) * (U * 8 + E), [&](long b) {
    std::vector<double> e(S);
    double max = -std::numeric_limits<double>::infinity();
    const float* q = a.query + b * U;
    for (long s = 0; s < S; s++) {
      const long row = b * S + s;
      if (a.mask && a.mask[row]) {
        e[s] = -std::numeric_limits<double>::infinity();
        continue;
      }
      const float* k = a.keys + row * U;
      const float acc = score(k, q, a.v, U);
      e[s] = static_cast<float>(acc + static_cast<float>(a.vBias));
      max = std::max(max, e[s]);
    }
    float* ctx = a.context + b * E;
    std::fill(ctx, ctx + E, 0.0f);
    float* w = a.weights + b * S;
    if (max == -std::numeric_limits<double>::infinity()) {
      std::fill(w, w + S, 0.0f);
      return;
    }
    double total = 0;
    for (long s = 0; s < S; s++) total += (e[s] = std::exp(e[s] - max));
    for (long s = 0; s < S; s++) {
      float alpha = static_cast<float>(e[s] / total);
      w[s] = alpha;
      if (alpha != 0) axpy(alpha, a.memory + (b * S + s) * E, ctx, E);
    }
  });
}

void additive_attention_grad(const AdditiveAttentionGradArgs& a) {
  const long B = a.batch, S = a.length, U = a.units, E = a.width;
  const ScoreGrad score_grad = score_grad_kernel();
  std::vector<float> dv_rows(static_cast<size_t>(B * U), 0.0f);
  over_batch(B, static_cast<double>(S) * (U * 10 + 2 * E), [&](long b) {
    const float* dctx = a.dContext + b * E;
    std::vector<double> d_alpha(S);
    double total = 0;
    for (long s = 0; s < S; s++) {
      const long row = b * S + s;
      d_alpha[s] = (a.dWeights ? a.dWeights[row] : 0.0) + dot(dctx, a.memory + row * E, E);
      total += a.weights[row] * d_alpha[s];
    }
    float* dq = a.dQuery + b * U;
    std::fill(dq, dq + U, 0.0f);
    float* dv = dv_rows.data() + b * U;
    const float* q = a.query + b * U;
    for (long s = 0; s < S; s++) {
      const long row = b * S + s;
      const float alpha = a.weights[row];
      const float de = static_cast<float>(alpha * (d_alpha[s] - total));
      a.dScores[row] = de;
      if (alpha == 0 || (a.mask && a.mask[row])) continue;
      if (a.dMemory) axpy(alpha, dctx, a.dMemory + row * E, E);
      if (de == 0) continue;
      score_grad(a.keys + row * U, q, a.v, de, U, dv, a.dKeys + row * U, dq);
    }
  });
  for (long b = 0; b < B; b++) axpy(1.0f, dv_rows.data() + b * U, a.dV, U);
}

}  // namespace attn
